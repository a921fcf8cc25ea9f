import { expect, test } from "bun:test";
import { startTestServer } from "../helpers/server.ts";
import { clientFor, cut, gatedClient, next, record, texts, until } from "./helpers.ts";

test("after a dropped connection the client re-joins from its last offset and recovers what it missed, exactly once, in order", async () => {
  await using server = await startTestServer();
  const alice = clientFor(server, "alice");
  const { client: bob, offline } = gatedClient(server, "bob");
  await Promise.all([alice.connect(), bob.connect()]);
  await alice.join("public:room");
  await bob.join("public:room");
  const bobMessages = record(bob, "message");
  const joins = record(bob, "joined");
  for (let i = 1; i <= 3; i++) await alice.publish("public:room", { text: `before ${i}` });
  await until(() => bobMessages.length === 3, "the first three");

  offline.close(); // bob's token provider now waits: bob stays offline until the gate opens
  cut(server, "bob");
  await until(() => bob.state === "reconnecting", "bob to notice");
  for (let i = 1; i <= 20; i++) await alice.publish("public:room", { text: `missed ${i}` });
  offline.open();
  await next(bob, "connected");
  await until(() => joins.length === 1, "the re-join");
  expect(joins[0]).toMatchObject({ room: "public:room", recovered: true, missed: 20, rejoin: true, offset: 23 });
  await alice.publish("public:room", { text: "live" });
  await until(() => bobMessages.length === 24, "the live message");
  // Sentinel: alice types in the room after bob has "live". A second copy of any message, already
  // on its way to bob, would reach him before this TYPING.
  const typed = next(bob, "typing", (t) => t.user === "alice" && t.channel === "public:room");
  expect(alice.typing("public:room")).toBe(true);
  await typed;
  const expected = [1, 2, 3].map((i) => `before ${i}`).concat(Array.from({ length: 20 }, (_, i) => `missed ${i + 1}`), ["live"]);
  expect(texts(bobMessages, "public:room")).toEqual(expected);
  expect(bobMessages.map((m) => m.offset)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
  expect(bobMessages.filter((m) => m.recovered)).toHaveLength(20);
  expect(bob.position("public:room")).toMatchObject({ offset: 24 });
  alice.close();
  bob.close();
});

test("when recovery is impossible the re-join says why, and the position restarts at the head", async () => {
  await using server = await startTestServer({ recoveryMaxMessages: 5 });
  const alice = clientFor(server, "alice");
  const { client: bob, offline } = gatedClient(server, "bob");
  await Promise.all([alice.connect(), bob.connect()]);
  await bob.join("public:busy");
  offline.close();
  cut(server, "bob");
  for (let i = 1; i <= 12; i++) await alice.publish("public:busy", i);
  const joined = next(bob, "joined");
  offline.open();
  expect(await joined).toMatchObject({ recovered: false, reason: "too_many", missed: 0, offset: 12, rejoin: true });
  const page = await bob.history("public:busy", { limit: 50 });
  expect(page.messages).toHaveLength(12);
  const messages = record(bob, "message");
  await alice.publish("public:busy", 13);
  await until(() => messages.length === 1, "the live message");
  expect(messages[0]).toMatchObject({ offset: 13, payload: 13 });
  alice.close();
  bob.close();
});

test("rooms joined while offline are joined once connected; leaving stops re-joins", async () => {
  await using server = await startTestServer();
  const client = clientFor(server, "carol");
  const joining = client.join("public:a");
  const b = client.join("public:b");
  expect(client.state).toBe("idle");
  await client.connect();
  expect((await joining).room).toBe("public:a");
  expect((await b).room).toBe("public:b");
  expect([...server.node.sessionsOf("carol")][0]!.rooms).toEqual(new Set(["public:a", "public:b"]));
  await client.leave("public:a");
  cut(server, "carol");
  await next(client, "joined");
  // Sentinel: every re-join is sent on HELLO, before this request, and the server takes a
  // session's frames in order: a JOIN of public:a would have been handled before this reply.
  await client.counts();
  expect(client.rooms).toEqual(["public:b"]);
  expect([...server.node.sessionsOf("carol")][0]!.rooms).toEqual(new Set(["public:b"]));
  client.close();
});
