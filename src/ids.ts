/**
 * @module ids
 * Identifiers: message ids sort by creation time (a 10-character base32 millisecond timestamp,
 * then 8 random base32 characters, a 3-character process-local counter and a check character),
 * session ids are 16 random base32 characters.
 */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lower case

function encodeTime(ms: number): string {
  let out = "";
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32]! + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

const random = new Uint8Array(8);
let counter = 0;

function randomPart(len: number): string {
  crypto.getRandomValues(random);
  let out = "";
  for (let i = 0; i < len && i < random.length; i++) out += ALPHABET[random[i]! & 31]!;
  return out;
}

/** A 22-character id, unique across processes with overwhelming probability, sortable by time. */
export function newMessageId(now = Date.now()): string {
  counter = (counter + 1) % 32768;
  const c = ALPHABET[counter >> 10]! + ALPHABET[(counter >> 5) & 31]! + ALPHABET[counter & 31]!;
  return encodeTime(now) + randomPart(8) + c + ALPHABET[(counter * 7) & 31]!;
}

/** A random 16-character session id. */
export function newSessionId(): string {
  return randomPart(8) + randomPart(8);
}
