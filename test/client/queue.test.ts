import { expect, test } from "bun:test";
import { FrameType } from "../../proto/index.ts";
import { startTestServer } from "../helpers/server.ts";
import { clientFor, cut, FlakySocket, gatedClient, next, record, texts, until } from "./helpers.ts";

test("sends made while offline are queued and delivered once, in order, when the connection is back", async () => {
  await using server = await startTestServer();
  const alice = clientFor(server, "alice");
  const { client: bob, offline } = gatedClient(server, "bob");
  await Promise.all([alice.connect(), bob.connect()]);
  await alice.join("public:q");
  await bob.join("public:q");
  const aliceMessages = record(alice, "message");
  const typing = record(alice, "typing");
  offline.close();
  cut(server, "bob");
  await until(() => bob.state === "reconnecting", "bob to notice");
  const sends = Array.from({ length: 10 }, (_, i) => bob.publish("public:q", { text: `queued ${i + 1}` }));
  const dm = bob.direct("alice", { text: "queued dm" });
  expect(bob.pending).toBe(11);
  // No session of bob's exists to carry the queued sends, and none can until the gate opens (the
  // token provider waits on it): nothing is late, nothing can arrive.
  expect(server.node.sessionsOf("bob").size).toBe(0);
  expect(aliceMessages).toEqual([]);
  offline.open();
  const results = await Promise.all(sends);
  expect(results.map((r) => r.offset)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  expect(new Set(results.map((r) => r.cmid)).size).toBe(10);
  expect((await dm).duplicate).toBe(false);
  await until(() => aliceMessages.length === 11, "alice to get all eleven");
  // Sentinels: bob types in the room and in the conversation once his sends are answered. A second
  // copy of any of them, already on its way to alice, would come before these TYPINGs.
  const typed = until(() => typing.some((t) => t.channel === "public:q") && typing.some((t) => t.channel === "@bob"), "bob's typing in both channels");
  expect(bob.typing("public:q")).toBe(true);
  expect(bob.typing("@alice")).toBe(true);
  await typed;
  expect(texts(aliceMessages, "public:q")).toEqual(Array.from({ length: 10 }, (_, i) => `queued ${i + 1}`));
  expect(texts(aliceMessages, "@bob")).toEqual(["queued dm"]);
  alice.close();
  bob.close();
});

test("a send whose reply was lost is resent with the same cmid after reconnecting, and stored once", async () => {
  await using server = await startTestServer();
  const alice = clientFor(server, "alice");
  const bob = clientFor(server, "bob", { WebSocket: FlakySocket });
  await Promise.all([alice.connect(), bob.connect()]);
  await alice.join("public:lost");
  const aliceMessages = record(alice, "message");
  FlakySocket.last!.deaf = true; // the server's answers to bob now vanish on the way
  const sending = bob.publish("public:lost", { text: "only once" });
  await until(() => aliceMessages.length === 1, "the message to be stored");
  FlakySocket.last!.close(); // a drop: bob never saw the reply
  const result = await sending;
  expect(result.duplicate).toBe(true);
  expect(result.id).toBe(aliceMessages[0]!.id);
  expect(result.cmid).toBe(aliceMessages[0]!.cmid!);
  // Sentinel: bob joins and types in the room after the resend was answered. Had the resend been
  // delivered as a new message, it would reach alice before this TYPING.
  await bob.join("public:lost");
  const typed = next(alice, "typing", (t) => t.user === "bob" && t.channel === "public:lost");
  expect(bob.typing("public:lost")).toBe(true);
  await typed;
  expect(aliceMessages).toHaveLength(1);
  expect((await alice.history("public:lost")).messages).toHaveLength(1);
  alice.close();
  bob.close();
});

test("a burst of queued sends larger than the rate limit is paced instead of refused", async () => {
  await using server = await startTestServer({ rateBurst: 20, ratePerSecond: 200 });
  const client = clientFor(server, "burst");
  const errors = record(client, "error");
  const sends = Array.from({ length: 80 }, (_, i) => client.publish("public:burst", i));
  await client.connect();
  const results = await Promise.all(sends);
  expect(results.map((r) => r.offset)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
  expect(errors).toEqual([]);
  client.close();
});

test("requests in flight that are not safe to resend fail with `disconnected`; reads are retried", async () => {
  await using server = await startTestServer();
  const client = clientFor(server, "dora", { WebSocket: FlakySocket });
  await client.connect();
  FlakySocket.last!.deaf = true;
  const history = client.history("public:none");
  const refresh = client.refreshToken().catch((e: unknown) => e);
  // Cut only once REFRESH is in flight: a REFRESH still waiting for the token provider is queued,
  // not in flight, and would be sent on the next connection instead of failing.
  await until(() => FlakySocket.last!.sentTypes.includes(FrameType.Refresh), "REFRESH to be sent");
  FlakySocket.last!.close();
  expect(await refresh).toMatchObject({ kind: "disconnected" });
  expect((await history).head).toBe(0);
  await until(() => client.state === "connected", "the reconnection");
  client.close();
});
