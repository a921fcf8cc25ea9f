import { expect, test } from "bun:test";
import { DisconnectCode, FrameType } from "../../proto/index.ts";
import { startTestServer } from "../helpers/server.ts";

test("the server asks for a refresh before exp; a refreshed token extends the session", async () => {
  await using server = await startTestServer({ tokenRefreshLeadMs: 1500, heartbeatMs: 400 });
  const c = await server.client("alice", { mint: { ttlSeconds: 2 } });
  expect(c.hello.tokenExp).toBeGreaterThan(Date.now());
  const asked = await c.next((f) => f.type === FrameType.TokenExpiring, 3000);
  expect(asked).toMatchObject({ exp: c.hello.tokenExp });
  const result = await c.request({ type: FrameType.Refresh, token: await server.token("alice", { ttlSeconds: 60 }) });
  expect(result.exp).toBeGreaterThan(Date.now() + 50_000);
  await Bun.sleep(2200);
  expect(c.closeCode).toBeUndefined();
  await expect(c.request({ type: FrameType.Refresh, token: await server.token("mallory") })).rejects.toMatchObject({ code: 401 });
  await expect(c.request({ type: FrameType.Refresh, token: "junk" })).rejects.toMatchObject({ code: 401 });
});

test("a session whose token expires without refresh is closed with 4006", async () => {
  await using server = await startTestServer({ tokenRefreshLeadMs: 500, heartbeatMs: 400 });
  const c = await server.client("bob", { mint: { ttlSeconds: 1 } });
  const { code } = await c.closed;
  expect(code).toBe(DisconnectCode.TokenExpired);
});
