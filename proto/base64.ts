/**
 * @module base64
 * Standard base64 (RFC 4648 §4, `+/`, padded) without `Buffer`, `btoa` or `atob`, for `{"$bin": …}`
 * values of the JSON subprotocol.
 */

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_INDEX = (() => {
  const index = new Int16Array(128).fill(-1);
  for (let i = 0; i < B64.length; i++) index[B64.charCodeAt(i)] = i;
  return index;
})();

/** Standard base64 with padding. Never throws. */
export function bytesToBase64(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + "==";
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + "=";
  }
  return out;
}

/** The number of bytes `text` decodes to (padding optional), or -1 if its length is impossible. */
export function base64DecodedLength(text: string): number {
  let n = text.length;
  while (n > 0 && text.charCodeAt(n - 1) === 61 /* = */) n--;
  if (n % 4 === 1 || text.length - n > 2) return -1;
  return Math.floor((n * 3) / 4);
}

/** Decodes standard base64 (padding optional). Throws a plain `Error` on any other character or an impossible length. */
export function base64ToBytes(text: string): Uint8Array {
  const size = base64DecodedLength(text);
  if (size < 0) throw new Error("bad base64 length");
  const out = new Uint8Array(size);
  const n = text.length - (text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0);
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? B64_INDEX[c]! : -1;
    if (v < 0) throw new Error("bad base64 character");
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
