/**
 * @module utf8-js
 * A strict UTF-8 decoder in plain JavaScript, for runtimes without `TextDecoder` (some React Native
 * engines). It accepts exactly what `new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })`
 * accepts and returns the same strings (checked by a differential test).
 */

const CHUNK = 4096;

/** Decodes `bytes[start..end)`; returns `undefined` when the bytes are not valid UTF-8. */
export function decodeUtf8Js(bytes: Uint8Array, start: number, end: number): string | undefined {
  let out = "";
  const units: number[] = [];
  let i = start;
  while (i < end) {
    const a = bytes[i++]!;
    if (a < 0x80) {
      units.push(a);
    } else if (a >= 0xc2 && a <= 0xdf) {
      const b = i < end ? bytes[i++]! : 0;
      if ((b & 0xc0) !== 0x80) return undefined;
      units.push(((a & 0x1f) << 6) | (b & 0x3f));
    } else if (a >= 0xe0 && a <= 0xef) {
      if (i + 1 >= end) return undefined;
      const b = bytes[i++]!;
      const c = bytes[i++]!;
      const low = a === 0xe0 ? 0xa0 : 0x80;
      const high = a === 0xed ? 0x9f : 0xbf;
      if (b < low || b > high || (c & 0xc0) !== 0x80) return undefined;
      units.push(((a & 0x0f) << 12) | ((b & 0x3f) << 6) | (c & 0x3f));
    } else if (a >= 0xf0 && a <= 0xf4) {
      if (i + 2 >= end) return undefined;
      const b = bytes[i++]!;
      const c = bytes[i++]!;
      const d = bytes[i++]!;
      const low = a === 0xf0 ? 0x90 : 0x80;
      const high = a === 0xf4 ? 0x8f : 0xbf;
      if (b < low || b > high || (c & 0xc0) !== 0x80 || (d & 0xc0) !== 0x80) return undefined;
      const cp = (((a & 0x07) << 18) | ((b & 0x3f) << 12) | ((c & 0x3f) << 6) | (d & 0x3f)) - 0x10000;
      units.push(0xd800 | (cp >> 10), 0xdc00 | (cp & 0x3ff));
    } else {
      return undefined;
    }
    if (units.length >= CHUNK) {
      out += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  return out + String.fromCharCode(...units);
}
