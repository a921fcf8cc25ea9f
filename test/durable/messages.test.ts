import { expect, test } from "bun:test";
import { FrameType, ReplyCode, type MessageFrame, type UpdateFrame } from "../../proto/index.ts";
import { freezeClock } from "../helpers/frozen-clock.ts";
import { startTestServer } from "../helpers/server.ts";
import { fromWireMessages } from "../helpers/messages.ts";

const isMessage = (f: { type: number }) => f.type === FrameType.Message;
const isUpdate = (f: { type: number }) => f.type === FrameType.Update;

test("a resend with the same client message id is a no-op that returns the original reply", async () => {
  await using server = await startTestServer();
  const a = await server.client("a");
  const b = await server.client("b");
  await b.request({ type: FrameType.Join, room: "public:idem" });
  const first = await a.request({ type: FrameType.Publish, room: "public:idem", payload: "once", cmid: "c-1" });
  const again = await a.request({ type: FrameType.Publish, room: "public:idem", payload: "once", cmid: "c-1" });
  expect(again).toMatchObject({ id: first.id, offset: first.offset, time: first.time });
  // Two sends of one cmid in the same group-commit batch.
  const [x, y] = await Promise.all([
    a.request({ type: FrameType.Publish, room: "public:idem", payload: "twice", cmid: "c-2" }),
    a.request({ type: FrameType.Publish, room: "public:idem", payload: "twice", cmid: "c-2" }),
  ]);
  expect(y.id).toBe(x.id);
  const dm1 = await a.request({ type: FrameType.Direct, user: "b", payload: "dm", cmid: "c-3" });
  const dm2 = await a.request({ type: FrameType.Direct, user: "b", payload: "dm", cmid: "c-3" });
  expect(dm2.id).toBe(dm1.id);
  await Bun.sleep(50);
  const seen = b.all<MessageFrame>(FrameType.Message);
  expect(seen.filter((m) => m.payload === "once")).toHaveLength(1);
  expect(seen.filter((m) => m.payload === "twice")).toHaveLength(1);
  expect(seen.filter((m) => m.payload === "dm")).toHaveLength(1);
  expect(seen.find((m) => m.payload === "once")!.cmid).toBe("c-1");
  // Another user may use the same cmid independently.
  const other = await b.request({ type: FrameType.Publish, room: "public:idem", payload: "mine", cmid: "c-1" });
  expect(other.id).not.toBe(first.id);
});

test("recall and edit: the sender within the window, admins always; pushes and history show the new state", async () => {
  // The edit window is measured with Date.now(): frozen, so the edits below are inside it however
  // long the machine takes, and the clock passes it only when the test moves it.
  using clock = freezeClock();
  await using server = await startTestServer({ editWindowMs: 300 });
  const alice = await server.client("alice");
  const bob = await server.client("bob");
  const admin = await server.client("root", { mint: { role: "admin" } });
  for (const c of [alice, bob]) await c.request({ type: FrameType.Join, room: "public:e" });
  const m1 = await alice.request({ type: FrameType.Publish, room: "public:e", payload: "typo" });
  const m2 = await alice.request({ type: FrameType.Publish, room: "public:e", payload: "oops" });
  await expect(bob.request({ type: FrameType.Edit, id: m1.id, payload: "hacked" })).rejects.toMatchObject({ code: ReplyCode.Forbidden });
  await expect(bob.request({ type: FrameType.Recall, id: m1.id })).rejects.toMatchObject({ code: ReplyCode.Forbidden });
  await alice.request({ type: FrameType.Edit, id: m1.id, payload: "fixed" });
  expect(await bob.next(isUpdate)).toMatchObject({ channel: "public:e", id: m1.id, action: 1, payload: "fixed", by: "alice" });
  await alice.request({ type: FrameType.Recall, id: m2.id });
  expect(await bob.next(isUpdate)).toMatchObject({ id: m2.id, action: 2, payload: null });
  await expect(alice.request({ type: FrameType.Edit, id: m2.id, payload: "back" })).rejects.toMatchObject({ code: ReplyCode.Gone });
  const history = fromWireMessages((await bob.request({ type: FrameType.History, channel: "public:e" })).messages);
  expect(history.map((m) => [m.offset, m.state ?? 0, m.payload])).toEqual([
    [1, 1, "fixed"],
    [2, 2, null],
  ]);
  const m3 = await alice.request({ type: FrameType.Publish, room: "public:e", payload: "late" });
  clock.advance(301);
  await expect(alice.request({ type: FrameType.Recall, id: m3.id })).rejects.toMatchObject({ code: ReplyCode.Gone });
  await admin.request({ type: FrameType.Recall, id: m3.id });
  await expect(alice.request({ type: FrameType.Recall, id: "no-such-id" })).rejects.toMatchObject({ code: ReplyCode.NotFound });
});

test("recalling a direct message tells both parties, each in their own channel", async () => {
  await using server = await startTestServer();
  const alice = await server.client("alice");
  const bob = await server.client("bob");
  const sent = await alice.request({ type: FrameType.Direct, user: "bob", payload: "secret" });
  await bob.next(isMessage);
  await alice.request({ type: FrameType.Recall, id: sent.id });
  expect((await bob.next(isUpdate)) as UpdateFrame).toMatchObject({ channel: "@alice", id: sent.id, action: 2 });
  expect((await alice.next(isUpdate)) as UpdateFrame).toMatchObject({ channel: "@bob", id: sent.id, action: 2 });
  const mallory = await server.client("mallory");
  await expect(mallory.request({ type: FrameType.Recall, id: sent.id })).rejects.toMatchObject({ code: ReplyCode.NotFound });
});

test("read positions: the other party sees them and unread counts follow", async () => {
  await using server = await startTestServer();
  const alice = await server.client("alice");
  const bob = await server.client("bob");
  for (const c of [alice, bob]) await c.request({ type: FrameType.Join, room: "public:rr" });
  for (let i = 0; i < 5; i++) await alice.request({ type: FrameType.Publish, room: "public:rr", payload: i });
  for (let i = 0; i < 3; i++) await alice.request({ type: FrameType.Direct, user: "bob", payload: `dm${i}` });
  expect(await bob.request({ type: FrameType.Unread })).toEqual({ "public:rr": 5, "@alice": 3 });
  // Your own messages are not unread to you.
  expect(await alice.request({ type: FrameType.Unread })).toEqual({ "public:rr": 0 });
  expect(await bob.request({ type: FrameType.Read, channel: "public:rr", offset: 3 })).toEqual({ offset: 3 });
  expect(await alice.next((f) => f.type === FrameType.ReadEvent)).toMatchObject({ channel: "public:rr", user: "bob", offset: 3 });
  const dms = (await bob.collect((f) => f.type === FrameType.Message && (f as MessageFrame).channel === "@alice", 3)) as MessageFrame[];
  await bob.request({ type: FrameType.Read, channel: "@alice", offset: dms[1]!.offset });
  expect(await alice.next((f) => f.type === FrameType.ReadEvent)).toMatchObject({ channel: "@bob", user: "bob", id: dms[1]!.id });
  expect(await bob.request({ type: FrameType.Unread })).toEqual({ "public:rr": 2, "@alice": 1 });
  // Read positions never move back.
  expect(await bob.request({ type: FrameType.Read, channel: "public:rr", offset: 1 })).toEqual({ offset: 3 });
});

test("bad queries get clear errors", async () => {
  await using server = await startTestServer();
  const c = await server.client("c");
  await expect(c.request({ type: FrameType.History, channel: "public:h", limit: 0 })).rejects.toMatchObject({ code: ReplyCode.BadRequest });
  await expect(c.request({ type: FrameType.History, channel: "public:h", limit: 100_000 })).rejects.toMatchObject({ code: ReplyCode.BadRequest });
  await expect(c.request({ type: FrameType.History, channel: "secret:h" })).rejects.toMatchObject({ code: ReplyCode.Forbidden });
  await expect(c.request({ type: FrameType.History, channel: "@" })).rejects.toMatchObject({ code: ReplyCode.BadRequest });
  const { encode } = await import("@msgpack/msgpack");
  c.ws.send(encode([FrameType.History, 6, "public:h", null, null, -1])); // a negative limit
  expect(await c.next((f) => f.type === FrameType.Error)).toMatchObject({ rid: 6, code: ReplyCode.BadRequest });
  const page = await c.request({ type: FrameType.History, channel: "public:h" });
  expect(page).toMatchObject({ head: 0, messages: [] });
});

test("history pages before and after an offset", async () => {
  await using server = await startTestServer();
  const c = await server.client("c");
  for (let i = 1; i <= 12; i++) await c.request({ type: FrameType.Publish, room: "public:pg", payload: i });
  const newest = fromWireMessages((await c.request({ type: FrameType.History, channel: "public:pg", limit: 5 })).messages);
  expect(newest.map((m) => m.payload)).toEqual([8, 9, 10, 11, 12]);
  const before = fromWireMessages((await c.request({ type: FrameType.History, channel: "public:pg", limit: 5, before: 8 })).messages);
  expect(before.map((m) => m.payload)).toEqual([3, 4, 5, 6, 7]);
  const after = fromWireMessages((await c.request({ type: FrameType.History, channel: "public:pg", limit: 3, after: 2 })).messages);
  expect(after.map((m) => m.payload)).toEqual([3, 4, 5]);
});

test("a resend reuses the original reply: a cmid first used for a direct message never reveals the recipient's inbox offset", async () => {
  await using server = await startTestServer();
  const alice = await server.client("alice");
  const bob = await server.client("bob");
  for (let i = 0; i < 5; i++) await bob.request({ type: FrameType.Direct, user: "carol", payload: i }); // carol's inbox grows
  await alice.request({ type: FrameType.Publish, room: "public:z", payload: "filler" });
  const dm = await alice.request({ type: FrameType.Direct, user: "carol", payload: "hi", cmid: "k1" });
  expect(dm.offset).toBe(1); // alice's own inbox offset
  const reused = await alice.request({ type: FrameType.Publish, room: "public:z", payload: "other", cmid: "k1" });
  expect(reused).toEqual({ ...dm, duplicate: true });
});

test("§7.4: a PUBLISH reusing a DIRECT's cmid gets exactly the DIRECT's reply (the sender's own inbox offset) and stores nothing in the room", async () => {
  await using server = await startTestServer();
  const alice = await server.client("alice");
  const carol = await server.client("carol");
  const watcher = await server.client("watcher");
  const room = "public:same-cmid";
  const inRoom = (f: { type: number }) => isMessage(f) && (f as MessageFrame).channel === room;
  // Make every offset in play differ: carol's inbox is ahead of alice's, the room has its own head.
  for (let i = 0; i < 5; i++) await watcher.request({ type: FrameType.Direct, user: "carol", payload: i });
  await alice.request({ type: FrameType.Direct, user: "bob", payload: "first" });
  await watcher.request({ type: FrameType.Join, room });
  for (const payload of ["f1", "f2", "f3"]) await alice.request({ type: FrameType.Publish, room, payload });

  const dm = await alice.request({ type: FrameType.Direct, user: "carol", payload: "hi", cmid: "X" });
  const atAlice = (await alice.next((f) => isMessage(f) && (f as MessageFrame).payload === "hi")) as MessageFrame;
  const atCarol = (await carol.next((f) => isMessage(f) && (f as MessageFrame).payload === "hi")) as MessageFrame;
  expect(dm.offset).toBe(2); // alice's inbox: "first", then this
  expect(atAlice).toMatchObject({ channel: "@carol", id: dm.id, offset: dm.offset, cmid: "X" });
  expect(atCarol).toMatchObject({ channel: "@alice", id: dm.id, offset: 6 }); // carol's inbox offset, never shown to alice

  const resend = await alice.request({ type: FrameType.Publish, room, payload: "other", cmid: "X" });
  expect(resend).toEqual({ id: dm.id, offset: dm.offset, time: dm.time, duplicate: true });

  // Nothing was stored in the room or pushed to it: the next publish is offset 4 and the watcher's
  // fourth room MESSAGE.
  const after = await alice.request({ type: FrameType.Publish, room, payload: "after" });
  expect(after.offset).toBe(4);
  const seen: unknown[] = [];
  for (let i = 0; i < 4; i++) seen.push(((await watcher.next(inRoom)) as MessageFrame).payload);
  expect(seen).toEqual(["f1", "f2", "f3", "after"]);
  const page = await watcher.request({ type: FrameType.History, channel: room });
  expect(page.head).toBe(4);
  expect(fromWireMessages(page.messages).map((m) => m.payload)).toEqual(["f1", "f2", "f3", "after"]);
});

test("a direct READ_EVENT names the newest message of that conversation at or below the position", async () => {
  await using server = await startTestServer();
  const alice = await server.client("alice");
  const carol = await server.client("carol");
  const bob = await server.client("bob");
  const fromAlice = await alice.request({ type: FrameType.Direct, user: "bob", payload: "a1" });
  await carol.request({ type: FrameType.Direct, user: "bob", payload: "c1" });
  const inbox = (await bob.collect(isMessage, 2)) as MessageFrame[];
  // Bob reads his conversation with alice up to the newest inbox offset (which holds carol's message).
  await bob.request({ type: FrameType.Read, channel: "@alice", offset: inbox[1]!.offset });
  expect(await alice.next((f) => f.type === FrameType.ReadEvent)).toMatchObject({ channel: "@bob", user: "bob", id: fromAlice.id });
});

test("§7.4: a PUBLISH to an ephemeral room reusing a stored message's cmid gets that reply and pushes nothing", async () => {
  await using server = await startTestServer({ namespaces: [{ prefix: "public:live:", ephemeral: true, maxMessages: 0, maxAgeMs: 0 }] });
  const sender = await server.client("sender");
  const watcher = await server.client("watcher");
  await watcher.request({ type: FrameType.Join, room: "public:live:x" });
  const original = await sender.request({ type: FrameType.Publish, room: "public:stored", payload: "first", cmid: "c-1" });
  const resend = await sender.request({ type: FrameType.Publish, room: "public:live:x", payload: "again", cmid: "c-1" });
  expect(resend).toEqual({ ...original, duplicate: true });
  // A new cmid in the ephemeral room is pushed; it is the first MESSAGE the watcher sees.
  await sender.request({ type: FrameType.Publish, room: "public:live:x", payload: "sentinel", cmid: "c-2" });
  const first = await watcher.next((f) => f.type === FrameType.Message);
  expect((first as { payload: unknown }).payload).toBe("sentinel");
});
