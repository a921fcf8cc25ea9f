import { expect, test } from "bun:test";
import { inboxAcked, startTestServer } from "../helpers/server.ts";
import { clientFor, cut, next, record, texts, until } from "./helpers.ts";

test("direct messages reach an offline user on connect, are acknowledged, and are never delivered twice", async () => {
  await using server = await startTestServer();
  const alice = clientFor(server, "alice");
  await alice.connect();
  const aliceMessages = record(alice, "message");
  for (const text of ["one", "two", "three"]) await alice.direct("bob", { text });
  await until(() => aliceMessages.length === 3, "alice's own copies");
  expect(aliceMessages.map((m) => [m.channel, m.from])).toEqual([["@bob", "alice"], ["@bob", "alice"], ["@bob", "alice"]]);

  const bob = clientFor(server, "bob");
  const bobMessages = record(bob, "message");
  await bob.connect();
  await until(() => bobMessages.length === 3, "bob's inbox");
  expect(texts(bobMessages, "@alice")).toEqual(["one", "two", "three"]);
  expect(bobMessages.map((m) => m.offset)).toEqual([1, 2, 3]);

  // A live reply, then a dropped connection: nothing comes twice, and the conversation goes on.
  const reply = next(alice, "message", (m) => m.from === "bob");
  await bob.direct("alice", { text: "hi alice" });
  expect(await reply).toMatchObject({ channel: "@bob", payload: { text: "hi alice" } });
  await inboxAcked(server, "bob", 4); // bob's copy of his reply is inbox offset 4
  cut(server, "bob");
  await next(bob, "connected");
  await alice.direct("bob", { text: "four" });
  const fromAlice = () => texts(bobMessages.filter((m) => m.from === "alice"), "@alice");
  await until(() => fromAlice().length === 4, "bob's fourth");
  // Sentinel: alice types in the conversation after bob has "four". A second copy of anything,
  // already on its way to bob's session, would reach him before this TYPING.
  const typed = next(bob, "typing", (t) => t.user === "alice");
  expect(alice.typing("@bob")).toBe(true);
  await typed;
  expect(fromAlice()).toEqual(["one", "two", "three", "four"]);
  expect(texts(bobMessages, "@alice")).toEqual(["one", "two", "three", "hi alice", "four"]);

  // A brand-new client for bob gets nothing again: the inbox was acknowledged. A live message,
  // which follows whatever the inbox still holds, is the first thing it gets.
  await inboxAcked(server, "bob", 5);
  bob.close();
  const again = clientFor(server, "bob");
  const againMessages = record(again, "message");
  await again.connect();
  await alice.direct("bob", { text: "five" });
  await until(() => againMessages.length > 0, "the live message");
  expect(texts(againMessages, "@alice")).toEqual(["five"]);
  const page = await again.history("@alice");
  expect(page.messages.map((m) => (m.payload as { text: string }).text)).toEqual(["one", "two", "three", "hi alice", "four", "five"]);
  alice.close();
  again.close();
});

test("without acknowledgements the server re-sends the inbox after a reconnect, and the client drops the copies", async () => {
  await using server = await startTestServer();
  const alice = clientFor(server, "alice");
  await alice.connect();
  const bob = clientFor(server, "bob", { autoAck: false });
  const bobMessages = record(bob, "message");
  await bob.connect();
  for (let i = 1; i <= 5; i++) await alice.direct("bob", i);
  await until(() => bobMessages.length === 5, "five messages");
  cut(server, "bob");
  const reconnected = await next(bob, "connected");
  expect(reconnected.reconnected).toBe(true);
  await alice.direct("bob", 6);
  await until(() => bobMessages.length === 6, "the sixth");
  // Sentinel: alice types after bob has the sixth; a copy already on its way would come first.
  const typed = next(bob, "typing", (t) => t.user === "alice");
  expect(alice.typing("@bob")).toBe(true);
  await typed;
  expect(bobMessages.map((m) => m.payload)).toEqual([1, 2, 3, 4, 5, 6]);
  bob.ack(4);
  await inboxAcked(server, "bob", 4);
  bob.close();
  const fresh = clientFor(server, "bob");
  const freshMessages = record(fresh, "message");
  await fresh.connect();
  await until(() => freshMessages.length === 2, "the unacknowledged two");
  expect(freshMessages.map((m) => m.payload)).toEqual([5, 6]);
  alice.close();
  fresh.close();
});

test("typing and read receipts in a direct conversation", async () => {
  await using server = await startTestServer();
  const alice = clientFor(server, "alice");
  const bob = clientFor(server, "bob");
  await Promise.all([alice.connect(), bob.connect()]);
  const typing = next(bob, "typing");
  alice.typing("@bob");
  expect(await typing).toEqual({ channel: "@alice", user: "alice" });
  // Listen before sending: the push to bob may arrive before alice's reply does.
  const arriving = next(bob, "message", (m) => (m.payload as { text?: string } | null)?.text === "read me");
  const sent = await alice.direct("bob", { text: "read me" });
  const got = await arriving;
  expect(got.id).toBe(sent.id);
  const receipt = next(alice, "read");
  await bob.read("@alice", got.offset);
  expect(await receipt).toMatchObject({ channel: "@bob", user: "bob", id: sent.id });
  alice.close();
  bob.close();
});
