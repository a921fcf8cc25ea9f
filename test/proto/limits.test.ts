/** Decode limits: nesting, declared lengths (fail fast, no allocation), forbidden keys, payload depth, frames per message. */
import { describe, expect, test } from "bun:test";
import { createJsonCodec, createMsgpackCodec, PAYLOAD_MAX_DEPTH, ProtocolError, ProtocolErrorCode, type DecodeLimits } from "../../proto/index.ts";
import { MsgpackWriter } from "../../proto/msgpack-writer.ts";
import { fromHex } from "./support.ts";

function pack(...values: unknown[]): Uint8Array {
  const writer = new MsgpackWriter(1000);
  writer.start();
  for (const v of values) writer.write(v);
  return writer.finish();
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return (err as ProtocolError).code;
  }
  return "no error";
}

/**
 * Runs `fn` and fails if it used more than `ms` of CPU time. CPU time, not wall-clock time: the
 * point is how much work the decoder does, and a busy machine can stretch the wall clock at will.
 */
function fast<T>(ms: number, fn: () => T): T {
  const start = process.cpuUsage();
  const result = fn();
  const used = process.cpuUsage(start);
  expect((used.user + used.system) / 1000).toBeLessThan(ms);
  return result;
}

const msgpack = createMsgpackCodec();
const json = createJsonCodec();
const HUGE: Partial<DecodeLimits> = { maxStrLength: 2 ** 32, maxBinLength: 2 ** 32, maxArrayLength: 2 ** 32, maxMapLength: 2 ** 32 };
const unlimited = createMsgpackCodec({ limits: HUGE });

function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

describe("nesting depth", () => {
  test("a million nested msgpack arrays fail fast with limit", () => {
    const bytes = new Uint8Array(1_000_001).fill(0x91);
    bytes[bytes.length - 1] = 0x00;
    expect(fast(500, () => code(() => msgpack.decode(bytes)))).toBe(ProtocolErrorCode.Limit);
  });

  test("a million nested JSON arrays fail with a ProtocolError", () => {
    const text = "[".repeat(1_000_000) + "]".repeat(1_000_000);
    const got = fast(10_000, () => code(() => json.decode(text)));
    expect([ProtocolErrorCode.Limit, ProtocolErrorCode.Malformed] as string[]).toContain(got);
  }, 30_000);

  test("the frame array is depth 1: maxDepth is exact", () => {
    const reply = (levels: number) => ({ type: 3, rid: 1, result: nested(levels) }) as const;
    // result sits at depth 2, so it may have maxDepth - 1 levels.
    expect(msgpack.decode(msgpack.encode(reply(31)))).toHaveLength(1);
    expect(code(() => msgpack.decode(msgpack.encode(reply(32))))).toBe(ProtocolErrorCode.Limit);
    expect(json.decode(json.encode(reply(31)))).toHaveLength(1);
    expect(code(() => json.decode(json.encode(reply(32))))).toBe(ProtocolErrorCode.Limit);
  });

  test(`payloads may nest ${PAYLOAD_MAX_DEPTH} levels, wherever they are`, () => {
    const publish = (levels: number) => ({ type: 12, rid: 1, room: "r", payload: nested(levels) }) as const;
    for (const codec of [msgpack, json]) {
      expect(codec.decode(codec.encode(publish(PAYLOAD_MAX_DEPTH)))).toHaveLength(1);
      expect(code(() => codec.decode(codec.encode(publish(PAYLOAD_MAX_DEPTH + 1))))).toBe(ProtocolErrorCode.Limit);
    }
    // The deepest place a payload is repeated: a MESSAGE inside a history REPLY still fits.
    const history = { type: 3, rid: 1, result: { messages: [[40, "r", "i", 1, 1, "u", nested(PAYLOAD_MAX_DEPTH)]] } } as const;
    expect(msgpack.decode(msgpack.encode(history))).toHaveLength(1);
  });

  test("a smaller maxDepth also bounds payloads", () => {
    const small = createMsgpackCodec({ limits: { maxDepth: 4 } });
    expect(small.decode(pack([12, 1, "r", nested(3)]))).toHaveLength(1);
    expect(code(() => small.decode(pack([12, 1, "r", nested(4)])))).toBe(ProtocolErrorCode.Limit);
  });
});

describe("declared lengths fail fast, before allocating", () => {
  const cases: [string, string][] = [
    ["array 32", "dd ffffffff 00"],
    ["map 32", "df ffffffff 00 00"],
    ["str 32", "db ffffffff 61"],
    ["bin 32", "c6 ffffffff 00"],
    ["ext 32", "c9 ffffffff 05 00"],
    ["array 16 in a frame", "93 0c 01 dc ffff"],
  ];
  for (const [label, hex] of cases) {
    test(`${label}: limit by default, truncated with limits raised to 4 GiB`, () => {
      const bytes = fromHex(hex);
      expect(fast(100, () => code(() => msgpack.decode(bytes)))).toBe(ProtocolErrorCode.Limit);
      expect(fast(100, () => code(() => unlimited.decode(bytes)))).toBe(ProtocolErrorCode.Malformed);
    });
  }

  test("every length limit is exact", () => {
    const limits = { maxStrLength: 4, maxBinLength: 2, maxArrayLength: 4, maxMapLength: 1 };
    const codec = createMsgpackCodec({ limits });
    const jcodec = createJsonCodec({ limits });
    const ok = [12, 1, "abcd", [new Uint8Array(2), { a: 1 }, 3, 4]];
    expect(codec.decode(pack(ok))).toHaveLength(1);
    expect(jcodec.decode('[12,1,"abcd",[{"$bin":"AAA="},{"a":1},3,4]]')).toHaveLength(1);
    for (const wire of [
      [12, 1, "abcde", null],
      [12, 1, "r", new Uint8Array(3)],
      [12, 1, "r", [1, 2, 3, 4, 5]],
      [12, 1, "r", { a: 1, b: 2 }],
      [12, 1, "r", { abcde: 1 }],
    ]) {
      expect(code(() => codec.decode(pack(wire)))).toBe(ProtocolErrorCode.Limit);
      const text = JSON.stringify(wire, (_k, v: unknown) => (v instanceof Uint8Array ? { $bin: "AAAA" } : v));
      expect(code(() => jcodec.decode(text))).toBe(ProtocolErrorCode.Limit);
    }
  });

  test("frames per message", () => {
    const pings = (n: number) => pack(...Array.from({ length: n }, () => [0]));
    expect(msgpack.decode(pings(128))).toHaveLength(128);
    expect(code(() => msgpack.decode(pings(129)))).toBe(ProtocolErrorCode.Limit);
    const batch = (n: number) => JSON.stringify(Array.from({ length: n }, () => [0]));
    expect(json.decode(batch(128))).toHaveLength(128);
    expect(code(() => json.decode(batch(129)))).toBe(ProtocolErrorCode.Limit);
  });

  test("a JSON message longer than 4 × max(maxStrLength, maxBinLength) + 65536 is refused unparsed", () => {
    const codec = createJsonCodec({ limits: { maxStrLength: 10, maxBinLength: 10 } });
    const padded = (n: number) => `[12,1,"r",null${" ".repeat(n - 15)}]`;
    expect(codec.decode(padded(65_576))).toHaveLength(1);
    expect(fast(100, () => code(() => codec.decode(padded(65_577))))).toBe(ProtocolErrorCode.Limit);
  });

  test("a huge $bin is refused before decoding it", () => {
    const codec = createJsonCodec({ limits: { maxBinLength: 10 } });
    expect(code(() => codec.decode(`[12,1,"r",{"$bin":"${"A".repeat(16)}"}]`))).toBe(ProtocolErrorCode.Limit);
  });
});

describe("forbidden keys", () => {
  const keys = ["__proto__", "constructor", "prototype"];
  const wrap = (key: string) => `{"a":[1,{${JSON.stringify(key)}:{"polluted":true}}]}`;

  for (const key of keys) {
    test(`${key} is rejected in msgpack payloads, nested and at the top`, () => {
      const map = new Uint8Array([0x81, 0xa0 | key.length, ...new TextEncoder().encode(key), 0xc3]);
      const frame = new Uint8Array([0x94, 0x0c, 0x01, 0xa1, 0x72, ...map]);
      expect(code(() => msgpack.decode(frame))).toBe(ProtocolErrorCode.ForbiddenKey);
      const inner = new Uint8Array([0x94, 0x0c, 0x01, 0xa1, 0x72, 0x81, 0xa1, 0x61, 0x91, ...map]);
      expect(code(() => msgpack.decode(inner))).toBe(ProtocolErrorCode.ForbiddenKey);
    });

    test(`${key} is rejected in JSON payloads, results and HELLO limits`, () => {
      expect(code(() => json.decode(`[12,1,"r",${wrap(key)}]`))).toBe(ProtocolErrorCode.ForbiddenKey);
      expect(code(() => json.decode(`[[0],[3,1,${wrap(key)}]]`))).toBe(ProtocolErrorCode.ForbiddenKey);
      expect(code(() => json.decode(`[2,"s","u",1,1,null,{${JSON.stringify(key)}:1}]`))).toBe(ProtocolErrorCode.ForbiddenKey);
    });
  }

  test("nothing was polluted", () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, "polluted")).toBe(false);
  });

  test("similar keys are fine", () => {
    const [frame] = json.decode('[12,1,"r",{"__proto":1,"Constructor":2,"prototypes":3}]') as unknown as [{ payload: unknown }];
    expect(frame.payload).toEqual({ __proto: 1, Constructor: 2, prototypes: 3 });
  });
});

describe("malformed msgpack", () => {
  const cases: [string, string][] = [
    ["the reserved byte 0xc1", "91 c1"],
    ["truncated array", "93 0c 01"],
    ["truncated string", "93 0c 01 a5 61 62"],
    ["truncated uint 64", "92 13 cf 00 00"],
    ["invalid UTF-8 (short)", "93 0a 01 a2 c3 28"],
    ["invalid UTF-8 (cached length)", "93 0a 01 aa 61 61 61 61 61 61 61 61 61 ff"],
    ["invalid UTF-8 (long)", `93 0a 01 d9 40 ${"61 ".repeat(63)}ff`],
    ["a lone surrogate in UTF-8", "93 0a 01 a3 ed a0 80"],
    ["a map key that is an array", "94 0c 01 a1 72 81 90 c0"],
    ["a timestamp of 3 bytes", "94 0c 01 a1 72 c7 03 ff 00 00 00"],
  ];
  for (const [label, hex] of cases) {
    test(label, () => {
      expect(code(() => msgpack.decode(fromHex(hex)))).toBe(ProtocolErrorCode.Malformed);
    });
  }

  test("numeric map keys become strings; a leading BOM is kept", () => {
    const [frame] = msgpack.decode(fromHex("94 0c 01 a1 72 82 01 a1 78 cb 3f f8 00 00 00 00 00 00 a1 79")) as unknown as [{ payload: unknown }];
    expect(frame.payload).toEqual({ "1": "x", "1.5": "y" });
    const [bom] = msgpack.decode(fromHex("93 0a 01 a4 ef bb bf 72")) as unknown as [{ room: string }];
    expect(bom.room).toBe("\ufeffr");
  });
});
