/**
 * @module msgpack-writer
 * A small msgpack encoder producing the same bytes as `@msgpack/msgpack`'s `Encoder` with
 * `ignoreUndefined: true` (checked by a differential test), without its generality or a dependency on it.
 *
 * Encoding rules (deterministic: equal inputs give equal bytes):
 * - `null`/`undefined` → nil (`undefined` map values are left out); booleans → true/false.
 * - Safe integers → the shortest int format (`-0` → 0); any other number → float 64.
 * - Strings → UTF-8 with the shortest header (lone surrogates → U+FFFD, like `TextEncoder`).
 * - `Uint8Array` and other `ArrayBuffer` views → bin (their bytes); `ArrayBuffer` → bin.
 * - `Date` → timestamp extension (-1) in its 32/64/96-bit form (an invalid `Date` throws); `ExtData`
 *   (ours or `@msgpack/msgpack`'s) → ext.
 * - Arrays → array; any other object → map of its own enumerable string keys, in insertion order.
 * - `bigint`, functions, symbols, and nesting deeper than `maxDepth` (cycles) throw {@link ProtocolError}.
 */
import { ProtocolError, ProtocolErrorCode } from "./errors.ts";
import { asExtData } from "./ext-data.ts";
import { EXT_TIMESTAMP } from "./msgpack-reader.ts";
import { encodeUtf8Into } from "./utf8.ts";

const INITIAL_SIZE = 4096;
/** After an encode that grew the buffer past this, the next one starts from a small buffer again. */
const KEEP_SIZE = 1 << 20;

/**
 * Appends msgpack values to a growable buffer. Usage: {@link start}, any number of {@link write},
 * then {@link finish} for a copy of the bytes. Not re-entrant; one writer per codec.
 */
export class MsgpackWriter {
  private buf: Uint8Array<ArrayBuffer> = new Uint8Array(INITIAL_SIZE);
  private view = new DataView(this.buf.buffer);
  private pos = 0;
  private readonly maxDepth: number;

  /** @param maxDepth deepest nesting written; a top-level array or map is depth 1. */
  constructor(maxDepth = 100) {
    this.maxDepth = maxDepth;
  }

  /** Discards anything written and starts a new output. */
  start(): void {
    if (this.buf.byteLength > KEEP_SIZE) this.grow(INITIAL_SIZE, true);
    this.pos = 0;
  }

  /** A copy of the bytes written since {@link start}. */
  finish(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.pos);
  }

  /** Writes an array header for `n` elements (the caller then writes them). */
  arrayHeader(n: number): void {
    this.ensure(5);
    if (n < 16) this.buf[this.pos++] = 0x90 | n;
    else if (n < 0x10000) this.head16(0xdc, n);
    else this.head32(0xdd, n);
  }

  /** Writes one value at nesting `depth` (1 = top level). */
  write(value: unknown, depth = 1): void {
    switch (typeof value) {
      case "string":
        return this.str(value);
      case "number":
        return this.num(value);
      case "boolean":
        this.ensure(1);
        this.buf[this.pos++] = value ? 0xc3 : 0xc2;
        return;
      case "undefined":
        return this.nil();
      case "object":
        if (value === null) return this.nil();
        return this.object(value, depth);
      default:
        throw new ProtocolError(ProtocolErrorCode.BadShape, `cannot encode a ${typeof value}`);
    }
  }

  private nil(): void {
    this.ensure(1);
    this.buf[this.pos++] = 0xc0;
  }

  private num(n: number): void {
    this.ensure(9);
    const buf = this.buf;
    if (Number.isSafeInteger(n)) {
      if (n >= 0) {
        if (n < 0x80) buf[this.pos++] = n;
        else if (n < 0x100) {
          buf[this.pos++] = 0xcc;
          buf[this.pos++] = n;
        } else if (n < 0x10000) this.head16(0xcd, n);
        else if (n < 0x1_0000_0000) this.head32(0xce, n);
        else this.int64(0xcf, n);
      } else if (n >= -0x20) buf[this.pos++] = n & 0xff;
      else if (n >= -0x80) {
        buf[this.pos++] = 0xd0;
        buf[this.pos++] = n & 0xff;
      } else if (n >= -0x8000) this.head16(0xd1, n & 0xffff);
      else if (n >= -0x8000_0000) this.head32(0xd2, n >>> 0);
      else this.int64(0xd3, n);
      return;
    }
    buf[this.pos++] = 0xcb;
    this.view.setFloat64(this.pos, n);
    this.pos += 8;
  }

  private int64(head: number, n: number): void {
    this.buf[this.pos++] = head;
    const high = Math.floor(n / 0x1_0000_0000);
    this.view.setUint32(this.pos, high >>> 0);
    this.view.setUint32(this.pos + 4, (n - high * 0x1_0000_0000) >>> 0);
    this.pos += 8;
  }

  private head16(head: number, n: number): void {
    const buf = this.buf;
    buf[this.pos] = head;
    buf[this.pos + 1] = n >>> 8;
    buf[this.pos + 2] = n & 0xff;
    this.pos += 3;
  }

  private head32(head: number, n: number): void {
    this.buf[this.pos] = head;
    this.view.setUint32(this.pos + 1, n);
    this.pos += 5;
  }

  private str(s: string): void {
    const units = s.length;
    this.ensure(5 + 3 * units);
    if (units < 32) {
      // Fast path: a short ASCII string is a fixstr of its UTF-16 length.
      const buf = this.buf;
      const at = this.pos + 1;
      let i = 0;
      for (; i < units; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[at + i] = c;
      }
      if (i === units) {
        buf[this.pos] = 0xa0 | units;
        this.pos = at + units;
        return;
      }
    }
    // Guess the header from the UTF-16 length (exact for ASCII); UTF-8 is never shorter, so a wrong
    // guess only ever needs a larger header, and the bytes move right.
    const guess = headerSize(units);
    const at = this.pos + guess;
    const len = encodeUtf8Into(s, this.buf, at);
    const size = headerSize(len);
    if (size !== guess) this.buf.copyWithin(this.pos + size, at, at + len);
    if (size === 1) this.buf[this.pos++] = 0xa0 | len;
    else if (size === 2) {
      this.buf[this.pos++] = 0xd9;
      this.buf[this.pos++] = len;
    } else if (size === 3) this.head16(0xda, len);
    else this.head32(0xdb, len);
    this.pos += len;
  }

  private object(value: object, depth: number): void {
    if (depth > this.maxDepth) throw new ProtocolError(ProtocolErrorCode.Limit, `nesting deeper than ${this.maxDepth} (a cycle?)`);
    if (Array.isArray(value)) {
      const n = value.length;
      this.arrayHeader(n);
      for (let i = 0; i < n; i++) this.write(value[i], depth + 1);
      return;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      this.map(value as Record<string, unknown>, depth);
    } else if (value instanceof Uint8Array) {
      this.bin(value);
    } else if (ArrayBuffer.isView(value)) {
      this.bin(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    } else if (value instanceof ArrayBuffer) {
      this.bin(new Uint8Array(value));
    } else if (value instanceof Date) {
      const ms = value.getTime();
      if (Number.isNaN(ms)) throw new ProtocolError(ProtocolErrorCode.BadShape, "cannot encode an invalid Date");
      this.ext(EXT_TIMESTAMP, timestampBytes(ms));
    } else {
      const ext = asExtData(value);
      if (ext) this.ext(ext.type, ext.data);
      else this.map(value as Record<string, unknown>, depth);
    }
  }

  private map(value: Record<string, unknown>, depth: number): void {
    const keys = Object.keys(value);
    let n = 0;
    for (let i = 0; i < keys.length; i++) if (value[keys[i]!] !== undefined) n++;
    this.ensure(5);
    if (n < 16) this.buf[this.pos++] = 0x80 | n;
    else if (n < 0x10000) this.head16(0xde, n);
    else this.head32(0xdf, n);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const item = value[key];
      if (item === undefined) continue;
      this.str(key);
      this.write(item, depth + 1);
    }
  }

  private bin(bytes: Uint8Array): void {
    const n = bytes.byteLength;
    this.ensure(5 + n);
    if (n < 0x100) {
      this.buf[this.pos++] = 0xc4;
      this.buf[this.pos++] = n;
    } else if (n < 0x10000) this.head16(0xc5, n);
    else this.head32(0xc6, n);
    this.buf.set(bytes, this.pos);
    this.pos += n;
  }

  private ext(type: number, data: Uint8Array): void {
    const n = data.byteLength;
    this.ensure(6 + n);
    const fixed = n === 1 ? 0xd4 : n === 2 ? 0xd5 : n === 4 ? 0xd6 : n === 8 ? 0xd7 : n === 16 ? 0xd8 : 0;
    if (fixed) this.buf[this.pos++] = fixed;
    else if (n < 0x100) {
      this.buf[this.pos++] = 0xc7;
      this.buf[this.pos++] = n;
    } else if (n < 0x10000) this.head16(0xc8, n);
    else this.head32(0xc9, n);
    this.buf[this.pos++] = type & 0xff;
    this.buf.set(data, this.pos);
    this.pos += n;
  }

  private ensure(n: number): void {
    if (this.pos + n > this.buf.byteLength) this.grow(Math.max(this.buf.byteLength * 2, this.pos + n), false);
  }

  private grow(size: number, discard: boolean): void {
    const next = new Uint8Array(size);
    if (!discard) next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
}

function headerSize(len: number): number {
  return len < 32 ? 1 : len < 0x100 ? 2 : len < 0x10000 ? 3 : 5;
}

/** The timestamp extension payload for `ms` since the epoch, in the smallest of its three forms. */
function timestampBytes(ms: number): Uint8Array {
  const sec = Math.floor(ms / 1e3);
  const nsec = Math.round((ms - sec * 1e3) * 1e6);
  if (sec >= 0 && sec < 0x4_0000_0000) {
    if (nsec === 0 && sec < 0x1_0000_0000) {
      const out = new Uint8Array(4);
      new DataView(out.buffer).setUint32(0, sec);
      return out;
    }
    const out = new Uint8Array(8);
    const view = new DataView(out.buffer);
    view.setUint32(0, ((nsec << 2) | Math.floor(sec / 0x1_0000_0000)) >>> 0);
    view.setUint32(4, sec >>> 0);
    return out;
  }
  const out = new Uint8Array(12);
  const view = new DataView(out.buffer);
  const high = Math.floor(sec / 0x1_0000_0000);
  view.setUint32(0, nsec);
  view.setInt32(4, high);
  view.setUint32(8, (sec - high * 0x1_0000_0000) >>> 0);
  return out;
}
