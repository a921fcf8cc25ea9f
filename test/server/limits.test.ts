import { expect, test } from "bun:test";
import { encode } from "@msgpack/msgpack";
import { DisconnectCode, FrameType } from "../../proto/index.ts";
import { eventually, freezeClock } from "../helpers/frozen-clock.ts";
import { rawConnect } from "../helpers/raw-ws.ts";
import { startTestServer } from "../helpers/server.ts";

test("an oversize payload gets ERROR 413 and the socket stays open", async () => {
  await using server = await startTestServer({ maxPayloadBytes: 1024, maxFrameBytes: 8192 });
  const c = await server.client("a");
  await expect(c.request({ type: FrameType.Publish, room: "public:x", payload: "x".repeat(2000) })).rejects.toMatchObject({ code: 413 });
  await expect(c.request({ type: FrameType.Direct, user: "b", payload: new Uint8Array(1500) })).rejects.toMatchObject({ code: 413 });
  expect(await c.request({ type: FrameType.Counts })).toEqual({ users: 1, sessions: 1 });
});

test("a WebSocket message over maxFrameBytes closes the socket with 1009", async () => {
  await using server = await startTestServer({ maxPayloadBytes: 1024, maxFrameBytes: 4096 });
  const c = await server.client("a");
  c.ws.send(new Uint8Array(10_000));
  const { code } = await c.closed;
  expect(code).toBe(1009);
});

test("rate limit: reply 429 first, disconnect 4003 on sustained abuse", async () => {
  // The bucket refills by Date.now(): frozen, so it does not refill between these frames however
  // long the machine takes over them.
  using _clock = freezeClock();
  await using server = await startTestServer({ ratePerSecond: 1, rateBurst: 5, rateMaxStrikes: 20 });
  const c = await server.client("spammer"); // the connect took one of the 5 tokens
  const results = await Promise.allSettled(Array.from({ length: 10 }, () => c.request({ type: FrameType.Counts })));
  expect(results.filter((r) => r.status === "fulfilled").length).toBe(4);
  expect(results.filter((r) => r.status === "rejected" && (r.reason as { code?: number }).code === 429).length).toBe(6);
  for (let i = 0; i < 30; i++) c.send({ type: FrameType.Counts, rid: 1000 + i } as never);
  const { code } = await c.closed;
  expect(code).toBe(DisconnectCode.RateLimited);
  // Others are unaffected.
  const other = await server.client("calm");
  expect(await other.request({ type: FrameType.Counts })).toEqual({ users: 1, sessions: 1 });
});

test("max sessions per user and max connections close with their codes", async () => {
  await using server = await startTestServer({ maxSessionsPerUser: 2, maxConnections: 3 });
  await server.client("a");
  await server.client("a");
  const third = await server.client("a", { noHello: true });
  expect((await third.closed).code).toBe(DisconnectCode.SessionLimit);
  await server.client("b");
  const over = await server.client("c", { noHello: true });
  expect((await over.closed).code).toBe(DisconnectCode.ConnectionLimit);
});

test("a slow consumer (stops reading) is disconnected with 4001; others keep being served", async () => {
  await using server = await startTestServer({ namespaces: [{ prefix: "", ephemeral: true, maxMessages: 0, maxAgeMs: 0 }], slowConsumerBytes: 64 * 1024, heartbeatMs: 60_000, ratePerSecond: 100_000, rateBurst: 100_000 });
  const raw = await rawConnect(server.port, `/ws?token=${await server.token("slow")}`);
  raw.sendFrame(encode([FrameType.Join, 1, "public:firehose"]));
  const slow = () => [...server.node.sessionsOf("slow")][0];
  await eventually(() => slow()?.rooms.has("public:firehose") === true && !slow()!.work?.joining.has("public:firehose"), "the slow session's join");
  raw.socket.pause(); // stop reading: the kernel buffers fill, then Bun's
  const fast = await server.client("fast");
  await fast.request({ type: FrameType.Join, room: "public:firehose" });
  const publisher = await server.client("pub");
  const payload = "y".repeat(60_000);
  for (let i = 0; i < 2000 && server.node.sessions.size === 3; i++) {
    await publisher.request({ type: FrameType.Publish, room: "public:firehose", payload });
  }
  await eventually(() => server.node.sessions.size !== 3, "the slow consumer to be closed");
  expect([...server.node.sessions.values()].map((s) => s.user).sort()).toEqual(["fast", "pub"]);
  expect(server.node.stats.disconnectsByCode.get(DisconnectCode.SlowConsumer)).toBe(1);
  expect(await fast.request({ type: FrameType.Counts })).toEqual({ users: 2, sessions: 2 });
  raw.socket.destroy();
});

test("a slow consumer closed with 4001 gets the DISCONNECT frame and the close frame once it reads again", async () => {
  const slowConsumerBytes = 256 * 1024;
  await using server = await startTestServer({ namespaces: [{ prefix: "", ephemeral: true, maxMessages: 0, maxAgeMs: 0 }], slowConsumerBytes, heartbeatMs: 60_000, ratePerSecond: 100_000, rateBurst: 100_000 });
  const raw = await rawConnect(server.port, `/ws?token=${await server.token("slow")}`);
  raw.sendFrame(encode([FrameType.Join, 1, "public:firehose"]));
  const slow = () => [...server.node.sessionsOf("slow")][0];
  await eventually(() => slow()?.rooms.has("public:firehose") === true && !slow()!.work?.joining.has("public:firehose"), "the slow session's join");
  raw.socket.pause(); // stop reading: the kernel buffers fill, then Bun's
  const session = slow()!;
  const publisher = await server.client("pub");
  const payload = "y".repeat(60_000);
  // Publish until the server holds more than the threshold for the slow session, then stop and
  // run the check (the periodic one may have run already): it closes the session while its buffer
  // is below Bun's drop limit.
  for (let i = 0; i < 5000 && session.ws.getBufferedAmount() <= slowConsumerBytes && !session.closed; i++) {
    await publisher.request({ type: FrameType.Publish, room: "public:firehose", payload });
  }
  server.node.closeSlowConsumers();
  expect(session.closed).toBe(true);
  raw.socket.resume(); // read everything that was queued: the DISCONNECT and the close come last
  await raw.ended;
  expect(raw.closeCode()).toBe(DisconnectCode.SlowConsumer);
  // The DISCONNECT frame (msgpack [6, 4001, "slow consumer"]) precedes the close frame.
  const disconnect = Buffer.from(encode([FrameType.Disconnect, DisconnectCode.SlowConsumer, "slow consumer"]));
  expect(raw.received().indexOf(disconnect)).toBeGreaterThan(0);
});
