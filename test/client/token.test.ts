import { expect, test } from "bun:test";
import { HubbubClient, tokenExpiry } from "../../client/index.ts";
import { startTestServer } from "../helpers/server.ts";
import { clientFor, cut, FAST, next, record, until } from "./helpers.ts";

test("when the server announces expiry the client refreshes through the provider and stays connected past the old expiry", async () => {
  // Tokens live 3 s; the server asks for a refresh 2.5 s before expiry, so within a second.
  await using server = await startTestServer({ tokenRefreshLeadMs: 2500, heartbeatMs: 400 });
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
  await until(() => calls >= 2, "a refresh", 3000);
  await until(() => (client.session?.tokenExp ?? 0) > first.tokenExp!, "the new expiry");
  await Bun.sleep(first.tokenExp! + 500 - Date.now()); // past the first token's expiry
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
