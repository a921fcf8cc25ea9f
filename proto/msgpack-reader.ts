/**
 * @module msgpack-reader
 * A small, bounded msgpack decoder for untrusted input.
 *
 * It reads the whole msgpack format and gives the same values as `@msgpack/msgpack`'s default
 * `Decoder` (checked by a differential fuzz test): integers up to 64 bits as numbers, `bin` as a
 * `Uint8Array` (a copy, never a view of the input), maps as plain objects with string keys (number
 * keys become their decimal string), the timestamp extension (-1) as a `Date`, other extensions as
 * {@link ExtData} (proto's class, of the same shape as the library's). It differs on purpose where
 * the library is lenient: strings must be valid UTF-8 (a leading BOM is kept), map keys must be
 * strings or numbers, `__proto__`/`constructor`/`prototype` keys are rejected, timestamps must have
 * nanoseconds below 10^9 and fit a JavaScript `Date`, and nesting depth is bounded.
 *
 * Invariants: every length is checked against {@link DecodeLimits} and against the bytes that remain
 * before anything is allocated; nesting deeper than `maxDepth` stops the read (recursion is bounded
 * by it); the only exception thrown is {@link ProtocolError} (`malformed`, `limit` or `forbidden_key`).
 */
import { ProtocolError, ProtocolErrorCode } from "./errors.ts";
import { ExtData } from "./ext-data.ts";
import { DEFAULT_LIMITS, FORBIDDEN_KEYS, type DecodeLimits } from "./limits.ts";
import { decodeUtf8Cached } from "./utf8.ts";

/** The msgpack extension type of timestamps. */
export const EXT_TIMESTAMP = -1;

const F32 = new Float32Array(1);
const F64 = new Float64Array(1);
const F32_BYTES = new Uint8Array(F32.buffer);
const F64_BYTES = new Uint8Array(F64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Reads msgpack values one after another from a byte array. One reader may be reused for many
 * inputs (not re-entrantly); {@link reset} starts a new input.
 */
export class MsgpackReader {
  private bytes: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private end = 0;
  private readonly limits: DecodeLimits;
  /** Deepest container nesting reached since it was last set to 0 (the caller resets it per frame). */
  deepest = 0;

  constructor(limits: DecodeLimits = DEFAULT_LIMITS) {
    this.limits = limits;
  }

  /** Starts reading `bytes` from its first byte. The reader keeps no copy: do not mutate `bytes` while reading. */
  reset(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.pos = 0;
    this.end = bytes.byteLength;
  }

  /** Byte offset of the next value. */
  get offset(): number {
    return this.pos;
  }

  /** True while unread bytes remain. */
  get hasMore(): boolean {
    return this.pos < this.end;
  }

  /**
   * Reads one complete value. `depth` is the nesting level the value sits at: a top-level array or
   * map is depth 1 and may hold containers down to `limits.maxDepth`.
   */
  read(depth = 1): unknown {
    if (this.pos >= this.end) throw truncated();
    const b = this.bytes[this.pos++]!;
    if (b < 0x80) return b;
    if (b < 0x90) return this.map(b & 0x0f, depth);
    if (b < 0xa0) return this.array(b & 0x0f, depth);
    if (b < 0xc0) return this.str(b & 0x1f);
    if (b >= 0xe0) return b - 0x100;
    switch (b) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: return this.bin(this.uint(1));
      case 0xc5: return this.bin(this.uint(2));
      case 0xc6: return this.bin(this.uint(4));
      case 0xc7: return this.ext(this.uint(1));
      case 0xc8: return this.ext(this.uint(2));
      case 0xc9: return this.ext(this.uint(4));
      case 0xca: return this.float(4);
      case 0xcb: return this.float(8);
      case 0xcc: return this.uint(1);
      case 0xcd: return this.uint(2);
      case 0xce: return this.uint(4);
      case 0xcf: return this.uint(4) * 0x1_0000_0000 + this.uint(4);
      case 0xd0: return (this.uint(1) << 24) >> 24;
      case 0xd1: return (this.uint(2) << 16) >> 16;
      case 0xd2: return this.uint(4) | 0;
      case 0xd3: return (this.uint(4) | 0) * 0x1_0000_0000 + this.uint(4);
      case 0xd4: return this.ext(1);
      case 0xd5: return this.ext(2);
      case 0xd6: return this.ext(4);
      case 0xd7: return this.ext(8);
      case 0xd8: return this.ext(16);
      case 0xd9: return this.str(this.uint(1));
      case 0xda: return this.str(this.uint(2));
      case 0xdb: return this.str(this.uint(4));
      case 0xdc: return this.array(this.uint(2), depth);
      case 0xdd: return this.array(this.uint(4), depth);
      case 0xde: return this.map(this.uint(2), depth);
      case 0xdf: return this.map(this.uint(4), depth);
      default: throw new ProtocolError(ProtocolErrorCode.Malformed, `invalid msgpack type byte 0x${b.toString(16)}`);
    }
  }

  /**
   * Reads one top-level value like {@link read}, but when it is an array, fills `into` with its
   * elements (setting its length) and returns `into`, sparing an allocation. The caller must not
   * keep `into` past its next use.
   */
  readInto(into: unknown[]): unknown {
    if (this.pos >= this.end) throw truncated();
    const b = this.bytes[this.pos]!;
    let n: number;
    if (b >= 0x90 && b < 0xa0) n = b & 0x0f;
    else if (b === 0xdc && this.pos + 2 < this.end) n = (this.bytes[this.pos + 1]! << 8) | this.bytes[this.pos + 2]!;
    else return this.read();
    this.pos += b === 0xdc ? 3 : 1;
    this.checkContainer(n, 1, 1, this.limits.maxArrayLength, "array");
    into.length = n;
    for (let i = 0; i < n; i++) into[i] = this.read(2);
    return into;
  }

  /** Advances past `n` bytes and returns where they start. */
  private take(n: number): number {
    const at = this.pos;
    if (at + n > this.end) throw truncated();
    this.pos = at + n;
    return at;
  }

  /**
   * Reads a big-endian float 32 or 64 through a scratch array: no `DataView` on the input, whose
   * `.buffer` would force JavaScriptCore to move a fresh small array out of the GC heap.
   */
  private float(size: 4 | 8): number {
    const at = this.take(size);
    const b = this.bytes;
    const out = size === 4 ? F32_BYTES : F64_BYTES;
    for (let i = 0; i < size; i++) out[LITTLE_ENDIAN ? size - 1 - i : i] = b[at + i]!;
    return size === 4 ? F32[0]! : F64[0]!;
  }

  /** The big-endian uint 32 at `at` (already bounds-checked). */
  private u32(at: number): number {
    const b = this.bytes;
    return ((b[at]! << 24) >>> 0) + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
  }

  /** Reads a big-endian unsigned integer of 1, 2 or 4 bytes. */
  private uint(size: 1 | 2 | 4): number {
    const at = this.take(size);
    const b = this.bytes;
    if (size === 1) return b[at]!;
    if (size === 2) return (b[at]! << 8) | b[at + 1]!;
    return this.u32(at);
  }

  private checkContainer(n: number, minBytesEach: number, depth: number, max: number, what: string): void {
    if (depth > this.deepest) {
      if (depth > this.limits.maxDepth) throw new ProtocolError(ProtocolErrorCode.Limit, `nesting deeper than ${this.limits.maxDepth}`);
      this.deepest = depth;
    }
    if (n > max) throw new ProtocolError(ProtocolErrorCode.Limit, `${what} of ${n} entries exceeds the limit of ${max}`);
    if (n * minBytesEach > this.end - this.pos) throw truncated();
  }

  private array(n: number, depth: number): unknown[] {
    this.checkContainer(n, 1, depth, this.limits.maxArrayLength, "array");
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = this.read(depth + 1);
    return out;
  }

  private map(n: number, depth: number): Record<string, unknown> {
    this.checkContainer(n, 2, depth, this.limits.maxMapLength, "map");
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const key = this.key();
      out[key] = this.read(depth + 1);
    }
    return out;
  }

  private key(): string {
    if (this.pos >= this.end) throw truncated();
    const b = this.bytes[this.pos]!;
    let key: string;
    if (b >= 0xa0 && b < 0xc0) {
      this.pos++;
      key = this.str(b & 0x1f);
    } else if (b >= 0xd9 && b <= 0xdb) {
      key = this.read() as string;
    } else if (b < 0x80 || b >= 0xe0 || (b >= 0xca && b <= 0xd3)) {
      return String(this.read());
    } else {
      throw new ProtocolError(ProtocolErrorCode.Malformed, "map keys must be strings or numbers");
    }
    if (FORBIDDEN_KEYS.has(key)) throw new ProtocolError(ProtocolErrorCode.ForbiddenKey, `map key "${key}" is not allowed`);
    return key;
  }

  private str(n: number): string {
    if (n > this.limits.maxStrLength) throw new ProtocolError(ProtocolErrorCode.Limit, `string of ${n} bytes exceeds the limit of ${this.limits.maxStrLength}`);
    const at = this.take(n);
    return decodeUtf8Cached(this.bytes, at, at + n);
  }

  private bin(n: number): Uint8Array {
    if (n > this.limits.maxBinLength) throw new ProtocolError(ProtocolErrorCode.Limit, `binary of ${n} bytes exceeds the limit of ${this.limits.maxBinLength}`);
    const at = this.take(n);
    return this.bytes.slice(at, at + n);
  }

  private ext(n: number): Date | ExtData {
    if (n > this.limits.maxBinLength) throw new ProtocolError(ProtocolErrorCode.Limit, `extension of ${n} bytes exceeds the limit of ${this.limits.maxBinLength}`);
    const type = (this.uint(1) << 24) >> 24;
    const at = this.take(n);
    if (type !== EXT_TIMESTAMP) return new ExtData(type, this.bytes.slice(at, at + n));
    let sec: number;
    let nsec: number;
    if (n === 4) {
      sec = this.u32(at);
      nsec = 0;
    } else if (n === 8) {
      const high = this.u32(at);
      sec = (high & 0x3) * 0x1_0000_0000 + this.u32(at + 4);
      nsec = high >>> 2;
    } else if (n === 12) {
      sec = (this.u32(at + 4) | 0) * 0x1_0000_0000 + this.u32(at + 8);
      nsec = this.u32(at);
    } else {
      throw new ProtocolError(ProtocolErrorCode.Malformed, `timestamp extension of ${n} bytes (expected 4, 8 or 12)`);
    }
    const date = new Date(sec * 1e3 + nsec / 1e6);
    if (nsec > 999_999_999 || Number.isNaN(date.getTime())) {
      throw new ProtocolError(ProtocolErrorCode.Malformed, "timestamp out of range");
    }
    return date;
  }
}

function truncated(): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.Malformed, "truncated msgpack data");
}
