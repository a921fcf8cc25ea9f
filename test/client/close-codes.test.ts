import { expect, test } from "bun:test";
import { DEFAULT_RECONNECT, reconnectDelay } from "../../client/index.ts";
import { startTestServer } from "../helpers/server.ts";
import { clientFor, FAST, next, record, until } from "./helpers.ts";

const API_KEY = "client-test-api-key-0123456789";

async function api(server: { url: string }, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${server.url}/api${path}`, {
    method,
    headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

test("4501 (token revoked): the client stops, fails what is pending, and never reconnects", async () => {
  await using server = await startTestServer({ apiKeys: [API_KEY] });
  let calls = 0;
  const client = clientFor(server, "ivan", {
    token: () => {
      calls++;
      return server.token("ivan", { jti: "token-1" });
    },
  });
  const drops = record(client, "disconnected");
  await client.connect();
  const revoked = await api(server, "POST", "/tokens/revoke", { jti: "token-1", exp: Math.floor(Date.now() / 1000) + 3600 });
  expect(revoked.status).toBe(200);
  await until(() => drops.length > 0, "the disconnection");
  expect(drops).toEqual([{ code: 4501, reason: "token revoked", willReconnect: false }]);
  expect(client.state).toBe("closed");
  expect(await client.publish("public:x", "after").catch((e: unknown) => e)).toMatchObject({ kind: "closed", code: 4501 });
  // Sentinel: a timer set now, due after the longest reconnect delay these options allow. Timers
  // of one process fire in deadline order, so a reconnect timer (its attempt calls the token
  // provider at once) would have fired before this one, however busy the machine.
  await new Promise((resolve) => setTimeout(resolve, Math.max(FAST.maxDelayMs, FAST.restartJitterMs) + 1));
  expect(calls).toBe(1);
  expect(server.node.sessionsOf("ivan").size).toBe(0);
});

test("4503 (kicked) stops the client; 4007 (disconnected, reconnect allowed) brings it back", async () => {
  await using server = await startTestServer({ apiKeys: [API_KEY] });
  const client = clientFor(server, "judy");
  const first = await client.connect();
  const reconnected = next(client, "connected");
  await api(server, "POST", "/users/judy/disconnect", { reconnect: true });
  const back = await reconnected;
  expect(back.session).not.toBe(first.session);
  expect(back.reconnected).toBe(true);
  const dropped = next(client, "disconnected");
  await api(server, "POST", "/users/judy/disconnect", {});
  const drop = await dropped;
  expect(drop).toMatchObject({ code: 4503, willReconnect: false });
  expect(client.state).toBe("closed");
});

test("backoff: immediate with jitter after 4000, exponential with jitter and a cap otherwise, none after 4500-4999", () => {
  const o = DEFAULT_RECONNECT;
  expect(reconnectDelay(4000, 0, o, () => 0.999)).toBeLessThan(o.restartJitterMs);
  expect(reconnectDelay(4000, 0, o, () => 0)).toBe(0);
  expect(reconnectDelay(4000, 1, o, () => 0)).toBe(o.minDelayMs); // the restart is taking a while: back off
  expect(reconnectDelay(1006, 0, o, () => 0)).toBe(o.minDelayMs / 2);
  expect(reconnectDelay(1006, 0, o, () => 1)).toBe(o.minDelayMs);
  expect(reconnectDelay(1006, 3, o, () => 1)).toBe(o.minDelayMs * 8);
  expect(reconnectDelay(1006, 30, o, () => 1)).toBe(o.maxDelayMs);
  for (const code of [1000, 1001, 1009, 4001, 4002, 4003, 4004, 4005, 4006, 4007]) expect(reconnectDelay(code, 0, o)).toBeNumber();
  for (const code of [4500, 4501, 4502, 4503, 4504, 4505, 4999]) expect(reconnectDelay(code, 0, o)).toBeUndefined();
});
