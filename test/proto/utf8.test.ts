/** UTF-8: the strict JavaScript fallback equals TextDecoder(fatal), and the codecs work without TextEncoder/TextDecoder. */
import { expect, test } from "bun:test";
import { decodeUtf8Js } from "../../proto/utf8-js.ts";
import { decodeUtf8, decodeUtf8Cached, encodeUtf8Into } from "../../proto/utf8.ts";
import { prng, randInt, randString } from "./support.ts";

const native = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const nativeOrUndefined = (bytes: Uint8Array) => {
  try {
    return native.decode(bytes);
  } catch {
    return undefined;
  }
};

test("decodeUtf8Js accepts and rejects exactly what TextDecoder(fatal) does (100,000 inputs)", () => {
  const rand = prng(11);
  const enc = new TextEncoder();
  const SPECIAL = [0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0x9f, 0xa0, 0x8f, 0x90];
  for (let i = 0; i < 100_000; i++) {
    let bytes: Uint8Array;
    if (rand() < 0.5) {
      bytes = enc.encode(randString(rand, 10));
      if (bytes.length > 0 && rand() < 0.7) bytes[randInt(rand, bytes.length)] = SPECIAL[randInt(rand, SPECIAL.length)]!;
    } else {
      bytes = Uint8Array.from({ length: randInt(rand, 8) }, () => (rand() < 0.5 ? SPECIAL[randInt(rand, SPECIAL.length)]! : randInt(rand, 256)));
    }
    expect(decodeUtf8Js(bytes, 0, bytes.length)).toBe(nativeOrUndefined(bytes));
  }
  const long = "é中😀a".repeat(5000);
  expect(decodeUtf8Js(enc.encode(long), 0, enc.encode(long).length)).toBe(long);
}, 60_000);

test("decodeUtf8 and the cache give TextDecoder's strings at every length", () => {
  const rand = prng(12);
  const enc = new TextEncoder();
  for (let i = 0; i < 20_000; i++) {
    const s = randString(rand, rand() < 0.8 ? 20 : 200);
    const bytes = enc.encode(`##${s}##`);
    expect(decodeUtf8(bytes, 2, bytes.length - 2)).toBe(s);
    expect(decodeUtf8Cached(bytes, 2, bytes.length - 2)).toBe(s);
  }
}, 60_000);

test("encodeUtf8Into writes TextEncoder's bytes", () => {
  const rand = prng(13);
  const enc = new TextEncoder();
  const out = new Uint8Array(4096);
  for (let i = 0; i < 20_000; i++) {
    let s = randString(rand, rand() < 0.8 ? 20 : 200);
    if (rand() < 0.1) s += "\ud800" + s; // lone surrogates become U+FFFD
    const n = encodeUtf8Into(s, out, 3);
    expect(out.subarray(3, 3 + n)).toEqual(enc.encode(s));
  }
}, 60_000);

test("the codecs work in a runtime without TextEncoder and TextDecoder", async () => {
  const script = `
    delete globalThis.TextDecoder; delete globalThis.TextEncoder;
    const { createMsgpackCodec, createJsonCodec } = await import(${JSON.stringify(new URL("../../proto/index.ts", import.meta.url).pathname)});
    const frame = { type: 12, rid: 1, room: "public:café", payload: { text: "Grüße 👋 ".repeat(30), b: new Uint8Array([1, 2]) } };
    const m = createMsgpackCodec(), j = createJsonCodec();
    const text = j.encode(frame);
    const bytes = Uint8Array.from(unescape(encodeURIComponent(text)), (c) => c.charCodeAt(0));
    const ok = Bun.deepEquals(m.decode(m.encode(frame)), [frame]) && Bun.deepEquals(j.decode(text), [frame]) && Bun.deepEquals(j.decode(bytes), [frame]);
    let bad = "";
    try { m.decode(new Uint8Array([0x93, 0x0a, 0x01, 0xa2, 0xc3, 0x28])); } catch (e) { bad = e.code; }
    console.log(JSON.stringify({ ok, bad, hasDecoder: typeof TextDecoder }));
  `;
  const proc = Bun.spawnSync([process.execPath, "-e", script]);
  expect(proc.stderr.toString()).toBe("");
  const out = JSON.parse(proc.stdout.toString().trim()) as { ok: boolean; bad: string; hasDecoder: string };
  expect(out).toEqual({ ok: true, bad: "malformed", hasDecoder: "undefined" });
}, 60_000);
