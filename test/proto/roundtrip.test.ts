/** Round trips of every frame type through both codecs, single and batched, and the wire-array helpers. */
import { describe, expect, test } from "bun:test";
import { createJsonCodec, createMsgpackCodec, FRAME_SPECS, FrameType, fromWire, toWire, type Frame } from "../../proto/index.ts";
import { randAnyFrame, randFrame } from "./frame-gen.ts";
import { prng, randInt } from "./support.ts";

const msgpack = createMsgpackCodec();
const json = createJsonCodec();
const PER_TYPE = 300;

describe("every frame type round-trips", () => {
  for (const spec of FRAME_SPECS) {
    test(`${spec.name} (${spec.type}), msgpack`, () => {
      const rand = prng(spec.type + 1);
      for (let i = 0; i < PER_TYPE; i++) {
        const frame = randFrame(rand, spec);
        const bytes = msgpack.encode(frame);
        expect(msgpack.decode(bytes)).toStrictEqual([frame]);
        expect(msgpack.encode(frame)).toStrictEqual(bytes); // deterministic
      }
    }, 60_000);
    test(`${spec.name} (${spec.type}), JSON`, () => {
      const rand = prng(1000 + spec.type);
      for (let i = 0; i < PER_TYPE; i++) {
        const frame = randFrame(rand, spec, { json: true });
        expect(json.decode(json.encode(frame))).toStrictEqual([frame]);
      }
    }, 60_000);
    test(`${spec.name} (${spec.type}), toWire/fromWire`, () => {
      const rand = prng(2000 + spec.type);
      for (let i = 0; i < PER_TYPE; i++) {
        const frame = randFrame(rand, spec);
        const wire = toWire(frame);
        expect(wire[0]).toBe(spec.type);
        expect(wire.length).toBeLessThanOrEqual(spec.fields.length + 1);
        expect(fromWire(wire)).toStrictEqual(frame);
      }
    }, 60_000);
  }
});

describe("batches", () => {
  test("random batches of 1..20 frames, both codecs", () => {
    const rand = prng(42);
    for (let i = 0; i < 300; i++) {
      const list: Frame[] = Array.from({ length: 1 + randInt(rand, 20) }, () => randAnyFrame(rand, { json: true }));
      expect(msgpack.decode(msgpack.encodeBatch(list))).toStrictEqual(list);
      expect(json.decode(json.encodeBatch(list))).toStrictEqual(list);
    }
  }, 60_000);

  test("a msgpack batch is the concatenation of single encodings", () => {
    const a: Frame = { type: FrameType.Ack, offset: 3 };
    const b: Frame = { type: FrameType.Ping };
    const joined = msgpack.encodeBatch([a, b]) as Uint8Array;
    expect([...joined]).toEqual([...(msgpack.encode(a) as Uint8Array), ...(msgpack.encode(b) as Uint8Array)]);
  });

  test("a JSON batch of one frame is an array holding one frame array", () => {
    expect(json.encodeBatch([{ type: FrameType.Ping }])).toBe("[[0]]");
    expect(json.decode("[[0]]")).toStrictEqual([{ type: FrameType.Ping }]);
  });
});

describe("wire details", () => {
  test("optional fields: trailing ones are dropped, inner absent ones are nil", () => {
    expect(toWire({ type: FrameType.History, rid: 1, channel: "public:a" })).toEqual([15, 1, "public:a"]);
    expect(toWire({ type: FrameType.History, rid: 1, channel: "public:a", limit: 5 })).toEqual([15, 1, "public:a", null, null, 5]);
    expect(json.encode({ type: FrameType.History, rid: 1, channel: "public:a", after: 5 })).toBe('[15,1,"public:a",null,5]');
  });

  test("nil for an optional field decodes as absent; extra trailing elements are ignored", () => {
    expect(json.decode('[15,1,"public:a",null,5,null,"future",[1,2]]')).toStrictEqual([{ type: FrameType.History, rid: 1, channel: "public:a", after: 5 }]);
    expect(fromWire([40, "c", "i", 1, 2, "f", null, null, null, 99])).toStrictEqual({ type: 40, channel: "c", id: "i", offset: 1, time: 2, from: "f", payload: null });
  });

  test("a nil payload is kept as null; a REPLY with a null result has none", () => {
    const recalled: Frame = { type: FrameType.Update, channel: "r", id: "i", action: 2, payload: null, time: 1, by: "u" };
    expect(msgpack.decode(msgpack.encode(recalled))).toStrictEqual([recalled]);
    expect(msgpack.decode(msgpack.encode({ type: FrameType.Reply, rid: 1, result: null }))).toStrictEqual([{ type: FrameType.Reply, rid: 1 }]);
  });

  test("bytes, dates and big integers in payloads (msgpack)", () => {
    const payload = { b: new Uint8Array([0, 255]), d: new Date(1_700_000_000_123), n: 2 ** 53 - 1, m: -(2 ** 40), f: 0.1 };
    const frame: Frame = { type: FrameType.Publish, rid: 1, room: "r", payload };
    expect(msgpack.decode(msgpack.encode(frame))).toStrictEqual([frame]);
  });

  test("bytes travel as {$bin} in JSON; other typed arrays become bytes", () => {
    const text = json.encode({ type: FrameType.Publish, rid: 1, room: "r", payload: [new Uint8Array([0, 1, 254]), new Uint16Array([1])] });
    expect(text).toBe('[12,1,"r",[{"$bin":"AAH+"},{"$bin":"AQA="}]]');
    expect(json.decode(text)).toStrictEqual([{ type: FrameType.Publish, rid: 1, room: "r", payload: [new Uint8Array([0, 1, 254]), new Uint8Array([1, 0])] }]);
  });

  test("decode accepts ArrayBuffer and Uint8Array views at an offset", () => {
    const bytes = msgpack.encode({ type: FrameType.Ack, offset: 9 }) as Uint8Array;
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    expect(msgpack.decode(padded.subarray(3))).toStrictEqual([{ type: FrameType.Ack, offset: 9 }]);
    expect(msgpack.decode(bytes.slice().buffer)).toStrictEqual([{ type: FrameType.Ack, offset: 9 }]);
    expect(json.decode(new TextEncoder().encode("[19,9]"))).toStrictEqual([{ type: FrameType.Ack, offset: 9 }]);
  });

  test("frames sent with array 16/32 headers and many extra elements; a short frame after a long one", () => {
    const hex = (h: string) => Uint8Array.from(h.match(/../g)!.map((b) => parseInt(b, 16)));
    // [19, 5, 0 × 14] as array 16 (ACK offset 5, rid 0, 13 extra elements), then [0] as array 32,
    // then [1] as fixarray.
    const bytes = hex(`dc0010 13 05 ${"00".repeat(14)} dd00000001 00 9101`.replace(/ /g, ""));
    expect(msgpack.decode(bytes)).toStrictEqual([{ type: FrameType.Ack, offset: 5, rid: 0 }, { type: FrameType.Ping }, { type: FrameType.Pong }]);
    const long: Frame = { type: FrameType.Message, channel: "c", id: "i", offset: 1, time: 2, from: "f", payload: null, state: 1, cmid: "x" };
    expect(msgpack.decode(msgpack.encodeBatch([long, { type: FrameType.Reply, rid: 4 }, long]))).toStrictEqual([long, { type: FrameType.Reply, rid: 4 }, long]);
  });

  test("decoded binary is a copy, not a view of the message", () => {
    const bytes = msgpack.encode({ type: FrameType.Publish, rid: 1, room: "r", payload: new Uint8Array([1, 2, 3]) }) as Uint8Array;
    const [frame] = msgpack.decode(bytes) as unknown as [{ payload: Uint8Array }];
    bytes.fill(0);
    expect([...frame.payload]).toEqual([1, 2, 3]);
  });

  test("encoding does not mutate the frame and ignores unknown properties", () => {
    const frame = { type: FrameType.Join, rid: 1, room: "r", since: { offset: 1, epoch: "e" }, extra: "x" } as unknown as Frame;
    const copy = structuredClone(frame);
    expect(toWire(frame)).toEqual([10, 1, "r", [1, "e"]]);
    msgpack.encode(frame);
    json.encode(frame);
    expect(frame).toStrictEqual(copy);
  });
});
