/**
 * Helpers shared by the proto tests and the vector generator: hex, the JSON form of vector values,
 * a seeded PRNG and random msgpack values.
 *
 * Vector JSON conventions (also documented in PROTOCOL.md, "Test vectors"): a `Uint8Array` is
 * `{"$bin": "<base64>"}`, a `Date` is `{"$date": <ms since the epoch>}`, an `ExtData` is
 * `{"$ext": [<type>, "<base64>"]}`; everything else is plain JSON.
 */
import { base64ToBytes, bytesToBase64, ExtData } from "../../proto/index.ts";

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Runtime value → vector JSON value. */
export function toVectorJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bin: bytesToBase64(value) };
  if (value instanceof Date) return { $date: value.getTime() };
  if (value instanceof ExtData) return { $ext: [value.type, bytesToBase64(value.data as Uint8Array)] };
  if (Array.isArray(value)) return value.map(toVectorJson);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toVectorJson(v);
    return out;
  }
  return value;
}

/** Vector JSON value → runtime value. */
export function fromVectorJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromVectorJson);
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1) {
      if (typeof record.$bin === "string") return base64ToBytes(record.$bin);
      if (typeof record.$date === "number") return new Date(record.$date);
      if (Array.isArray(record.$ext)) return new ExtData(record.$ext[0] as number, base64ToBytes(record.$ext[1] as string));
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = fromVectorJson(record[k]);
    return out;
  }
  return value;
}

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same sequence everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random integer in [0, n). */
export function randInt(rand: () => number, n: number): number {
  return Math.floor(rand() * n);
}

const ALPHABET = ["a", "Z", "0", " ", "é", "ß", "€", "中", "😀", "\u0000", "\u007f", "\u0080", "\u07ff", "\u0800", "\uffff", "\ud7ff", "\ue000"];

/** A random well-formed string (no lone surrogates), length 0..maxLen code points, mixing 1–4 byte UTF-8. */
export function randString(rand: () => number, maxLen: number): string {
  const n = randInt(rand, maxLen + 1);
  let out = "";
  const ascii = rand() < 0.5;
  for (let i = 0; i < n; i++) out += ascii ? String.fromCharCode(32 + randInt(rand, 95)) : ALPHABET[randInt(rand, ALPHABET.length)]!;
  return out;
}

const NUMBERS = [0, 1, -1, 31, 32, -32, -33, 127, 128, 255, 256, -128, -129, 65535, 65536, -32768, -32769, 2 ** 32 - 1, 2 ** 32, -(2 ** 31), -(2 ** 31) - 1, 2 ** 53 - 1, -(2 ** 53 - 1), 0.5, -1.25, 1e300, 5e-324, Math.PI];

/** A random number: boundaries of every msgpack int format, random ints and floats. */
export function randNumber(rand: () => number): number {
  const r = rand();
  if (r < 0.4) return NUMBERS[randInt(rand, NUMBERS.length)]!;
  if (r < 0.7) return randInt(rand, 2 ** 20) - 2 ** 19;
  if (r < 0.85) return Math.floor((rand() - 0.5) * 2 ** 53);
  return (rand() - 0.5) * 10 ** randInt(rand, 20);
}

/**
 * A random msgpack value of at most `depth` nesting levels: nil, booleans, numbers, strings, bytes,
 * dates (whole milliseconds), arrays and string-keyed maps (no forbidden keys).
 */
export function randValue(rand: () => number, depth: number): unknown {
  const r = randInt(rand, depth > 0 ? 10 : 7);
  switch (r) {
    case 0: return null;
    case 1: return rand() < 0.5;
    case 2:
    case 3: return randNumber(rand);
    case 4: return randString(rand, rand() < 0.9 ? 12 : 300);
    case 5: {
      const bytes = new Uint8Array(randInt(rand, rand() < 0.9 ? 20 : 300));
      for (let i = 0; i < bytes.length; i++) bytes[i] = randInt(rand, 256);
      return bytes;
    }
    case 6: {
      const choices = [0, 1000, -1000, 1.7e12 + randInt(rand, 1e9), 2 ** 34 * 1000 + 5, -(2 ** 40), 8.64e15];
      return new Date(choices[randInt(rand, choices.length)]!);
    }
    case 7:
    case 8: {
      const n = randInt(rand, rand() < 0.95 ? 6 : 40);
      return Array.from({ length: n }, () => randValue(rand, depth - 1));
    }
    default: {
      const out: Record<string, unknown> = {};
      const n = randInt(rand, rand() < 0.95 ? 6 : 40);
      for (let i = 0; i < n; i++) {
        let key = randString(rand, 8);
        if (key === "__proto__" || key === "constructor" || key === "prototype") key += "_";
        out[key] = randValue(rand, depth - 1);
      }
      return out;
    }
  }
}
