/**
 * The msgpack reader and writer against @msgpack/msgpack (differential): the same values both ways,
 * byte-identical encodings, and on random bytes the reader is never more lenient than the library.
 */
import { describe, expect, test } from "bun:test";
import { decode as libDecode, encode as libEncode, ExtData as LibExtData } from "@msgpack/msgpack";
import { DEFAULT_LIMITS, ExtData, ProtocolError } from "../../proto/index.ts";
import { MsgpackReader } from "../../proto/msgpack-reader.ts";
import { MsgpackWriter } from "../../proto/msgpack-writer.ts";
import { prng, randInt, randValue, toHex } from "./support.ts";

const writer = new MsgpackWriter();
const reader = new MsgpackReader();

function ours(value: unknown): Uint8Array {
  writer.start();
  writer.write(value);
  return writer.finish();
}

function read(bytes: Uint8Array): unknown {
  reader.reset(bytes);
  const value = reader.read();
  if (reader.hasMore) throw new Error("extra bytes");
  return value;
}

const lib = (value: unknown) => libEncode(value, { ignoreUndefined: true });

/** The library's values with its ExtData instances replaced by ours (the only type that differs). */
function normalize(value: unknown): unknown {
  if (value instanceof LibExtData) return new ExtData(value.type, value.data as Uint8Array);
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === "object" && !(value instanceof Uint8Array) && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

describe("differential against @msgpack/msgpack", () => {
  test("random values: identical bytes, and each side decodes the other's encoding (20,000 values)", () => {
    const rand = prng(7);
    for (let i = 0; i < 20_000; i++) {
      const value = randValue(rand, 4);
      const mine = ours(value);
      const theirs = lib(value);
      if (toHex(mine) !== toHex(theirs)) throw new Error(`case ${i}: ${toHex(mine)} != ${toHex(theirs)}`);
      expect(read(theirs)).toStrictEqual(value);
      expect(libDecode(mine)).toStrictEqual(value);
    }
  }, 60_000);

  test("random bytes: whatever the reader accepts, the library decodes to the same value (50,000 inputs)", () => {
    const rand = prng(8);
    let accepted = 0;
    for (let i = 0; i < 50_000; i++) {
      const bytes = new Uint8Array(1 + randInt(rand, 12));
      for (let j = 0; j < bytes.length; j++) bytes[j] = randInt(rand, 256);
      let value: unknown;
      try {
        value = read(bytes);
      } catch (err) {
        if (err instanceof ProtocolError) continue;
        if (err instanceof Error && err.message === "extra bytes") continue;
        throw err;
      }
      accepted++;
      expect(normalize(libDecode(bytes))).toStrictEqual(value);
    }
    expect(accepted).toBeGreaterThan(2_000);
  }, 60_000);

  test("every int and float boundary", () => {
    const numbers = [0, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, -(2 ** 53 - 1), 0.5, -0.5, 2 ** 53, -(2 ** 60), 1e-300, NaN, Infinity, -Infinity];
    for (const n of numbers) {
      expect(toHex(ours(n))).toBe(toHex(lib(n)));
      expect(read(lib(n))).toBe(n);
    }
    expect(read(ours(-0))).toBe(0); // like the library: -0 is an integer
  });

  test("strings of every header size and every UTF-8 length", () => {
    for (const s of ["", "a".repeat(31), "a".repeat(32), "é".repeat(16), "€".repeat(11), "😀".repeat(8), "x".repeat(255), "y".repeat(256), "z".repeat(65535), "w".repeat(65536), "中".repeat(30_000)]) {
      expect(toHex(ours(s))).toBe(toHex(lib(s)));
      expect(read(lib(s))).toBe(s);
    }
  });

  test("lone surrogates are written as U+FFFD, like TextEncoder", () => {
    expect(read(ours("a\ud800b"))).toBe("a\ufffdb");
    expect(read(ours("\udc00".repeat(100)))).toBe("\ufffd".repeat(100));
  });

  test("binary, ext and timestamps", () => {
    for (const value of [new Uint8Array(0), new Uint8Array(300), new Uint8Array(70_000)]) {
      expect(toHex(ours(value))).toBe(toHex(lib(value)));
      expect(read(lib(value))).toStrictEqual(value);
    }
    for (const [type, size] of [[1, 1], [-5, 3], [9, 16], [9, 300], [127, 70_000]] as const) {
      const data = Uint8Array.from({ length: size }, (_, i) => i & 0xff);
      const theirs = lib(new LibExtData(type, data));
      expect(toHex(ours(new ExtData(type, data)))).toBe(toHex(theirs));
      expect(toHex(ours(new LibExtData(type, data)))).toBe(toHex(theirs)); // the library's instances are recognised
      expect(read(theirs)).toStrictEqual(new ExtData(type, data));
    }
    for (const ms of [0, 1000, 1500, -1, -1500, 2 ** 32 * 1000, 2 ** 34 * 1000, 8.64e15, -8.64e15]) {
      const date = new Date(ms);
      expect(toHex(ours(date))).toBe(toHex(lib(date)));
      expect(read(lib(date))).toStrictEqual(date);
    }
  });

  test("the writer's extras: other views, ArrayBuffer, undefined", () => {
    expect(read(ours(new Uint16Array([1, 2])))).toStrictEqual(new Uint8Array([1, 0, 2, 0]));
    expect(read(ours(new Uint8Array([5, 6]).buffer))).toStrictEqual(new Uint8Array([5, 6]));
    expect(read(ours([undefined, { a: undefined, b: 1 }]))).toStrictEqual([null, { b: 1 }]);
  });

  test("the writer reuses its buffer and can grow and shrink it", () => {
    const big = "q".repeat(3_000_000);
    const roomy = new MsgpackReader({ ...DEFAULT_LIMITS, maxStrLength: 2 ** 23 });
    roomy.reset(ours(big));
    expect(roomy.read()).toBe(big);
    expect(toHex(ours([1, 2]))).toBe("920102");
  });
});
