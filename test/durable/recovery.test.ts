import { expect, test } from "bun:test";
import { FrameType, type MessageFrame } from "../../proto/index.ts";
import { TestClient } from "../helpers/client.ts";
import { startTestServer } from "../helpers/server.ts";
import { fromWireMessages } from "../helpers/messages.ts";

const isMessage = (f: { type: number }) => f.type === FrameType.Message;

test("a client re-joining with offset + epoch gets what it missed, then live messages, with no gap and no duplicate while others publish at full speed", async () => {
  await using server = await startTestServer({ ratePerSecond: 100_000, rateBurst: 100_000 });
  const room = "public:busy";
  const total = 3000;
  const publishers = await Promise.all([server.client("p1"), server.client("p2")]);
  const token = await server.token("reader");
  // Learn the stream's epoch before anything is published; every later join recovers from a position.
  const probe = await TestClient.connect(server.wsUrl, token);
  const initial = await probe.request({ type: FrameType.Join, room });
  probe.close();
  let position = { offset: initial.offset as number, epoch: initial.epoch as string };
  // Publish as fast as replies come back, with several requests in flight per publisher.
  let sent = 0;
  const publishing = Promise.all(
    publishers.map(async (p) => {
      const inFlight = new Set<Promise<unknown>>();
      while (sent < total) {
        sent++;
        const req = p.request({ type: FrameType.Publish, room, payload: { n: sent } });
        inFlight.add(req);
        void req.finally(() => inFlight.delete(req));
        if (inFlight.size >= 32) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    }),
  );
  // A reader that keeps disconnecting and re-joining from its last position.
  const seen: number[] = [];
  for (let round = 0; round < 8; round++) {
    const reader = await TestClient.connect(server.wsUrl, token);
    const reply = await reader.request({ type: FrameType.Join, room, since: position });
    expect(reply.recovered).toBe(true);
    for (const m of fromWireMessages(reply.messages)) seen.push(m.offset);
    position = { offset: reply.offset, epoch: reply.epoch };
    await Bun.sleep(20 + Math.random() * 40);
    reader.close();
    await reader.closed;
    for (const m of reader.received.filter(isMessage) as MessageFrame[]) {
      seen.push(m.offset);
      position.offset = m.offset;
    }
  }
  await publishing;
  const last = await TestClient.connect(server.wsUrl, token);
  const reply = await last.request({ type: FrameType.Join, room, since: position });
  expect(reply.recovered).toBe(true);
  for (const m of fromWireMessages(reply.messages)) seen.push(m.offset);
  expect(seen.length).toBe(total);
  expect(seen).toEqual(Array.from({ length: total }, (_, i) => i + 1));
}, 60_000);

test("recovery reports why it is impossible: epoch changed, too old, too many", async () => {
  await using server = await startTestServer({
    recoveryMaxMessages: 10,
    namespaces: [{ prefix: "", ephemeral: false, maxMessages: 5, maxAgeMs: 0 }, { prefix: "game:", ephemeral: true, maxMessages: 0, maxAgeMs: 0 }],
  });
  const c = await server.client("a", { mint: { rooms: ["game:*"] } });
  const first = await c.request({ type: FrameType.Join, room: "public:r" });
  for (let i = 0; i < 20; i++) await c.request({ type: FrameType.Publish, room: "public:r", payload: i });
  await server.node.applyRetention();
  await c.request({ type: FrameType.Leave, room: "public:r" });
  expect(await c.request({ type: FrameType.Join, room: "public:r", since: { offset: 2, epoch: first.epoch } })).toMatchObject({ recovered: false, reason: "too_old", offset: 20 });
  await c.request({ type: FrameType.Leave, room: "public:r" });
  const ok = await c.request({ type: FrameType.Join, room: "public:r", since: { offset: 17, epoch: first.epoch } });
  expect(ok.recovered).toBe(true);
  expect(fromWireMessages(ok.messages).map((m) => m.payload)).toEqual([17, 18, 19]);
  await c.request({ type: FrameType.Leave, room: "public:r" });
  expect(await c.request({ type: FrameType.Join, room: "public:r", since: { offset: 3, epoch: "other-epoch" } })).toMatchObject({ recovered: false, reason: "epoch_changed" });
  await server.node.store.resetStream("room:public:r");
  await c.request({ type: FrameType.Leave, room: "public:r" });
  const reset = await c.request({ type: FrameType.Join, room: "public:r", since: { offset: 20, epoch: first.epoch } });
  expect(reset).toMatchObject({ recovered: false, reason: "epoch_changed", offset: 0 });
  expect(reset.epoch).not.toBe(first.epoch);
  // too many: more than recoveryMaxMessages missed (retention keeps 5 here, so use a fresh server).
  await using big = await startTestServer({ recoveryMaxMessages: 10 });
  const d = await big.client("d");
  const j = await d.request({ type: FrameType.Join, room: "public:big" });
  for (let i = 0; i < 15; i++) await d.request({ type: FrameType.Publish, room: "public:big", payload: i });
  await d.request({ type: FrameType.Leave, room: "public:big" });
  expect(await d.request({ type: FrameType.Join, room: "public:big", since: { offset: 0, epoch: j.epoch } })).toMatchObject({ recovered: false, reason: "too_many" });
  // ephemeral namespace: no history, no recovery.
  expect(await c.request({ type: FrameType.Join, room: "game:1", since: { offset: 1, epoch: "x" } })).toMatchObject({ recovered: false, reason: "ephemeral" });
});
