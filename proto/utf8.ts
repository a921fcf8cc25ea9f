/**
 * @module utf8
 * UTF-8 for the msgpack reader and writer, on `TextEncoder`/`TextDecoder` with JavaScript fast
 * paths for the short strings frames are made of, and a JavaScript fallback where the runtime has
 * neither (some React Native engines).
 *
 * Invariants: decoding is strict (invalid UTF-8 throws {@link ProtocolError} `malformed`, a leading
 * BOM is kept); encoding never fails and writes lone surrogates as U+FFFD, exactly like `TextEncoder`.
 */
import { ProtocolError, ProtocolErrorCode } from "./errors.ts";
import { decodeUtf8Js } from "./utf8-js.ts";

const decoder = typeof TextDecoder === "function" ? new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }) : undefined;
const encoder = typeof TextEncoder === "function" ? new TextEncoder() : undefined;
const fromCharCode = String.fromCharCode;

/** Strings up to this many bytes are tried as ASCII in JavaScript (one `fromCharCode` call). */
const TINY_DECODE = 4;
/**
 * Strings up to this many bytes are copied into a scratch array of exactly their length before
 * `TextDecoder` sees them: in JavaScriptCore a `subarray` view costs more than the copy, and on a
 * freshly allocated input it also moves the input's storage out of the GC heap.
 */
const SHORT_DECODE = 256;
/** Strings up to this many UTF-16 units are encoded in JavaScript rather than by `TextEncoder`. */
const SHORT_ENCODE = 48;

const scratch: Uint8Array[] = [];
for (let n = 0; n <= SHORT_DECODE; n++) scratch.push(new Uint8Array(n));

/** Strings up to this many bytes go through the cache of recently decoded strings. */
const CACHED_MAX = 16;
const CACHE_SLOTS = 1024;
const cacheBytes: (Uint8Array | undefined)[] = new Array(CACHE_SLOTS).fill(undefined);
const cacheStrings: string[] = new Array(CACHE_SLOTS).fill("");

/**
 * Decodes a short string (at most {@link CACHED_MAX} bytes) through a direct-mapped cache, so that
 * map keys, room names and user ids that repeat come back as the same, already interned string.
 * Longer strings are decoded as by {@link decodeUtf8}.
 */
export function decodeUtf8Cached(bytes: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n > CACHED_MAX || n === 0) return decodeUtf8(bytes, start, end);
  let h = n;
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + bytes[i]!) | 0;
  const slot = (h ^ (h >>> 10)) & (CACHE_SLOTS - 1);
  const known = cacheBytes[slot];
  if (known !== undefined && known.length === n) {
    let i = 0;
    while (i < n && known[i] === bytes[start + i]) i++;
    if (i === n) return cacheStrings[slot]!;
  }
  const str = decodeUtf8(bytes, start, end);
  cacheBytes[slot] = bytes.slice(start, end);
  cacheStrings[slot] = str;
  return str;
}

/** Decodes `bytes[start..end)` as UTF-8. Throws {@link ProtocolError} (`malformed`) on invalid UTF-8. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (!decoder) return checked(decodeUtf8Js(bytes, start, end));
  let input: Uint8Array;
  if (n <= SHORT_DECODE) {
    if (n <= TINY_DECODE) {
      if (n === 0) return "";
      const a = bytes[start]!;
      const b = n > 1 ? bytes[start + 1]! : 0;
      const c = n > 2 ? bytes[start + 2]! : 0;
      const d = n > 3 ? bytes[start + 3]! : 0;
      if (((a | b | c | d) & 0x80) === 0) {
        return n === 1 ? fromCharCode(a) : n === 2 ? fromCharCode(a, b) : n === 3 ? fromCharCode(a, b, c) : fromCharCode(a, b, c, d);
      }
    }
    input = scratch[n]!;
    for (let i = 0; i < n; i++) input[i] = bytes[start + i]!;
  } else {
    input = bytes.subarray(start, end);
  }
  try {
    return decoder.decode(input);
  } catch {
    throw notUtf8();
  }
}

function checked(text: string | undefined): string {
  if (text === undefined) throw notUtf8();
  return text;
}

function notUtf8(): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.Malformed, "string is not valid UTF-8");
}

/**
 * Writes `str` as UTF-8 at `out[at]` and returns the number of bytes written. The caller guarantees
 * room for `3 * str.length` bytes.
 */
export function encodeUtf8Into(str: string, out: Uint8Array, at: number): number {
  const n = str.length;
  if (n > SHORT_ENCODE && encoder) return encoder.encodeInto(str, out.subarray(at)).written;
  let o = at;
  for (let i = 0; i < n; i++) {
    let c = str.charCodeAt(i);
    if (c < 0x80) {
      out[o++] = c;
    } else if (c < 0x800) {
      out[o++] = 0xc0 | (c >> 6);
      out[o++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < n ? str.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          i++;
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          out[o++] = 0xf0 | (c >> 18);
          out[o++] = 0x80 | ((c >> 12) & 0x3f);
          out[o++] = 0x80 | ((c >> 6) & 0x3f);
          out[o++] = 0x80 | (c & 0x3f);
          continue;
        }
        c = 0xfffd;
      }
      out[o++] = 0xe0 | (c >> 12);
      out[o++] = 0x80 | ((c >> 6) & 0x3f);
      out[o++] = 0x80 | (c & 0x3f);
    }
  }
  return o - at;
}
