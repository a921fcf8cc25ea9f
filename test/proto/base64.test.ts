/** The base64 used by `{"$bin"}` in the JSON subprotocol. */
import { expect, test } from "bun:test";
import { base64ToBytes, bytesToBase64 } from "../../proto/index.ts";
import { prng, randInt } from "./support.ts";

const enc = (s: string) => new TextEncoder().encode(s);

test("RFC 4648 test vectors", () => {
  const vectors: [string, string][] = [["", ""], ["f", "Zg=="], ["fo", "Zm8="], ["foo", "Zm9v"], ["foob", "Zm9vYg=="], ["fooba", "Zm9vYmE="], ["foobar", "Zm9vYmFy"]];
  for (const [plain, coded] of vectors) {
    expect(bytesToBase64(enc(plain))).toBe(coded);
    expect(base64ToBytes(coded)).toEqual(enc(plain));
    expect(base64ToBytes(coded.replace(/=+$/, ""))).toEqual(enc(plain));
  }
});

test("random bytes round-trip and match btoa", () => {
  const rand = prng(3);
  for (let i = 0; i < 2000; i++) {
    const bytes = Uint8Array.from({ length: randInt(rand, 100) }, () => randInt(rand, 256));
    const coded = bytesToBase64(bytes);
    expect(coded).toBe(btoa(String.fromCharCode(...bytes)));
    expect(base64ToBytes(coded)).toEqual(bytes);
  }
});

test("bad input throws", () => {
  for (const bad of ["A", "AAAAA", "AA=A", "A===", "AA-_", "AAA\u00e9", "AA AA", "Zg==="]) expect(() => base64ToBytes(bad)).toThrow();
});
