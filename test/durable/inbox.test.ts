import { expect, test } from "bun:test";
import { FrameType, type MessageFrame } from "../../proto/index.ts";
import { TestClient } from "../helpers/client.ts";
import { inboxAcked, startTestServer } from "../helpers/server.ts";

const isMessage = (f: { type: number }) => f.type === FrameType.Message;

test("messages to an offline user wait in the inbox and arrive in order on connect; unacked ones come again; acked ones do not", async () => {
  await using server = await startTestServer();
  const alice = await server.client("alice");
  for (let i = 1; i <= 5; i++) await alice.request({ type: FrameType.Direct, user: "bob", payload: `m${i}` });
  const token = await server.token("bob");
  const first = await TestClient.connect(server.wsUrl, token);
  const got = (await first.collect(isMessage, 5)) as MessageFrame[];
  expect(got.map((m) => m.payload)).toEqual(["m1", "m2", "m3", "m4", "m5"]);
  expect(got.map((m) => m.offset)).toEqual([1, 2, 3, 4, 5]);
  expect(got.every((m) => m.channel === "@alice" && m.from === "alice")).toBe(true);
  first.send({ type: FrameType.Ack, offset: 3 });
  await inboxAcked(server, "bob", 3);
  first.close();
  await first.closed;
  const second = await TestClient.connect(server.wsUrl, token);
  const again = (await second.collect(isMessage, 2)) as MessageFrame[];
  expect(again.map((m) => m.payload)).toEqual(["m4", "m5"]);
  second.send({ type: FrameType.Ack, offset: 1_000_000 }); // clamped to the inbox head
  await inboxAcked(server, "bob", 5);
  second.close();
  await second.closed;
  await alice.request({ type: FrameType.Direct, user: "bob", payload: "m6" });
  const third = await TestClient.connect(server.wsUrl, token);
  const after = (await third.collect(isMessage, 1)) as MessageFrame[];
  expect(after.map((m) => m.payload)).toEqual(["m6"]);
  // Nothing else comes from the inbox: a live message, which follows the inbox, comes next.
  await alice.request({ type: FrameType.Direct, user: "bob", payload: "m7" });
  await third.collect((f) => isMessage(f) && (f as MessageFrame).payload === "m7", 1);
  expect(third.all<MessageFrame>(FrameType.Message).map((m) => m.payload)).toEqual(["m6", "m7"]);
});

test("live direct messages sent while the inbox is being delivered follow it without gap or duplicate", async () => {
  await using server = await startTestServer({ ratePerSecond: 100_000, rateBurst: 100_000 });
  const alice = await server.client("alice");
  for (let i = 1; i <= 1500; i++) void alice.request({ type: FrameType.Direct, user: "bob", payload: i });
  await alice.request({ type: FrameType.Direct, user: "bob", payload: 1501 });
  const bobConnecting = TestClient.connect(server.wsUrl, await server.token("bob"));
  const more = Array.from({ length: 500 }, (_, i) => alice.request({ type: FrameType.Direct, user: "bob", payload: 1502 + i }));
  const bob = await bobConnecting;
  await Promise.all(more);
  const got = (await bob.collect(isMessage, 2001, 15_000)) as MessageFrame[];
  expect(got.map((m) => m.offset)).toEqual(Array.from({ length: 2001 }, (_, i) => i + 1));
  expect(got.map((m) => m.payload)).toEqual(Array.from({ length: 2001 }, (_, i) => i + 1));
}, 30_000);

test("direct history pages through one conversation only", async () => {
  await using server = await startTestServer();
  const alice = await server.client("alice");
  const carol = await server.client("carol");
  for (let i = 0; i < 6; i++) await alice.request({ type: FrameType.Direct, user: "bob", payload: `a${i}` });
  await carol.request({ type: FrameType.Direct, user: "bob", payload: "from carol" });
  const bob = await server.client("bob");
  const page = await bob.request({ type: FrameType.History, channel: "@alice", limit: 4 });
  expect(page.messages.map((m: unknown[]) => m[6])).toEqual(["a2", "a3", "a4", "a5"]);
  const older = await bob.request({ type: FrameType.History, channel: "@alice", limit: 4, before: page.messages[0][3] });
  expect(older.messages.map((m: unknown[]) => m[6])).toEqual(["a0", "a1"]);
  const carolPage = await bob.request({ type: FrameType.History, channel: "@carol" });
  expect(carolPage.messages.map((m: unknown[]) => m[6])).toEqual(["from carol"]);
  const aliceSide = await alice.request({ type: FrameType.History, channel: "@bob" });
  expect(aliceSide.messages).toHaveLength(6);
  expect(aliceSide.messages[0][1]).toBe("@bob");
});
