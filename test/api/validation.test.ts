/**
 * One validation for every way in: a payload the WebSocket codecs refuse (a forbidden map key,
 * nesting deeper than the payload limit) is refused by the HTTP API too, as JSON or msgpack, with a
 * 400 naming the problem; and nothing stored can make a read fail.
 */
import { describe, expect, test } from "bun:test";
import { FrameType, MsgpackWriter } from "../../proto/index.ts";
import { roomStream } from "../../src/node/keys.ts";
import { ReplyError } from "../helpers/client.ts";
import { startTestServer } from "../helpers/server.ts";

const KEY = "api-key-0123456789abcdef";

/** `{ [key]: 1 }` with `key` as an own property (an object literal would set the prototype). */
function withKey(key: string): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  Object.defineProperty(value, key, { value: 1, enumerable: true, writable: true, configurable: true });
  return value;
}

function nested(depth: number): unknown {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

const BAD_PAYLOADS: Array<[label: string, payload: unknown, problem: RegExp]> = [
  ["__proto__ key", withKey("__proto__"), /__proto__/],
  ["constructor key", { a: withKey("constructor") }, /constructor/],
  ["prototype key", [withKey("prototype")], /prototype/],
  ["nesting deeper than 24", nested(30), /nest/],
];

function msgpackBody(value: unknown): Uint8Array {
  const writer = new MsgpackWriter();
  writer.start();
  writer.write(value);
  return writer.finish();
}

async function api(url: string, path: string, body: BodyInit, type = "application/json") {
  const res = await fetch(url + path, { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": type }, body });
  return { status: res.status, body: (await res.json()) as { error: string; message: string } };
}

describe("payload validation is the same on every way in", () => {
  for (const [label, payload, problem] of BAD_PAYLOADS) {
    test(`${label}: refused over WS msgpack, WS JSON, /api JSON and /api msgpack; reads still work`, async () => {
      await using server = await startTestServer({ apiKeys: [KEY] });
      const reader = await server.client("reader");
      await reader.request({ type: FrameType.Join, room: "public:v" });

      for (const json of [false, true]) {
        const c = await server.client(`ws-${json}`, { json });
        const err = await c.request({ type: FrameType.Publish, room: "public:v", payload }).catch((e) => e);
        expect(err).toBeInstanceOf(ReplyError);
        expect((err as ReplyError).code).toBe(400);
        expect((err as ReplyError).message).toMatch(problem);
      }

      // JSON.stringify writes the own "__proto__" key, so the JSON body carries it.
      const viaJson = await api(server.url, "/api/rooms/public:v/publish", JSON.stringify({ payload }));
      expect(viaJson.status).toBe(400);
      expect(viaJson.body.message).toMatch(problem);
      const viaMsgpack = await api(server.url, "/api/rooms/public:v/publish", msgpackBody({ payload }) as Uint8Array<ArrayBuffer>, "application/msgpack");
      expect(viaMsgpack.status).toBe(400);
      expect(viaMsgpack.body.message).toMatch(problem);
      for (const path of ["/api/users/send", "/api/broadcast"]) {
        const res = await api(server.url, path, JSON.stringify({ users: ["reader"], payload }));
        expect(res.status).toBe(400);
      }

      // Nothing was stored or delivered; reads answer normally.
      const history = await reader.request({ type: FrameType.History, channel: "public:v" });
      expect(history.messages).toHaveLength(0);
      const res = await fetch(`${server.url}/api/rooms/public:v/history`, { headers: { authorization: `Bearer ${KEY}` } });
      expect(res.status).toBe(404); // a room with no history
      expect(reader.all(FrameType.Message)).toHaveLength(0);
    });
  }

  test("a deeply nested JSON body is 400, not 500", async () => {
    await using server = await startTestServer({ apiKeys: [KEY] });
    const deep = `{"payload":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    const res = await api(server.url, "/api/rooms/public:v/publish", deep);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/deeper/);
    const broken = await api(server.url, "/api/rooms/public:v/publish", '{"payload": [1,');
    expect(res.status).toBe(400);
    expect(broken.body.error).toBe("bad_request");
  });

  test("a valid payload at the depth limit passes everywhere", async () => {
    await using server = await startTestServer({ apiKeys: [KEY] });
    const payload = nested(24);
    const c = await server.client("ok");
    await c.request({ type: FrameType.Publish, room: "public:v", payload });
    const res = await api(server.url, "/api/rooms/public:v/publish", JSON.stringify({ payload }));
    expect(res.status).toBe(200);
    const history = await c.request({ type: FrameType.History, channel: "public:v" });
    expect(history.messages).toHaveLength(2);
  });

  test("a stored payload the protocol refuses is read as nil: HISTORY and recovery still answer", async () => {
    await using server = await startTestServer({ apiKeys: [KEY] });
    const c = await server.client("reader");
    const joined = await c.request({ type: FrameType.Join, room: "public:old" });
    // A payload written before validation existed (straight into the store).
    await server.node.store.append([
      { id: "m-bad-1", conversation: { kind: "room", room: "public:old" }, from: "x", time: Date.now(), payload: msgpackBody(withKey("__proto__")), streams: [roomStream("public:old")] },
      { id: "m-ok-2", conversation: { kind: "room", room: "public:old" }, from: "x", time: Date.now(), payload: msgpackBody("fine"), streams: [roomStream("public:old")] },
    ]);
    const history = await c.request({ type: FrameType.History, channel: "public:old" });
    expect(history.messages.map((m: unknown[]) => m[6])).toEqual([null, "fine"]);
    const again = await server.client("again");
    const recovered = await again.request({ type: FrameType.Join, room: "public:old", since: { offset: 0, epoch: joined.epoch } });
    expect(recovered.recovered).toBe(true);
    expect(recovered.messages).toHaveLength(2);
    const res = await fetch(`${server.url}/api/rooms/public:old/history`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(200);
  });
});
