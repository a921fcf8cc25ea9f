import { describe, expect, test } from "bun:test";
import { createMsgpackCodec, FrameType, type MessageFrame } from "../../proto/index.ts";
import { ReplyError } from "../helpers/client.ts";
import { startTestServer } from "../helpers/server.ts";

const isMessage = (f: { type: number }): f is MessageFrame => f.type === FrameType.Message;

describe("direct messages", () => {
  test("reach every device of the recipient and sync to the sender's other devices", async () => {
    await using server = await startTestServer();
    const alicePhone = await server.client("alice");
    const aliceLaptop = await server.client("alice");
    const bobPhone = await server.client("bob");
    const bobLaptop = await server.client("bob");
    const reply = await bobPhone.request({ type: FrameType.Direct, user: "alice", payload: { text: "hi alice" } });
    expect(reply.id).toBeString();
    for (const device of [alicePhone, aliceLaptop]) {
      const m = (await device.next(isMessage)) as MessageFrame;
      expect(m).toMatchObject({ channel: "@bob", from: "bob", id: reply.id, payload: { text: "hi alice" } });
    }
    const copy = (await bobLaptop.next(isMessage)) as MessageFrame;
    expect(copy).toMatchObject({ channel: "@alice", from: "bob", id: reply.id });
  });

  test("the sender is stamped from the token; identity fields in frames are ignored", async () => {
    await using server = await startTestServer();
    const alice = await server.client("alice");
    const mallory = await server.client("mallory");
    // A DIRECT frame with extra trailing fields claiming to be bob: extras are ignored.
    const codec = createMsgpackCodec();
    const { encode } = await import("@msgpack/msgpack");
    mallory.ws.send(encode([FrameType.Direct, 77, "alice", "i am bob", null, "bob", { from: "bob" }]));
    const m = (await alice.next(isMessage)) as MessageFrame;
    expect(m.from).toBe("mallory");
    expect(m.channel).toBe("@mallory");
    // A client may not send server frames (e.g. a forged MESSAGE push).
    mallory.ws.send(codec.encode({ type: FrameType.Message, channel: "@bob", id: "x", offset: 1, time: 1, from: "bob", payload: "forged" }) as Uint8Array<ArrayBuffer>);
    const err = await mallory.next((f) => f.type === FrameType.Error).catch(() => undefined);
    expect(err ?? mallory.all(FrameType.Error)[0]).toBeDefined();
    // Sentinel: a real DIRECT from mallory to alice, sent after the forged frame on the same
    // socket. Had the forged frame been delivered, it would reach alice before this one.
    await mallory.request({ type: FrameType.Direct, user: "alice", payload: "sentinel" });
    expect(await alice.next(isMessage)).toMatchObject({ from: "mallory", payload: "sentinel" });
    expect(alice.all<MessageFrame>(FrameType.Message).some((f) => f.payload === "forged")).toBe(false);
  });
});

describe("rooms", () => {
  test("public rooms are open; other rooms need a matching rooms claim or admin", async () => {
    await using server = await startTestServer();
    const plain = await server.client("p");
    const member = await server.client("m", { mint: { rooms: ["team:*"] } });
    const admin = await server.client("root", { mint: { role: "admin" } });
    await plain.request({ type: FrameType.Join, room: "public:lobby" });
    await expect(plain.request({ type: FrameType.Join, room: "team:a" })).rejects.toMatchObject({ code: 403 });
    await expect(plain.request({ type: FrameType.Publish, room: "team:a", payload: 1 })).rejects.toMatchObject({ code: 403 });
    await expect(plain.request({ type: FrameType.History, channel: "team:a" })).rejects.toMatchObject({ code: 403 });
    await member.request({ type: FrameType.Join, room: "team:a" });
    await expect(member.request({ type: FrameType.Join, room: "ops:a" })).rejects.toMatchObject({ code: 403 });
    await admin.request({ type: FrameType.Join, room: "ops:a" });
    await expect(plain.request({ type: FrameType.Join, room: "bad name!" })).rejects.toMatchObject({ code: 400 });
  });

  test("messages fan out to every member (sender included) and stop after leave", async () => {
    await using server = await startTestServer();
    const clients = await Promise.all(["a", "b", "c"].map((u) => server.client(u)));
    for (const c of clients) await c.request({ type: FrameType.Join, room: "public:r" });
    const sent = await clients[0]!.request({ type: FrameType.Publish, room: "public:r", payload: "one" });
    for (const c of clients) expect(await c.next(isMessage)).toMatchObject({ channel: "public:r", id: sent.id, from: "a", payload: "one", offset: sent.offset });
    await clients[2]!.request({ type: FrameType.Leave, room: "public:r" });
    await clients[0]!.request({ type: FrameType.Publish, room: "public:r", payload: "two" });
    expect(await clients[1]!.next(isMessage)).toMatchObject({ payload: "two" });
    // Sentinel: c joins again and a third message follows on the same room. "two" was already
    // handed to the room's subscribers (b has it), so had c still been one, "two" would come first.
    await clients[2]!.request({ type: FrameType.Join, room: "public:r" });
    const three = await clients[0]!.request({ type: FrameType.Publish, room: "public:r", payload: "three" });
    expect(await clients[2]!.next(isMessage)).toMatchObject({ id: three.id, payload: "three" });
    expect(clients[2]!.all<MessageFrame>(FrameType.Message).some((m) => m.payload === "two")).toBe(false);
  });

  test("rooms per session are limited", async () => {
    await using server = await startTestServer({ maxRoomsPerSession: 2 });
    const c = await server.client("a");
    await c.request({ type: FrameType.Join, room: "public:1" });
    await c.request({ type: FrameType.Join, room: "public:2" });
    await expect(c.request({ type: FrameType.Join, room: "public:3" })).rejects.toMatchObject({ code: 422 });
  });

  test("JSON and msgpack clients in one room both receive each message", async () => {
    await using server = await startTestServer();
    const bin = await server.client("bin");
    const text = await server.client("text", { json: true });
    await bin.request({ type: FrameType.Join, room: "public:mixed" });
    await text.request({ type: FrameType.Join, room: "public:mixed" });
    await text.request({ type: FrameType.Publish, room: "public:mixed", payload: { b: new Uint8Array([1, 2, 3]) } });
    const a = (await bin.next(isMessage)) as MessageFrame;
    const b = (await text.next(isMessage)) as MessageFrame;
    expect(a.payload).toEqual({ b: new Uint8Array([1, 2, 3]) });
    expect(b.payload).toEqual({ b: new Uint8Array([1, 2, 3]) });
  });
});

describe("broadcast", () => {
  test("admins reach everyone; others are refused", async () => {
    await using server = await startTestServer();
    const admin = await server.client("root", { mint: { role: "admin" } });
    const users = await Promise.all(["a", "b"].map((u) => server.client(u)));
    await expect(users[0]!.request({ type: FrameType.Broadcast, payload: "x" })).rejects.toBeInstanceOf(ReplyError);
    await admin.request({ type: FrameType.Broadcast, payload: "maintenance at 5" });
    for (const u of users) expect(await u.next(isMessage)).toMatchObject({ channel: "*", from: "root", payload: "maintenance at 5" });
  });
});
