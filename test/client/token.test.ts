import { expect, test } from "bun:test";
import { HubbubClient, tokenExpiry } from "../../client/index.ts";
import { eventually, freezeClock, sweptAt } from "../helpers/frozen-clock.ts";
import { startTestServer } from "../helpers/server.ts";
import { clientFor, cut, FAST, next, record } from "./helpers.ts";

test("when the server announces expiry the client refreshes through the provider and stays connected past the old expiry", async () => {
  // Time moves only when the test moves it (token expiry and both heartbeats read Date.now()), so a
  // busy machine cannot let the first token expire before the refresh. The clock starts 100 ms into
  // a second, so tokens minted with `ttlSeconds: 3` expire 2900 ms later; the server asks for a
  // refresh 2500 ms before expiry. A heartbeat of 4000 ms lets the clock move 4 s without either
  // side's heartbeat giving up.
  using clock = freezeClock(Math.ceil(Date.now() / 1000) * 1000 + 100);
  await using server = await startTestServer({ tokenRefreshLeadMs: 2500, heartbeatMs: 4000 });
  let calls = 0;
  const client = new HubbubClient({
    url: server.wsUrl,
    token: () => {
      calls++;
      return server.token("erin", { ttlSeconds: 3 });
    },
    reconnect: FAST,
  });
  const drops = record(client, "disconnected");
  const errors = record(client, "error");
  const first = await client.connect();
  expect(calls).toBe(1);
  expect(first.tokenExp).toBe(clock.now() + 2900);
  // Into the refresh lead, and into the next second, so the refreshed token expires a second later.
  clock.advance(1000);
  await eventually(() => calls >= 2, "a refresh");
  await eventually(() => (client.session?.tokenExp ?? 0) > first.tokenExp!, "the new expiry");
  clock.advance(first.tokenExp! + 500 - clock.now()); // past the first token's expiry
  await sweptAt(server.node, clock.now());
  expect(await client.counts()).toEqual({ users: 1, sessions: 1 });
  expect(drops).toEqual([]);
  expect(errors).toEqual([]);
  expect(client.state).toBe("connected");
  expect(client.session?.session).toBe(first.session);
  client.close();
}, 15_000);

test("every reconnection asks the provider for a fresh token", async () => {
  await using server = await startTestServer();
  const tokens: string[] = [];
  const client = clientFor(server, "fred", {
    token: async () => {
      const token = await server.token("fred");
      tokens.push(token);
      return token;
    },
  });
  await client.connect();
  cut(server, "fred");
  await next(client, "connected");
  cut(server, "fred");
  await next(client, "connected");
  expect(tokens).toHaveLength(3);
  client.close();
});

test("a fixed token that has expired stops the client instead of retrying forever", async () => {
  await using server = await startTestServer();
  const expired = await server.token("gus", { ttlSeconds: -60 });
  expect(tokenExpiry(expired)!).toBeLessThan(Date.now());
  const client = new HubbubClient({ url: server.wsUrl, token: expired, reconnect: FAST });
  const error = await client.connect().catch((e: unknown) => e);
  expect(error).toMatchObject({ kind: "closed", code: 4006 });
  expect(client.state).toBe("closed");
});

test("a provider that throws is retried with backoff and reported as an error", async () => {
  await using server = await startTestServer();
  let calls = 0;
  const client = clientFor(server, "hal", {
    token: () => {
      if (++calls < 3) throw new Error("auth service down");
      return server.token("hal");
    },
  });
  const errors = record(client, "error");
  await client.connect();
  expect(calls).toBe(3);
  expect(errors.map((e) => e.kind)).toEqual(["token", "token"]);
  client.close();
});
