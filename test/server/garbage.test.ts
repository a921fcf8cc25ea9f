import { expect, test } from "bun:test";
import { encode } from "@msgpack/msgpack";
import { DisconnectCode, FrameType, ReplyCode } from "../../proto/index.ts";
import { startTestServer } from "../helpers/server.ts";

test("undecodable bytes close with 4500; the server keeps serving others", async () => {
  await using server = await startTestServer();
  const bystander = await server.client("bystander");
  const bad = await server.client("bad");
  bad.ws.send(new Uint8Array([0xc1, 0xff, 0x00]));
  expect((await bad.closed).code).toBe(DisconnectCode.BadFrame);
  expect(await bystander.request({ type: FrameType.Counts })).toEqual({ users: 1, sessions: 1 });
});

test("wrong-shape frames get ERROR 400 with their rid; unknown types get 501; the socket stays open", async () => {
  await using server = await startTestServer();
  const c = await server.client("c");
  c.ws.send(encode([FrameType.Join, 7, 12345]));
  expect(await c.next((f) => f.type === FrameType.Error)).toMatchObject({ rid: 7, code: ReplyCode.BadRequest });
  c.ws.send(encode([FrameType.History, 8, "public:x", null, null, -5]));
  expect(await c.next((f) => f.type === FrameType.Error)).toMatchObject({ rid: 8, code: ReplyCode.BadRequest });
  c.ws.send(encode([39, 9, "future"]));
  expect(await c.next((f) => f.type === FrameType.Error)).toMatchObject({ rid: 9, code: ReplyCode.NotImplemented });
  c.ws.send(encode({ not: "a frame" }));
  expect(await c.next((f) => f.type === FrameType.Error)).toMatchObject({ code: ReplyCode.BadRequest });
  c.ws.send(encode([FrameType.Publish, 10, "public:x", { __proto__x: 1, nested: JSON.parse('{"__proto__": {"polluted": true}}') }]));
  expect(await c.next((f) => f.type === FrameType.Error)).toMatchObject({ rid: 10 });
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  c.ws.send("a text frame on a binary session");
  expect((await c.closed).code).toBe(DisconnectCode.BadFrame);
});

test("JSON sessions get the same errors", async () => {
  await using server = await startTestServer();
  const c = await server.client("j", { json: true });
  c.ws.send(JSON.stringify([FrameType.Join, 3, ""]));
  expect(await c.next((f) => f.type === FrameType.Error)).toMatchObject({ rid: 3, code: ReplyCode.BadRequest });
  c.ws.send("{not json");
  expect((await c.closed).code).toBe(DisconnectCode.BadFrame);
});

test("a bad frame inside a batch gets its own ERROR; the other frames of the message are still answered", async () => {
  await using server = await startTestServer();
  const c = await server.client("batch");
  const join = encode([FrameType.Join, 21, "public:batch"]);
  const bad = encode([FrameType.Publish, 22, 12345, "not a room name"]);
  const counts = encode([FrameType.Counts, 23]);
  c.ws.send(new Uint8Array([...join, ...bad, ...counts]));
  const replies = await c.collect((f) => (f.type === FrameType.Reply || f.type === FrameType.Error) && [21, 22, 23].includes((f as { rid: number }).rid), 3);
  // Replies are correlated by rid; their order on the wire is not part of the contract.
  const byRid = new Map<number, number>(replies.map((f) => [(f as { rid: number }).rid, f.type]));
  expect(byRid).toEqual(new Map<number, number>([[21, FrameType.Reply], [22, FrameType.Error], [23, FrameType.Reply]]));
});
