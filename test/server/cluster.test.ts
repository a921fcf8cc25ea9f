import { expect, test } from "bun:test";
import { FrameType, type MessageFrame } from "../../proto/index.ts";
import { MemoryBusHub } from "../../src/engines/bus-memory.ts";
import { MemoryPresence } from "../../src/engines/presence-memory.ts";
import { MemoryStore } from "../../src/store/memory.ts";
import { startTestServer } from "../helpers/server.ts";

const isMessage = (f: { type: number }) => f.type === FrameType.Message;

test("two nodes linked by a bus: room messages, direct messages and presence cross nodes", async () => {
  const hub = new MemoryBusHub();
  const presence = new MemoryPresence();
  const store = new MemoryStore();
  await using a = await startTestServer({}, { bus: hub.connect(), presence, store });
  await using b = await startTestServer({}, { bus: hub.connect(), presence, store });
  const alice = await a.client("alice");
  const bob = await b.client("bob");
  const bobJson = await b.client("bob", { json: true });
  await alice.request({ type: FrameType.Join, room: "public:x" });
  await bob.request({ type: FrameType.Join, room: "public:x" });
  expect(await alice.next((f) => f.type === FrameType.PresenceEvent)).toMatchObject({ user: "bob", action: 1, users: 2 });
  const sent = await alice.request({ type: FrameType.Publish, room: "public:x", payload: "across" });
  expect(await bob.next(isMessage)).toMatchObject({ channel: "public:x", id: sent.id, offset: sent.offset, payload: "across" });
  await bob.request({ type: FrameType.Direct, user: "alice", payload: "dm across" });
  expect(await alice.next((f) => isMessage(f) && (f as MessageFrame).channel === "@bob")).toMatchObject({ from: "bob", payload: "dm across" });
  // Bob's other device (JSON, same node as the sender) gets the multi-device copy.
  expect(await bobJson.next((f) => isMessage(f) && (f as MessageFrame).payload === "dm across")).toMatchObject({ channel: "@alice" });
  expect(await alice.request({ type: FrameType.Counts })).toEqual({ users: 2, sessions: 3 });
});
