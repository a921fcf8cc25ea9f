import { expect, test } from "bun:test";
import { HubbubError } from "../../client/index.ts";
import { FrameType } from "../../proto/index.ts";
import { eventually, freezeClock } from "../helpers/frozen-clock.ts";
import { startTestServer } from "../helpers/server.ts";
import { clientFor, FlakySocket, next, record, texts, until } from "./helpers.ts";

test("connects with a token provider, joins a room, and two users chat with presence, typing, read receipts and counts", async () => {
  await using server = await startTestServer();
  const alice = clientFor(server, "alice");
  const bob = clientFor(server, "bob");
  const states = record(alice, "state");
  const info = await alice.connect();
  expect(info).toMatchObject({ user: "alice", reconnected: false });
  expect(info.limits.maxFrameBytes).toBeGreaterThan(0);
  expect(alice.state).toBe("connected");
  expect(states.map((s) => s.state)).toEqual(["connecting", "connected"]);
  await bob.connect();

  const aliceMessages = record(alice, "message");
  const bobMessages = record(bob, "message");
  const joined = await alice.join("public:lobby");
  expect(joined).toMatchObject({ room: "public:lobby", offset: 0, users: 1, rejoin: false });
  const arrival = next(alice, "presence", (p) => p.user === "bob");
  await bob.join("public:lobby");
  expect(await arrival).toEqual({ room: "public:lobby", action: "join", user: "bob", users: 2, sessions: 2 });

  const sent = await alice.publish("public:lobby", { text: "hi bob" });
  expect(sent).toMatchObject({ offset: 1, duplicate: false });
  expect(sent.cmid.length).toBeGreaterThan(0);
  await until(() => bobMessages.length === 1 && aliceMessages.length === 1, "both to get the message");
  expect(bobMessages[0]).toMatchObject({ channel: "public:lobby", from: "alice", payload: { text: "hi bob" }, offset: 1, state: "sent", cmid: sent.cmid, recovered: false });

  const typing = next(alice, "typing");
  expect(bob.typing("public:lobby")).toBe(true);
  expect(bob.typing("public:lobby")).toBe(false); // throttled
  expect(await typing).toEqual({ channel: "public:lobby", user: "bob" });

  const receipt = next(alice, "read");
  expect(await bob.read("public:lobby", 1)).toBe(1);
  expect(await receipt).toMatchObject({ channel: "public:lobby", user: "bob", offset: 1 });

  expect(await alice.presence("public:lobby")).toEqual({ users: [{ user: "alice", sessions: 1 }, { user: "bob", sessions: 1 }], sessions: 2 });
  expect(await alice.counts("public:lobby")).toEqual({ users: 2, sessions: 2 });
  expect(await alice.counts()).toEqual({ users: 2, sessions: 2 });
  const [aliceStatus, carolStatus] = await alice.status(["alice", "carol"]);
  expect(aliceStatus).toEqual({ user: "alice", online: true });
  expect(carolStatus).toEqual({ user: "carol", online: false });
  expect(await bob.unread()).toMatchObject({ "public:lobby": 0 });

  const leaving = next(alice, "presence", (p) => p.action === "leave");
  await bob.leave("public:lobby");
  expect(await leaving).toMatchObject({ user: "bob", users: 1 });
  expect(bob.rooms).toEqual([]);
  await alice.publish("public:lobby", { text: "after bob left" });
  await until(() => aliceMessages.length === 2, "alice's second message");
  // Sentinel: a request from bob, sent after alice has the message. The room's subscribers got it
  // in the same step as alice, so a copy for bob would come before this reply.
  await bob.counts();
  expect(texts(bobMessages, "public:lobby")).toEqual(["hi bob"]);
  alice.close();
  bob.close();
  expect(alice.state).toBe("closed");
});

test("history pages backwards; edits and recalls arrive as updates and show in history", async () => {
  await using server = await startTestServer();
  const alice = clientFor(server, "alice");
  const bob = clientFor(server, "bob");
  await Promise.all([alice.connect(), bob.connect()]);
  await alice.join("public:h");
  await bob.join("public:h");
  const ids: string[] = [];
  for (let i = 1; i <= 7; i++) ids.push((await alice.publish("public:h", { text: `m${i}` })).id);
  const page = await bob.history("public:h", { limit: 3 });
  expect(page.head).toBe(7);
  expect(page.messages.map((m) => m.payload)).toEqual([{ text: "m5" }, { text: "m6" }, { text: "m7" }]);
  const older = await bob.history("public:h", { before: page.messages[0]!.offset, limit: 10 });
  expect(older.messages.map((m) => m.offset)).toEqual([1, 2, 3, 4]);

  const updates = record(bob, "update");
  await alice.edit(ids[6]!, { text: "m7 (edited)" });
  await alice.recall(ids[5]!);
  await until(() => updates.length === 2, "two updates");
  expect(updates[0]).toMatchObject({ channel: "public:h", id: ids[6], action: "edit", payload: { text: "m7 (edited)" }, by: "alice" });
  expect(updates[1]).toMatchObject({ channel: "public:h", id: ids[5], action: "recall", payload: null, by: "alice" });
  const after = await bob.history("public:h", { limit: 2 });
  expect(after.messages.map((m) => [m.state, m.payload])).toEqual([["recalled", null], ["edited", { text: "m7 (edited)" }]]);

  // Reply errors reject with the server's code and keep the connection.
  const forbidden = await bob.edit(ids[0]!, { text: "not mine" }).catch((e: unknown) => e);
  expect(forbidden).toBeInstanceOf(HubbubError);
  expect(forbidden).toMatchObject({ kind: "reply", code: 403 });
  const notAllowed = await bob.join("private:ops").catch((e: unknown) => e);
  expect(notAllowed).toMatchObject({ kind: "reply", code: 403 });
  expect(bob.rooms).toEqual(["public:h"]);
  expect(bob.state).toBe("connected");
  alice.close();
  bob.close();
});

test("the heartbeat keeps an idle connection open past the server's timeout", async () => {
  // The server closes a session silent for 300 ms; the client gives up on a server silent for
  // 400 ms and sends PING after 100 ms without sending. The clock moves only in steps of 150 ms,
  // each after the step's PING was answered, so a stalled machine cannot stretch a step.
  using clock = freezeClock();
  await using server = await startTestServer({ heartbeatMs: 200 });
  const client = clientFor(server, "idle", { WebSocket: FlakySocket });
  const drops = record(client, "disconnected");
  const info = await client.connect();
  expect(info.heartbeatMs).toBe(200);
  const socket = FlakySocket.last!;
  const count = (types: number[], type: number) => types.filter((t) => t === type).length;
  for (let step = 1; step <= 6; step++) {
    clock.advance(150);
    await eventually(() => count(socket.receivedTypes, FrameType.Pong) === step, `the PONG of step ${step}`);
  }
  // 900 ms of time on both sides, with nothing sent but the heartbeat: one PING per step.
  expect(socket.sentTypes).toEqual(Array.from({ length: 6 }, () => FrameType.Ping));
  expect(drops).toEqual([]);
  expect(client.state).toBe("connected");
  expect(client.session?.session).toBe(info.session);
  client.close();
});

test("a frame larger than the server accepts is refused locally and never sent", async () => {
  await using server = await startTestServer({ maxFrameBytes: 4096, maxPayloadBytes: 2048 });
  const client = clientFor(server, "big");
  await client.connect();
  const error = await client.publish("public:x", { text: "x".repeat(10_000) }).catch((e: unknown) => e);
  expect(error).toMatchObject({ kind: "too_large" });
  expect((await client.publish("public:x", { text: "small" })).offset).toBe(1);
  const tooBigPayload = await client.publish("public:x", { text: "y".repeat(3000) }).catch((e: unknown) => e);
  expect(tooBigPayload).toMatchObject({ kind: "reply", code: 413 });
  expect(client.state).toBe("connected");
  client.close();
});
