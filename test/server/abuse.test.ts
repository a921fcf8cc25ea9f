/**
 * One ordinary user must not be able to stall everyone within the limits: every frame costs a
 * token (ACK and invalid frames included), expensive reads charge by the work they cause, a
 * session's store requests in flight are bounded, ACKs are coalesced, large reads are cut by
 * bytes, and room names that are JavaScript object machinery are refused.
 */
import { describe, expect, test } from "bun:test";
import { DisconnectCode, FrameType, MsgpackWriter, type Frame } from "../../proto/index.ts";
import { REQUEST_QUEUE_MAX, UNREAD_MAX } from "../../src/node/costs.ts";
import { roomStream } from "../../src/node/keys.ts";
import { openSqliteStore } from "../../src/store/sqlite.ts";
import type { NewMessage } from "../../src/store/port.ts";
import type { TestClient } from "../helpers/client.ts";
import { freezeClock } from "../helpers/frozen-clock.ts";
import { startTestServer } from "../helpers/server.ts";

type Answer = { type: number; rid: number; code?: number; message?: string; result?: any };

/** Sends `frames` (rids filled from 10_000 up) as one WebSocket message; resolves with each one's REPLY or ERROR. */
function sendBatch(client: TestClient, frames: Array<Record<string, unknown> & { type: number }>): Promise<Answer[]> {
  const base = 10_000 + Math.floor(Math.random() * 1_000_000) * 1000;
  const answers = new Map<number, Answer>();
  const { promise, resolve, reject } = Promise.withResolvers<Answer[]>();
  const onMessage = (event: MessageEvent) => {
    const data = typeof event.data === "string" ? event.data : new Uint8Array(event.data as ArrayBuffer);
    for (const f of client.codec.decode(data) as Array<Frame & Answer>) {
      if ((f.type === FrameType.Reply || f.type === FrameType.Error) && f.rid >= base && f.rid < base + frames.length) answers.set(f.rid, f);
    }
    if (answers.size === frames.length) {
      client.ws.removeEventListener("message", onMessage);
      resolve(frames.map((_, i) => answers.get(base + i)!));
    }
  };
  client.ws.addEventListener("message", onMessage);
  void client.closed.then(({ code }) => reject(new Error(`closed ${code} with ${answers.size}/${frames.length} answers`)));
  client.ws.send(client.codec.encodeBatch(frames.map((f, i) => ({ ...f, rid: base + i }) as unknown as Frame)));
  return promise;
}

function payload(bytes: number): Uint8Array {
  const w = new MsgpackWriter();
  w.start();
  w.write("x".repeat(bytes));
  return w.finish();
}

/** Appends `count` messages to a room straight into the store (setting up history fast). */
async function fillRoom(store: { append(m: NewMessage[]): Promise<unknown> }, room: string, count: number, from = "writer", bytes = 10): Promise<void> {
  const body = payload(bytes);
  for (let done = 0; done < count; ) {
    const batch: NewMessage[] = [];
    for (let i = 0; i < 500 && done < count; i++, done++) {
      batch.push({ id: `${room}-${done}-${Math.random()}`, conversation: { kind: "room", room }, from, time: Date.now(), payload: body, streams: [roomStream(room)] });
    }
    await store.append(batch);
  }
}

describe("every frame is charged", () => {
  test("invalid frames take tokens: a flood gets a few ERRORs, then silence, then 4003", async () => {
    // The bucket refills by Date.now(): frozen, so a slow machine cannot add tokens mid-test.
    using _clock = freezeClock();
    await using server = await startTestServer({ ratePerSecond: 1, rateBurst: 10, rateMaxStrikes: 20 });
    const c = await server.client("mallory");
    const frames = Array.from({ length: 100 }, (_, i) => [99, i + 1]);
    const w = new MsgpackWriter();
    w.start();
    for (const f of frames) w.write(f);
    c.ws.send(w.finish());
    const closed = await c.closed;
    expect(closed.code).toBe(DisconnectCode.RateLimited);
    // The burst (10) less the connect's token: nothing refills on the frozen clock.
    expect(c.all(FrameType.Error).length).toBe(9);
  });

  test("ACKs take tokens: an ACK flood is closed with 4003", async () => {
    await using server = await startTestServer({ ratePerSecond: 1, rateBurst: 10, rateMaxStrikes: 20 });
    const c = await server.client("mallory");
    c.ws.send(c.codec.encodeBatch(Array.from({ length: 100 }, (_, i) => ({ type: FrameType.Ack, offset: i }) as Frame)));
    expect((await c.closed).code).toBe(DisconnectCode.RateLimited);
  });

  test("PINGs take tokens too", async () => {
    await using server = await startTestServer({ ratePerSecond: 1, rateBurst: 10, rateMaxStrikes: 20 });
    const c = await server.client("mallory");
    c.ws.send(c.codec.encodeBatch(Array.from({ length: 100 }, () => ({ type: FrameType.Ping }) as Frame)));
    expect((await c.closed).code).toBe(DisconnectCode.RateLimited);
    expect(c.all(FrameType.Pong).length).toBeLessThanOrEqual(12);
  });
});

describe("ACKs are coalesced", () => {
  test("100 ACKs in one message touch the store once, with the highest offset", async () => {
    const store = openSqliteStore(":memory:");
    let writes = 0;
    const advance = store.advanceCursor.bind(store);
    store.advanceCursor = (user, cursor, offset) => {
      if (cursor === "ack") writes++;
      return advance(user, cursor, offset);
    };
    await using server = await startTestServer({}, { store });
    const sender = await server.client("sender");
    for (let i = 0; i < 5; i++) await sender.request({ type: FrameType.Direct, user: "bob", payload: i });
    const bob = await server.client("bob");
    await bob.collect((f) => f.type === FrameType.Message, 5);
    bob.ws.send(bob.codec.encodeBatch(Array.from({ length: 100 }, (_, i) => ({ type: FrameType.Ack, offset: (i % 5) + 1 }) as Frame)));
    // A request answered after the ACK message was processed: the coalesced write ran before it.
    await bob.request({ type: FrameType.Unread });
    expect(writes).toBe(1);
    expect(await store.getCursor("bob", "ack")).toBe(5);
    await store.close();
  });
});

describe("large messages cost more", () => {
  test("a 60 KB PUBLISH takes 1 + 3 tokens: the burst serves a quarter as many as small ones", async () => {
    // The bucket refills by Date.now(): frozen, so a slow machine cannot add tokens mid-test.
    using _clock = freezeClock();
    await using server = await startTestServer({ ratePerSecond: 1, rateBurst: 20 });
    const c = await server.client("mallory"); // 19 tokens left
    const big = "x".repeat(60_000);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => c.request({ type: FrameType.Publish, room: "public:big", payload: big })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(4);
    expect(results.filter((r) => r.status === "rejected" && (r.reason as { code?: number }).code === 429)).toHaveLength(6);
  });
});

describe("ACK with a rid", () => {
  test("is answered {offset} once the coalesced write is stored", async () => {
    await using server = await startTestServer();
    const sender = await server.client("sender");
    for (let i = 0; i < 3; i++) await sender.request({ type: FrameType.Direct, user: "bob", payload: i });
    const bob = await server.client("bob");
    await bob.collect((f) => f.type === FrameType.Message, 3);
    const answers = await sendBatch(bob, [
      { type: FrameType.Ack, offset: 1 },
      { type: FrameType.Ack, offset: 3 },
      { type: FrameType.Ack, offset: 99 },
    ]);
    // One write of the highest offset, capped at the inbox's head: every ACK of the tick gets it.
    expect(answers.map((a) => a.result)).toEqual([{ offset: 3 }, { offset: 3 }, { offset: 3 }]);
    expect(await server.node.store.getCursor("bob", "ack")).toBe(3);
    // A lower ACK does not move the acknowledgement back.
    expect(await bob.request({ type: FrameType.Ack, offset: 2 })).toEqual({ offset: 3 });
  });
});

describe("expensive requests are charged by their cost", () => {
  test("UNREAD over 20 rooms spends many tokens: a burst of them is cut short with 429", async () => {
    // The bucket refills by Date.now(): frozen, so a slow machine cannot add tokens mid-test.
    using _clock = freezeClock();
    await using server = await startTestServer({ ratePerSecond: 1, rateBurst: 60, maxRoomsPerSession: 30 });
    const c = await server.client("mallory");
    const rooms = Array.from({ length: 20 }, (_, i) => `public:r${i}`);
    for (const room of rooms) await fillRoom(server.node.store, room, 100);
    const joins = await sendBatch(c, rooms.map((room) => ({ type: FrameType.Join, room })));
    expect(joins.every((a) => a.type === FrameType.Reply)).toBe(true);
    // 20 JOINs took 20 of 60 tokens. One UNREAD costs 1 + 20 rooms + the messages it counted.
    const answers = await sendBatch(c, Array.from({ length: 10 }, () => ({ type: FrameType.Unread })));
    const served = answers.filter((a) => a.type === FrameType.Reply);
    expect(served.length).toBeGreaterThanOrEqual(1);
    expect(served.length).toBeLessThanOrEqual(2);
    expect(served[0]!.result["public:r0"]).toBe(100);
    expect(answers.filter((a) => a.code === 429).length).toBe(10 - served.length);
  });

  test("a session runs at most maxPendingRequests store requests at once; more wait in a bounded queue", async () => {
    await using server = await startTestServer({ maxPendingRequests: 2, rateBurst: 1000 });
    const c = await server.client("mallory");
    await fillRoom(server.node.store, "public:busy", 10);
    let running = 0;
    let most = 0;
    const read = server.node.store.read.bind(server.node.store);
    server.node.store.read = async (stream, query) => {
      most = Math.max(most, ++running);
      try {
        await new Promise((resolve) => setImmediate(resolve));
        return await read(stream, query);
      } finally {
        running--;
      }
    };
    // One message of 100 requests: all are answered (none refused), two at a time.
    const answers = await sendBatch(c, Array.from({ length: 100 }, () => ({ type: FrameType.History, channel: "public:busy" })));
    expect(answers.every((a) => a.type === FrameType.Reply && a.result.messages.length === 10)).toBe(true);
    expect(most).toBe(2);
  });

  test("requests beyond the queue's bound are refused with 429", async () => {
    await using server = await startTestServer({ maxPendingRequests: 1, rateBurst: 1000 });
    const c = await server.client("mallory");
    const gate = Promise.withResolvers<void>();
    const read = server.node.store.read.bind(server.node.store);
    server.node.store.read = async (stream, query) => {
      await gate.promise;
      return read(stream, query);
    };
    // One running, REQUEST_QUEUE_MAX waiting, 5 more: sent as messages of at most 100 frames.
    const total = 1 + REQUEST_QUEUE_MAX + 5;
    const messages: Promise<Answer[]>[] = [];
    for (let sent = 0; sent < total; sent += 100) {
      messages.push(sendBatch(c, Array.from({ length: Math.min(100, total - sent) }, () => ({ type: FrameType.History, channel: "public:busy" }))));
    }
    const pending = Promise.all(messages).then((all) => all.flat());
    // A PING after them is answered while they wait: the queue holds requests, not the session.
    c.send({ type: FrameType.Ping });
    await c.next((f) => f.type === FrameType.Pong);
    gate.resolve();
    const answers = await pending;
    expect(answers.filter((a) => a.type === FrameType.Reply)).toHaveLength(1 + REQUEST_QUEUE_MAX);
    expect(answers.filter((a) => a.code === 429 && /in flight/.test(a.message!))).toHaveLength(5);
  });

  test("UNREAD stops counting at UNREAD_MAX per room", async () => {
    await using server = await startTestServer();
    await fillRoom(server.node.store, "public:big", UNREAD_MAX + 200);
    await fillRoom(server.node.store, "public:small", 30);
    await fillRoom(server.node.store, "public:small", 20, "reader");
    const c = await server.client("reader");
    await c.request({ type: FrameType.Join, room: "public:big" });
    await c.request({ type: FrameType.Join, room: "public:small" });
    const unread = await c.request({ type: FrameType.Unread });
    expect(unread["public:big"]).toBe(UNREAD_MAX);
    expect(unread["public:small"]).toBe(30);
  });

  test("HISTORY replies carry at most 1 MiB of payloads, the newest first kept; paging goes on from there", async () => {
    await using server = await startTestServer({ maxPayloadBytes: 64 * 1024 });
    await fillRoom(server.node.store, "public:fat", 40, "writer", 60_000);
    const c = await server.client("reader");
    const page = await c.request({ type: FrameType.History, channel: "public:fat", limit: 50 });
    const offsets = page.messages.map((m: unknown[]) => m[3]);
    expect(offsets.length).toBeGreaterThan(1);
    expect(offsets.length).toBeLessThan(40);
    expect(offsets.at(-1)).toBe(40);
    const older = await c.request({ type: FrameType.History, channel: "public:fat", before: offsets[0], limit: 50 });
    expect(older.messages.at(-1)[3]).toBe(offsets[0] - 1);
    const fromStart = await c.request({ type: FrameType.History, channel: "public:fat", after: 0, limit: 50 });
    expect(fromStart.messages[0][3]).toBe(1);
  });

  test("a HISTORY over large payloads reads in steps: what it reads stays near the reply's 1 MiB", async () => {
    await using server = await startTestServer({ maxPayloadBytes: 64 * 1024 });
    await fillRoom(server.node.store, "public:huge", 300, "writer", 60_000);
    let readBytes = 0;
    const read = server.node.store.read.bind(server.node.store);
    server.node.store.read = async (stream, query) => {
      const page = await read(stream, query);
      for (const m of page.messages) readBytes += m.payload.byteLength;
      return page;
    };
    const c = await server.client("reader");
    const page = await c.request({ type: FrameType.History, channel: "public:huge", limit: 1000 });
    expect(page.messages.length).toBeLessThan(20);
    // 300 × 60 KB = 18 MB stored; one step of 100 messages past the budget at most.
    expect(readBytes).toBeLessThan(1024 * 1024 + 100 * 60_100);
  });

  test("a recovering JOIN over more than 8 MiB of payloads answers too_many instead", async () => {
    await using server = await startTestServer({ maxPayloadBytes: 64 * 1024 });
    const c = await server.client("reader");
    const first = await c.request({ type: FrameType.Join, room: "public:fat" });
    await c.request({ type: FrameType.Leave, room: "public:fat" });
    await fillRoom(server.node.store, "public:fat", 150, "writer", 60_000);
    const again = await c.request({ type: FrameType.Join, room: "public:fat", since: { offset: 0, epoch: first.epoch } });
    expect(again).toMatchObject({ recovered: false, reason: "too_many", offset: 150, messages: [] });
  });
});

describe("room names and join order", () => {
  test("__proto__, constructor and prototype are refused as room names everywhere", async () => {
    await using server = await startTestServer({ apiKeys: ["api-key-0123456789abcdef"] });
    const c = await server.client("admin", { mint: { role: "admin" } });
    for (const room of ["__proto__", "constructor", "prototype"]) {
      const answers = await sendBatch(c, [
        { type: FrameType.Join, room },
        { type: FrameType.Publish, room, payload: 1 },
        { type: FrameType.History, channel: room },
        { type: FrameType.Read, channel: room, offset: 1 },
      ]);
      expect(answers.map((a) => a.code)).toEqual([400, 400, 400, 400]);
      const res = await fetch(`${server.url}/api/rooms/${room}/publish`, {
        method: "POST",
        headers: { authorization: "Bearer api-key-0123456789abcdef", "content-type": "application/json" },
        body: JSON.stringify({ payload: 1 }),
      });
      expect(res.status).toBe(400);
    }
    const unread = await c.request({ type: FrameType.Unread });
    expect(Object.keys(unread)).toEqual([]);
  });

  test("JOIN r, LEAVE r, JOIN r in one message leaves the session in r once", async () => {
    await using server = await startTestServer();
    const c = await server.client("alice");
    const answers = await sendBatch(c, [
      { type: FrameType.Join, room: "public:r" },
      { type: FrameType.Leave, room: "public:r" },
      { type: FrameType.Join, room: "public:r" },
    ]);
    expect(answers[1]).toMatchObject({ type: FrameType.Reply });
    expect(answers[2]).toMatchObject({ type: FrameType.Reply });
    expect(answers[0]!.type === FrameType.Reply || answers[0]!.code === 400).toBe(true);
    const presence = await c.request({ type: FrameType.Presence, room: "public:r" });
    expect(presence.sessions).toBe(1);
    const bob = await server.client("bob");
    await bob.request({ type: FrameType.Publish, room: "public:r", payload: "hi" });
    await c.next((f) => f.type === FrameType.Message);
    // Exactly one copy: a later sentinel arrives with no second copy before it.
    await bob.request({ type: FrameType.Publish, room: "public:r", payload: "sentinel" });
    const next = await c.next((f) => f.type === FrameType.Message);
    expect((next as { payload: unknown }).payload).toBe("sentinel");
  });

  test("JOIN r, LEAVE r in one message leaves the session out of r", async () => {
    await using server = await startTestServer();
    const c = await server.client("alice");
    const answers = await sendBatch(c, [
      { type: FrameType.Join, room: "public:r" },
      { type: FrameType.Leave, room: "public:r" },
    ]);
    expect(answers[1]).toMatchObject({ type: FrameType.Reply });
    const watcher = await server.client("watcher");
    await watcher.request({ type: FrameType.Join, room: "public:r" });
    const presence = await watcher.request({ type: FrameType.Presence, room: "public:r" });
    expect(presence.users).toEqual([["watcher", 1]]);
  });
});

describe("the rate limit is per user", () => {
  test("a user's sessions share one bucket", async () => {
    // The bucket refills by Date.now(): frozen, so a slow machine cannot add tokens mid-test.
    using _clock = freezeClock();
    await using server = await startTestServer({ ratePerSecond: 1, rateBurst: 12 });
    const a = await server.client("mallory");
    const b = await server.client("mallory"); // the two connects took 2 of 12 tokens
    const first = await sendBatch(a, Array.from({ length: 10 }, () => ({ type: FrameType.Counts })));
    expect(first.every((x) => x.type === FrameType.Reply)).toBe(true);
    const second = await sendBatch(b, Array.from({ length: 3 }, () => ({ type: FrameType.Counts })));
    expect(second.filter((x) => x.code === 429).length).toBeGreaterThanOrEqual(2);
    // Another user is not affected.
    const other = await server.client("bystander");
    expect(await other.request({ type: FrameType.Counts })).toEqual({ users: 2, sessions: 3 });
  });

  test("reconnecting does not buy a fresh burst: a user closed with 4003 is refused at the handshake (429)", async () => {
    await using server = await startTestServer({ ratePerSecond: 1, rateBurst: 10, rateMaxStrikes: 20 });
    const c = await server.client("mallory");
    c.ws.send(c.codec.encodeBatch(Array.from({ length: 100 }, () => ({ type: FrameType.Ping }) as Frame)));
    expect((await c.closed).code).toBe(DisconnectCode.RateLimited);
    const res = await fetch(`${server.url}/ws?token=${await server.token("mallory")}`, {
      headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" },
    });
    expect(res.status).toBe(429);
    expect(await res.json()).toMatchObject({ error: "rate_limited" });
    // Other users connect as usual.
    await server.client("bystander");
  });
});

describe("recovery is charged before it reads", () => {
  test("a burst of recovering JOINs stops being served once the user's bucket is spent", async () => {
    // The bucket refills by Date.now(): frozen, so a slow machine cannot add tokens mid-test.
    using _clock = freezeClock();
    await using server = await startTestServer({ ratePerSecond: 1, rateBurst: 100 });
    const c = await server.client("mallory");
    const rooms = Array.from({ length: 10 }, (_, i) => `public:rec${i}`);
    const epochs: string[] = [];
    for (const room of rooms) {
      await fillRoom(server.node.store, room, 1000);
      epochs.push((await server.node.store.streamInfo(roomStream(room))).epoch);
    }
    // 99 tokens left after the connect; 10 JOINs take 10; each recovery of 1000 messages 20 more.
    const answers = await sendBatch(c, rooms.map((room, i) => ({ type: FrameType.Join, room, since: { offset: 0, epoch: epochs[i] } })));
    const recovered = answers.filter((a) => a.type === FrameType.Reply && a.result.recovered && a.result.messages.length === 1000);
    expect(recovered).toHaveLength(5);
    expect(answers.filter((a) => a.code === 429)).toHaveLength(5);
  });
});
