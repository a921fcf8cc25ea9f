/** Shape validation: every field kind, directions, unknown types, and the rid carried by errors. */
import { describe, expect, test } from "bun:test";
import { createJsonCodec, createMsgpackCodec, fromWire, ID_MAX, NAME_MAX, ProtocolError, ProtocolErrorCode, TOKEN_MAX, type Frame } from "../../proto/index.ts";
import { MsgpackWriter } from "../../proto/msgpack-writer.ts";

function pack(...values: unknown[]): Uint8Array {
  const writer = new MsgpackWriter();
  writer.start();
  for (const v of values) writer.write(v);
  return writer.finish();
}

function errorOf(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error("expected a ProtocolError");
}

const bad: [string, unknown[]][] = [
  ["not an array", ["x"]],
  ["empty frame", []],
  ["type not a number", ["10", 1, "r"]],
  ["type not an integer", [10.5, 1, "r"]],
  ["missing required field", [10, 1]],
  ["nil required field", [10, 1, null]],
  ["rid negative", [10, -1, "r"]],
  ["rid a float", [10, 1.5, "r"]],
  ["rid above 2^53", [10, 2 ** 53, "r"]],
  ["rid a string", [10, "1", "r"]],
  ["str empty", [10, 1, ""]],
  ["str too long", [10, 1, "r".repeat(NAME_MAX + 1)]],
  ["str not a string", [10, 1, 5]],
  ["pos not an array", [10, 1, "r", { offset: 1, epoch: "e" }]],
  ["pos too short", [10, 1, "r", [1]]],
  ["pos offset negative", [10, 1, "r", [-1, "e"]]],
  ["pos epoch not a string", [10, 1, "r", [1, 2]]],
  ["pos epoch too long", [10, 1, "r", [1, "e".repeat(ID_MAX + 1)]]],
  ["strs not an array", [18, 1, "alice"]],
  ["strs with an empty string", [18, 1, ["a", ""]]],
  ["strs with a number", [18, 1, ["a", 1]]],
  ["strs too many", [18, 1, Array.from({ length: 1001 }, (_, i) => `u${i}`)]],
  ["map is an array", [2, "s", "u", 1, 1, null, []]],
  ["map is a string", [2, "s", "u", 1, 1, null, "limits"]],
  ["map is bytes", [2, "s", "u", 1, 1, null, new Uint8Array(1)]],
  ["text too long", [4, 1, 400, "m".repeat(1025)]],
  ["token too long", [25, 1, "t".repeat(TOKEN_MAX + 1)]],
  ["cmid too long", [12, 1, "r", {}, "c".repeat(ID_MAX + 1)]],
];

describe("invalid frames are rejected with bad_shape", () => {
  const json = createJsonCodec();
  const msgpack = createMsgpackCodec();
  for (const [label, wire] of bad) {
    test(label, () => {
      expect(errorOf(() => fromWire(wire)).code).toBe(ProtocolErrorCode.BadShape);
      expect(errorOf(() => msgpack.decode(pack(wire))).code).toBe(ProtocolErrorCode.BadShape);
      const text = JSON.stringify(wire, (_k, v: unknown) => (v instanceof Uint8Array ? { $bin: "AA==" } : v));
      if (wire.length > 0) expect(errorOf(() => json.decode(text)).code).toBe(ProtocolErrorCode.BadShape);
    });
  }

  test("valid edge values are accepted", () => {
    expect(fromWire([10, 0, "r".repeat(NAME_MAX), [0, ""]])).toStrictEqual({ type: 10, rid: 0, room: "r".repeat(NAME_MAX), since: { offset: 0, epoch: "" } });
    expect(fromWire([4, 0, 400, ""])).toStrictEqual({ type: 4, rid: 0, code: 400, message: "" });
    expect(fromWire([10, 2 ** 53 - 1, "r"])).toStrictEqual({ type: 10, rid: 2 ** 53 - 1, room: "r" });
    expect(fromWire([18, 1, []])).toStrictEqual({ type: 18, rid: 1, users: [] });
    expect(fromWire([10, 3.0, "r"])).toStrictEqual({ type: 10, rid: 3, room: "r" });
  });
});

describe("errors carry the frame type and rid when they can be read", () => {
  test("a bad field of a request", () => {
    const err = errorOf(() => fromWire([12, 77, ""]));
    expect(err.frameType).toBe(12);
    expect(err.rid).toBe(77);
  });

  test("an unknown type: code unknown_type, rid from the second element", () => {
    const err = errorOf(() => fromWire([39, 5, "future"]));
    expect(err.code).toBe(ProtocolErrorCode.UnknownType);
    expect(err.frameType).toBe(39);
    expect(err.rid).toBe(5);
    const big = errorOf(() => createMsgpackCodec().decode(pack([1000, 6])));
    expect([big.code, big.frameType, big.rid]).toEqual([ProtocolErrorCode.UnknownType, 1000, 6]);
    expect(errorOf(() => fromWire([-1])).code).toBe(ProtocolErrorCode.UnknownType);
    expect(errorOf(() => fromWire([39, "x"])).rid).toBeUndefined();
  });

  test("no rid for frames whose first field is not a rid", () => {
    expect(errorOf(() => fromWire([19, -5])).rid).toBeUndefined();
  });

  test("a limit or key error inside a msgpack frame still names its type and rid", () => {
    const codec = createMsgpackCodec();
    const err = errorOf(() => codec.decode(pack([12, 300, "r", { constructor: 1 }])));
    expect([err.code, err.frameType, err.rid]).toEqual([ProtocolErrorCode.ForbiddenKey, 12, 300]);
    const deep = errorOf(() => createMsgpackCodec({ limits: { maxDepth: 3 } }).decode(pack([12, 70_000, "r", [[[1]]]])));
    expect([deep.code, deep.frameType, deep.rid]).toEqual([ProtocolErrorCode.Limit, 12, 70_000]);
    const json = errorOf(() => createJsonCodec().decode('[[0],[12,301,"r",{"a":{"prototype":1}}]]'));
    expect([json.code, json.frameType, json.rid]).toEqual([ProtocolErrorCode.ForbiddenKey, 12, 301]);
    const ack = errorOf(() => codec.decode(pack([19, 5]).subarray(0, 2).slice()));
    expect(ack.code).toBe(ProtocolErrorCode.Malformed);
  });
});

describe("direction", () => {
  const server = createMsgpackCodec({ accept: "client" });
  const client = createJsonCodec({ accept: "server" });

  test("a server accepts client frames and ping/pong, not server frames", () => {
    expect(server.decode(pack([10, 1, "r"], [0], [1]))).toHaveLength(3);
    const err = errorOf(() => server.decode(pack([40, "c", "i", 1, 1, "f", null])));
    expect(err.code).toBe(ProtocolErrorCode.BadShape);
    expect(err.frameType).toBe(40);
  });

  test("a client accepts server frames and ping/pong, not client frames", () => {
    expect(client.decode("[[3,1],[0],[1]]")).toHaveLength(3);
    expect(errorOf(() => client.decode('[12,1,"r",null]')).code).toBe(ProtocolErrorCode.BadShape);
  });
});

describe("onInvalidFrame", () => {
  test("invalid frames are reported and skipped; the valid ones are returned", () => {
    const seen: ProtocolError[] = [];
    const codec = createMsgpackCodec({ accept: "server", onInvalidFrame: (e) => seen.push(e) });
    const frames = codec.decode(pack([3, 1], [63, "a future push"], [12, 2, "r", null], [0]));
    expect(frames).toStrictEqual([{ type: 3, rid: 1 }, { type: 0 }] as Frame[]);
    expect(seen.map((e) => [e.code, e.frameType])).toEqual([
      [ProtocolErrorCode.UnknownType, 63],
      [ProtocolErrorCode.BadShape, 12],
    ]);
  });

  test("it is called after decoding, so it may decode again", () => {
    let inner: Frame[] = [];
    const codec: ReturnType<typeof createJsonCodec> = createJsonCodec({ onInvalidFrame: () => (inner = codec.decode("[0]")) });
    expect(codec.decode("[[1],[60]]")).toStrictEqual([{ type: 1 }]);
    expect(inner).toStrictEqual([{ type: 0 }]);
  });

  test("malformed bytes still throw", () => {
    const codec = createMsgpackCodec({ onInvalidFrame: () => {} });
    expect(errorOf(() => codec.decode(new Uint8Array([0x92, 0x00]))).code).toBe(ProtocolErrorCode.Malformed);
    expect(errorOf(() => createJsonCodec({ onInvalidFrame: () => {} }).decode("[0")).code).toBe(ProtocolErrorCode.Malformed);
  });
});

describe("message-level errors", () => {
  test("msgpack: empty message, text message", () => {
    expect(errorOf(() => createMsgpackCodec().decode(new Uint8Array(0))).code).toBe(ProtocolErrorCode.Malformed);
    expect(errorOf(() => createMsgpackCodec().decode("[0]")).code).toBe(ProtocolErrorCode.Malformed);
  });

  test("JSON: not JSON, not UTF-8, not an array, empty array", () => {
    const json = createJsonCodec();
    expect(errorOf(() => json.decode("{")).code).toBe(ProtocolErrorCode.Malformed);
    expect(errorOf(() => json.decode(new Uint8Array([0x5b, 0xff, 0x5d]))).code).toBe(ProtocolErrorCode.Malformed);
    expect(errorOf(() => json.decode('{"type":0}')).code).toBe(ProtocolErrorCode.BadShape);
    expect(errorOf(() => json.decode("[]")).code).toBe(ProtocolErrorCode.BadShape);
    expect(errorOf(() => json.decode("[[0],[]]")).code).toBe(ProtocolErrorCode.BadShape);
    expect(errorOf(() => json.decode('[[0],{"$bin":"!!"}]')).code).toBe(ProtocolErrorCode.Malformed);
  });

  test("encoding an unknown frame type or an unencodable value throws ProtocolError", () => {
    const msgpack = createMsgpackCodec();
    const json = createJsonCodec();
    const unknown = { type: 99 } as unknown as Frame;
    expect(errorOf(() => msgpack.encode(unknown)).code).toBe(ProtocolErrorCode.UnknownType);
    expect(errorOf(() => json.encode(unknown)).code).toBe(ProtocolErrorCode.UnknownType);
    const big: Frame = { type: 12, rid: 1, room: "r", payload: 10n };
    expect(errorOf(() => msgpack.encode(big)).code).toBe(ProtocolErrorCode.BadShape);
    expect(errorOf(() => json.encode(big)).code).toBe(ProtocolErrorCode.BadShape);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(errorOf(() => msgpack.encode({ type: 12, rid: 1, room: "r", payload: cycle })).code).toBe(ProtocolErrorCode.Limit);
    expect(errorOf(() => json.encode({ type: 12, rid: 1, room: "r", payload: cycle })).code).toBe(ProtocolErrorCode.Limit);
  });
});
