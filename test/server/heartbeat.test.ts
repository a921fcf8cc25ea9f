import { expect, test } from "bun:test";
import { DisconnectCode, FrameType } from "../../proto/index.ts";
import { eventually, freezeClock, sweptAt } from "../helpers/frozen-clock.ts";
import { rawConnect } from "../helpers/raw-ws.ts";
import { startTestServer } from "../helpers/server.ts";

test("a dead connection (never answers pings, sends nothing) is closed and leaves presence", async () => {
  // The server pings a session idle for 200 ms and closes one silent for 600 ms. The clock moves
  // only in steps of 250 ms, each after the watcher's pong came back: a stalled machine cannot
  // make the ghost (or the watcher) look silent before the test says so.
  using clock = freezeClock();
  await using server = await startTestServer({ heartbeatMs: 400 });
  const watcher = await server.client("watcher");
  await watcher.request({ type: FrameType.Join, room: "public:hb" });
  const raw = await rawConnect(server.port, `/ws?token=${await server.token("ghost")}`);
  const { encode } = await import("@msgpack/msgpack");
  raw.sendFrame(encode([FrameType.Join, 1, "public:hb"]));
  const joined = await watcher.next((f) => f.type === FrameType.PresenceEvent);
  expect(joined).toMatchObject({ action: 1, user: "ghost" });
  const [ghost] = server.node.sessionsOf("ghost");
  const [live] = server.node.sessionsOf("watcher");
  // The raw client never answers pings and never sends again.
  for (let step = 1; step <= 2; step++) {
    const now = clock.advance(250);
    await eventually(() => live!.lastSeen === now, `the watcher's pong of step ${step}`);
  }
  expect(ghost!.closed).toBe(false); // silent for 500 ms: not yet
  clock.advance(250);
  await sweptAt(server.node, clock.now()); // silent for 750 ms
  expect(ghost!.closed).toBe(true);
  await raw.ended;
  expect(raw.closeCode()).toBe(DisconnectCode.HeartbeatTimeout);
  expect(await watcher.next((f) => f.type === FrameType.PresenceEvent)).toMatchObject({ action: 2, user: "ghost" });
  expect(watcher.closeCode).toBeUndefined();
});

test("a live client that answers WebSocket pings stays connected without sending frames", async () => {
  // The server closes a session silent for 450 ms and pings one idle for 150 ms. The clock moves
  // only in steps of 200 ms, each after the client's pong to the previous ping came back, so a
  // stalled machine cannot stretch a step past the limit.
  using clock = freezeClock();
  await using server = await startTestServer({ heartbeatMs: 300 });
  const client = await server.client("alive");
  const session = [...server.node.sessionsOf("alive")][0]!;
  for (let step = 1; step <= 6; step++) {
    const now = clock.advance(200);
    await eventually(() => session.lastSeen === now, `the pong of step ${step}`);
  }
  // 1200 ms of server time, with nothing sent but WebSocket pongs.
  expect(client.closeCode).toBeUndefined();
  expect(await client.request({ type: FrameType.Counts })).toEqual({ users: 1, sessions: 1 });
});

test("protocol PING gets PONG", async () => {
  await using server = await startTestServer();
  const client = await server.client("p");
  client.send({ type: FrameType.Ping });
  expect(await client.next((f) => f.type === FrameType.Pong)).toEqual({ type: FrameType.Pong });
});

test("a sweep that runs late (the process was stalled) times nobody out; the next punctual one does", async () => {
  await using server = await startTestServer({ heartbeatMs: 1000 });
  const c = await server.client("quiet");
  const later = Date.now() + 10_000; // far past 1.5 × heartbeat of silence
  server.node.sweep(later, true);
  expect(server.node.sessions.size).toBe(1);
  server.node.sweep(later, false);
  expect((await c.closed).code).toBe(DisconnectCode.HeartbeatTimeout);
});
