/**
 * @module bench/lib/msgpack-lite
 * Just enough msgpack for the load generator and the raw Bun baseline: skip any value, read the few
 * scalars the bench looks at (frame type, rid, the send timestamp in a payload), and write the few
 * frames a bench client sends. Not a general codec and not hardened: the bench only reads what a
 * server it started wrote. Anything it does not understand throws a plain `Error`.
 *
 * Reads go through a {@link Cursor} (byte array + position) so nothing is allocated per value.
 */

/** A read position in a byte array; `pos` advances as values are read. */
export class Cursor {
  buf: Uint8Array = new Uint8Array(0);
  pos = 0;
  end = 0;
  private view: DataView | undefined;

  /** Points the cursor at `buf[start, end)`. */
  reset(buf: Uint8Array, start: number, end: number): this {
    if (buf !== this.buf) this.view = undefined;
    this.buf = buf;
    this.pos = start;
    this.end = end;
    return this;
  }

  private dv(): DataView {
    return (this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength));
  }

  private byte(): number {
    if (this.pos >= this.end) throw new Error("msgpack: truncated");
    return this.buf[this.pos++]!;
  }

  private be(n: number): number {
    if (this.pos + n > this.end) throw new Error("msgpack: truncated");
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + this.buf[this.pos++]!;
    return v;
  }

  /** Reads an array header; returns the element count. */
  arrayHeader(): number {
    const b = this.byte();
    if (b >= 0x90 && b <= 0x9f) return b & 0x0f;
    if (b === 0xdc) return this.be(2);
    if (b === 0xdd) return this.be(4);
    throw new Error(`msgpack: expected an array, got 0x${b.toString(16)}`);
  }

  /** Reads a number (any int or float format). */
  number(): number {
    const b = this.byte();
    if (b < 0x80) return b;
    if (b >= 0xe0) return b - 0x100;
    switch (b) {
      case 0xcc: return this.be(1);
      case 0xcd: return this.be(2);
      case 0xce: return this.be(4);
      case 0xcf: return this.be(8);
      case 0xd0: return (this.be(1) << 24) >> 24;
      case 0xd1: return (this.be(2) << 16) >> 16;
      case 0xd2: return this.be(4) | 0;
      case 0xd3: {
        const v = this.dv().getBigInt64(this.pos);
        this.pos += 8;
        return Number(v);
      }
      case 0xca: {
        const v = this.dv().getFloat32(this.pos);
        this.pos += 4;
        return v;
      }
      case 0xcb: {
        if (this.pos + 8 > this.end) throw new Error("msgpack: truncated");
        const v = this.dv().getFloat64(this.pos);
        this.pos += 8;
        return v;
      }
    }
    throw new Error(`msgpack: expected a number, got 0x${b.toString(16)}`);
  }

  /** Reads a string (str formats only). */
  str(): string {
    const b = this.byte();
    let len: number;
    if (b >= 0xa0 && b <= 0xbf) len = b & 0x1f;
    else if (b === 0xd9) len = this.be(1);
    else if (b === 0xda) len = this.be(2);
    else if (b === 0xdb) len = this.be(4);
    else throw new Error(`msgpack: expected a string, got 0x${b.toString(16)}`);
    if (this.pos + len > this.end) throw new Error("msgpack: truncated");
    const s = decoder.decode(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }

  /** Reads a map header; returns the number of key/value pairs. */
  mapHeader(): number {
    const b = this.byte();
    if (b >= 0x80 && b <= 0x8f) return b & 0x0f;
    if (b === 0xde) return this.be(2);
    if (b === 0xdf) return this.be(4);
    throw new Error(`msgpack: expected a map, got 0x${b.toString(16)}`);
  }

  /** Reads a boolean. */
  bool(): boolean {
    const b = this.byte();
    if (b === 0xc2 || b === 0xc3) return b === 0xc3;
    throw new Error(`msgpack: expected a boolean, got 0x${b.toString(16)}`);
  }

  /** The type byte of the next value, without consuming it (-1 at the end). */
  peek(): number {
    return this.pos < this.end ? this.buf[this.pos]! : -1;
  }

  /** True when the next value is nil (and consumes it). */
  nil(): boolean {
    if (this.pos < this.end && this.buf[this.pos] === 0xc0) {
      this.pos++;
      return true;
    }
    return false;
  }

  /** Skips one complete value of any type. */
  skip(): void {
    let pending = 1;
    while (pending > 0) {
      pending--;
      const b = this.byte();
      if (b < 0x80 || b >= 0xe0) continue;
      if (b < 0x90) {
        pending += 2 * (b & 0x0f);
        continue;
      }
      if (b < 0xa0) {
        pending += b & 0x0f;
        continue;
      }
      if (b < 0xc0) {
        this.advance(b & 0x1f);
        continue;
      }
      switch (b) {
        case 0xc0: case 0xc2: case 0xc3: break;
        case 0xc4: case 0xd9: this.advance(this.be(1)); break;
        case 0xc5: case 0xda: this.advance(this.be(2)); break;
        case 0xc6: case 0xdb: this.advance(this.be(4)); break;
        case 0xc7: this.advance(this.be(1) + 1); break;
        case 0xc8: this.advance(this.be(2) + 1); break;
        case 0xc9: this.advance(this.be(4) + 1); break;
        case 0xca: case 0xce: case 0xd2: this.advance(4); break;
        case 0xcb: case 0xcf: case 0xd3: this.advance(8); break;
        case 0xcc: case 0xd0: this.advance(1); break;
        case 0xcd: case 0xd1: this.advance(2); break;
        case 0xd4: this.advance(2); break;
        case 0xd5: this.advance(3); break;
        case 0xd6: this.advance(5); break;
        case 0xd7: this.advance(9); break;
        case 0xd8: this.advance(17); break;
        case 0xdc: pending += this.be(2); break;
        case 0xdd: pending += this.be(4); break;
        case 0xde: pending += 2 * this.be(2); break;
        case 0xdf: pending += 2 * this.be(4); break;
        default: throw new Error(`msgpack: bad byte 0x${b.toString(16)}`);
      }
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new Error("msgpack: truncated");
    this.pos += n;
  }
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * Appends msgpack values to a byte array that grows as needed. `bytes()` returns a view of what was
 * written (valid until the next {@link Writer.reset}).
 */
export class Writer {
  buf: Uint8Array;
  pos: number;
  private view: DataView;

  /** @param reserve bytes left free at the start (room for a WebSocket header). */
  constructor(size = 256, readonly reserve = 0) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
    this.pos = reserve;
  }

  reset(): this {
    this.pos = this.reserve;
    return this;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  arrayHeader(n: number): this {
    this.ensure(5);
    if (n < 16) this.buf[this.pos++] = 0x90 | n;
    else if (n < 0x10000) {
      this.buf[this.pos++] = 0xdc;
      this.view.setUint16(this.pos, n);
      this.pos += 2;
    } else {
      this.buf[this.pos++] = 0xdd;
      this.view.setUint32(this.pos, n);
      this.pos += 4;
    }
    return this;
  }

  mapHeader(n: number): this {
    this.ensure(3);
    if (n < 16) this.buf[this.pos++] = 0x80 | n;
    else {
      this.buf[this.pos++] = 0xde;
      this.view.setUint16(this.pos, n);
      this.pos += 2;
    }
    return this;
  }

  /** A non-negative integer below 2^53 in its shortest form. */
  uint(v: number): this {
    this.ensure(9);
    if (v < 0x80) this.buf[this.pos++] = v;
    else if (v < 0x100) {
      this.buf[this.pos++] = 0xcc;
      this.buf[this.pos++] = v;
    } else if (v < 0x10000) {
      this.buf[this.pos++] = 0xcd;
      this.view.setUint16(this.pos, v);
      this.pos += 2;
    } else if (v < 0x100000000) {
      this.buf[this.pos++] = 0xce;
      this.view.setUint32(this.pos, v);
      this.pos += 4;
    } else {
      this.buf[this.pos++] = 0xcf;
      this.view.setUint32(this.pos, Math.floor(v / 0x100000000));
      this.view.setUint32(this.pos + 4, v >>> 0);
      this.pos += 8;
    }
    return this;
  }

  nil(): this {
    this.ensure(1);
    this.buf[this.pos++] = 0xc0;
    return this;
  }

  /** A byte string (bin 8/16/32). */
  bin(bytes: Uint8Array): this {
    const len = bytes.length;
    this.ensure(5 + len);
    if (len < 0x100) {
      this.buf[this.pos++] = 0xc4;
      this.buf[this.pos++] = len;
    } else if (len < 0x10000) {
      this.buf[this.pos++] = 0xc5;
      this.view.setUint16(this.pos, len);
      this.pos += 2;
    } else {
      this.buf[this.pos++] = 0xc6;
      this.view.setUint32(this.pos, len);
      this.pos += 4;
    }
    this.buf.set(bytes, this.pos);
    this.pos += len;
    return this;
  }

  float64(v: number): this {
    this.ensure(9);
    this.buf[this.pos++] = 0xcb;
    this.view.setFloat64(this.pos, v);
    this.pos += 8;
    return this;
  }

  str(s: string): this {
    this.ensure(5 + s.length * 3);
    // Write the string first, then the header that fits its byte length.
    const start = this.pos + (s.length < 32 ? 1 : s.length < 86 ? 2 : s.length < 21846 ? 3 : 5);
    const { written } = encoder.encodeInto(s, this.buf.subarray(start));
    const len = written;
    const headerSize = len < 32 ? 1 : len < 0x100 ? 2 : len < 0x10000 ? 3 : 5;
    const want = this.pos + headerSize;
    if (want !== start) this.buf.copyWithin(want, start, start + len);
    if (headerSize === 1) this.buf[this.pos] = 0xa0 | len;
    else if (headerSize === 2) {
      this.buf[this.pos] = 0xd9;
      this.buf[this.pos + 1] = len;
    } else if (headerSize === 3) {
      this.buf[this.pos] = 0xda;
      this.view.setUint16(this.pos + 1, len);
    } else {
      this.buf[this.pos] = 0xdb;
      this.view.setUint32(this.pos + 1, len);
    }
    this.pos = want + len;
    return this;
  }

  /** Appends bytes that are already msgpack (a pre-encoded value). */
  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** A copy of the bytes written after the reserved prefix. */
  copy(): Uint8Array {
    return this.buf.slice(this.reserve, this.pos);
  }
}

/** Encodes one string as a standalone msgpack value (for pre-encoding constant fields). */
export function encodeStr(s: string): Uint8Array {
  return new Writer(s.length * 3 + 8).str(s).copy();
}
