import { expect, test } from "bun:test";
import { DisconnectCode, FrameType } from "../../proto/index.ts";
import { freezeClock, sweptAt } from "../helpers/frozen-clock.ts";
import { startTestServer } from "../helpers/server.ts";

// Time moves only when these tests move it (token expiry and heartbeats read Date.now()), so a busy
// machine cannot let a token expire, or a heartbeat lapse, between two steps. The clock starts 100 ms
// into a second: a token minted with `ttlSeconds: 2` then expires 1900 ms later. A heartbeat of
// 2000 ms lets the clock move 2 s without the heartbeat closing anything, and sweeps every 500 ms.
const inSecond = (ms: number) => Math.ceil(Date.now() / 1000) * 1000 + ms;

test("the server asks for a refresh before exp; a refreshed token extends the session", async () => {
  using clock = freezeClock(inSecond(100));
  await using server = await startTestServer({ tokenRefreshLeadMs: 1500, heartbeatMs: 2000 });
  const c = await server.client("alice", { mint: { ttlSeconds: 2 } });
  const exp = c.hello.tokenExp!;
  expect(exp).toBe(clock.now() + 1900);
  clock.advance(400); // the refresh lead begins
  const asked = await c.next((f) => f.type === FrameType.TokenExpiring, 3000);
  expect(asked).toMatchObject({ exp });
  const result = await c.request({ type: FrameType.Refresh, token: await server.token("alice", { ttlSeconds: 60 }) });
  expect(result.exp).toBeGreaterThan(Date.now() + 50_000);
  clock.advance(1600); // 100 ms past the old exp
  await sweptAt(server.node, clock.now());
  expect(await c.request({ type: FrameType.Counts })).toEqual({ users: 1, sessions: 1 });
  expect(c.closeCode).toBeUndefined();
  await expect(c.request({ type: FrameType.Refresh, token: await server.token("mallory") })).rejects.toMatchObject({ code: 401 });
  await expect(c.request({ type: FrameType.Refresh, token: "junk" })).rejects.toMatchObject({ code: 401 });
});

test("a session whose token expires without refresh is closed with 4006", async () => {
  using clock = freezeClock(inSecond(100));
  await using server = await startTestServer({ tokenRefreshLeadMs: 500, heartbeatMs: 2000 });
  const c = await server.client("bob", { mint: { ttlSeconds: 2 } });
  expect(c.hello.tokenExp).toBe(clock.now() + 1900);
  clock.advance(1900);
  const { code } = await c.closed;
  expect(code).toBe(DisconnectCode.TokenExpired);
});
