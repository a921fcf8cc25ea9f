import { expect, test } from "bun:test";
import { FrameType, type PresenceEventFrame } from "../../proto/index.ts";
import { eventually } from "../helpers/frozen-clock.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const isPresence = (f: { type: number }) => f.type === FrameType.PresenceEvent;
/** Resolves once the server has cleaned up after `user`'s closed sessions (it holds `count` of them). */
const sessionsLeft = (server: TestServer, user: string, count: number) => eventually(() => [...server.node.sessionsOf(user)].length === count, `${user} to have ${count} sessions on the server`);

test("join and leave pushes go to the other members, with counts", async () => {
  await using server = await startTestServer();
  const alice = await server.client("alice");
  const bob = await server.client("bob");
  const joined = await alice.request({ type: FrameType.Join, room: "public:p" });
  expect(joined).toMatchObject({ users: 1, sessions: 1 });
  await bob.request({ type: FrameType.Join, room: "public:p" });
  expect(await alice.next(isPresence)).toMatchObject({ room: "public:p", action: 1, user: "bob", users: 2, sessions: 2 });
  expect(await alice.request({ type: FrameType.Presence, room: "public:p" })).toEqual({ users: [["alice", 1], ["bob", 1]], sessions: 2 });
  expect(await alice.request({ type: FrameType.Counts, room: "public:p" })).toEqual({ users: 2, sessions: 2 });
  expect(await alice.request({ type: FrameType.Counts })).toEqual({ users: 2, sessions: 2 });
  await bob.request({ type: FrameType.Leave, room: "public:p" });
  expect(await alice.next(isPresence)).toMatchObject({ action: 2, user: "bob", users: 1, sessions: 1 });
});

test("a user with two devices leaves a room only when the last device leaves", async () => {
  await using server = await startTestServer();
  const watcher = await server.client("watcher");
  await watcher.request({ type: FrameType.Join, room: "public:d" });
  const phone = await server.client("bob");
  const laptop = await server.client("bob");
  await phone.request({ type: FrameType.Join, room: "public:d" });
  expect(await watcher.next(isPresence)).toMatchObject({ action: 1, user: "bob", users: 2, sessions: 2 });
  await laptop.request({ type: FrameType.Join, room: "public:d" });
  expect(await watcher.request({ type: FrameType.Counts, room: "public:d" })).toEqual({ users: 2, sessions: 3 });
  laptop.close();
  await laptop.closed;
  await sessionsLeft(server, "bob", 1);
  expect(await watcher.request({ type: FrameType.Presence, room: "public:d" })).toEqual({ users: [["bob", 1], ["watcher", 1]], sessions: 2 });
  // Sentinel: carol joins and leaves after the laptop's close was handled. A leave for bob, had
  // one been sent, would reach the watcher before carol's join.
  const carol = await server.client("carol");
  await carol.request({ type: FrameType.Join, room: "public:d" });
  expect(await watcher.next(isPresence)).toMatchObject({ action: 1, user: "carol", users: 3, sessions: 3 });
  expect(watcher.all<PresenceEventFrame>(FrameType.PresenceEvent).filter((f) => f.action === 2)).toHaveLength(0);
  await carol.request({ type: FrameType.Leave, room: "public:d" });
  expect(await watcher.next(isPresence)).toMatchObject({ action: 2, user: "carol", users: 2, sessions: 2 });
  phone.close();
  expect(await watcher.next(isPresence)).toMatchObject({ action: 2, user: "bob", users: 1, sessions: 1 });
});

test("user status: online while connected, offline with last-seen after", async () => {
  await using server = await startTestServer();
  const asker = await server.client("asker");
  const bob = await server.client("bob");
  expect(await asker.request({ type: FrameType.Status, users: ["bob", "nobody"] })).toEqual([
    ["bob", true, null],
    ["nobody", false, null],
  ]);
  const before = Date.now();
  bob.close();
  await bob.closed;
  await sessionsLeft(server, "bob", 0);
  const [[user, online, lastSeen]] = await asker.request({ type: FrameType.Status, users: ["bob"] });
  expect(user).toBe("bob");
  expect(online).toBe(false);
  expect(lastSeen).toBeGreaterThanOrEqual(before - 5);
});

test("a LEAVE sent while the JOIN is still in progress leaves no presence behind", async () => {
  await using server = await startTestServer();
  const c = await server.client("racer");
  const watcher = await server.client("watcher");
  await watcher.request({ type: FrameType.Join, room: "public:race" });
  const join = c.request({ type: FrameType.Join, room: "public:race" });
  const leave = c.request({ type: FrameType.Leave, room: "public:race" });
  const [j, l] = await Promise.allSettled([join, leave]);
  // Either order is fine for the replies; what matters is the end state.
  expect(j.status === "fulfilled" || (j.reason as { code?: number }).code === 400).toBe(true);
  expect(l.status).toBe("fulfilled");
  expect(await watcher.request({ type: FrameType.Presence, room: "public:race" })).toEqual({ users: [["watcher", 1]], sessions: 1 });
  // Sentinel: carol joins once both replies are in. Whatever the watcher heard about the racer
  // before carol's join must leave it out of the room: nothing, or a join followed by a leave.
  const carol = await server.client("carol");
  await carol.request({ type: FrameType.Join, room: "public:race" });
  const racer: number[] = [];
  for (;;) {
    const event = (await watcher.next(isPresence)) as PresenceEventFrame;
    if (event.user === "carol") {
      expect(event).toMatchObject({ action: 1, users: 2, sessions: 2 });
      break;
    }
    expect(event.user).toBe("racer");
    racer.push(event.action);
  }
  expect([[], [1, 2]]).toContainEqual(racer);
});
