/**
 * The node reads time from an injected clock: heartbeat timeouts, edit windows and rate buckets
 * follow it, so these run in milliseconds, whatever the machine is doing.
 */
import { expect, test } from "bun:test";
import { DisconnectCode, FrameType } from "../../proto/index.ts";
import { ManualClock } from "../helpers/manual-clock.ts";
import { startTestServer } from "../helpers/server.ts";

test("a silent session times out when the clock says so, not before", async () => {
  const clock = new ManualClock();
  await using server = await startTestServer({ heartbeatMs: 1000 }, { clock });
  const c = await server.client("quiet");
  clock.advance(1400);
  server.node.sweep(clock.now());
  expect(server.node.sessions.size).toBe(1);
  clock.advance(200); // 1.6 s of silence > 1.5 × heartbeat
  server.node.sweep(clock.now());
  expect((await c.closed).code).toBe(DisconnectCode.HeartbeatTimeout);
});

test("the edit window and message times follow the clock", async () => {
  const clock = new ManualClock(1_800_000_000_000);
  await using server = await startTestServer({ editWindowMs: 60_000 }, { clock });
  const c = await server.client("writer");
  const sent = await c.request({ type: FrameType.Publish, room: "public:t", payload: "v1" });
  expect(sent.time).toBe(1_800_000_000_000);
  clock.advance(59_000);
  await c.request({ type: FrameType.Edit, id: sent.id, payload: "v2" });
  clock.advance(2_000);
  await expect(c.request({ type: FrameType.Edit, id: sent.id, payload: "v3" })).rejects.toMatchObject({ code: 410 });
});

test("the rate bucket refills by the clock", async () => {
  const clock = new ManualClock();
  await using server = await startTestServer({ ratePerSecond: 10, rateBurst: 3 }, { clock });
  const c = await server.client("spender"); // the connect took 1 of 3
  const first = await Promise.allSettled([1, 2, 3].map(() => c.request({ type: FrameType.Counts })));
  expect(first.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected"]);
  clock.advance(100); // one token back
  expect(await c.request({ type: FrameType.Counts })).toEqual({ users: 1, sessions: 1 });
});
