/**
 * Fuzz: random bytes and mutated valid messages. Decoding either returns frames that are valid
 * (they survive a round trip unchanged) or throws ProtocolError with a known code — never another
 * exception, never a hang. Seeded: a failure names the seed and the case, and reproduces exactly.
 */
import { expect, test } from "bun:test";
import { createJsonCodec, createMsgpackCodec, fromWire, ProtocolError, ProtocolErrorCode, toWire, type WireCodec } from "../../proto/index.ts";
import { randAnyFrame } from "./frame-gen.ts";
import { prng, randInt, toHex } from "./support.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 20241122);
/** Generous: the cases take about a second in total, but CI machines are shared. */
const TIMEOUT = 60_000;
const CODES = new Set<string>(Object.values(ProtocolErrorCode));
const INTERESTING = [0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc4, 0xc7, 0xc9, 0xca, 0xcb, 0xcf, 0xd3, 0xd4, 0xd8, 0xd9, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff];

const codecs: WireCodec[] = [
  createMsgpackCodec(),
  createMsgpackCodec({ accept: "client", limits: { maxDepth: 8, maxArrayLength: 64, maxStrLength: 256 } }),
  createMsgpackCodec({ accept: "server", onInvalidFrame: () => {} }),
];
const jsonCodecs: WireCodec[] = [createJsonCodec(), createJsonCodec({ accept: "client", limits: { maxDepth: 8 }, onInvalidFrame: () => {} })];
const checker = createMsgpackCodec();

let outcomes = { frames: 0, errors: 0 };

/** Decodes one input and checks the contract; `where` names the case for a failure message. */
function check(codec: WireCodec, input: Uint8Array | string, where: string): void {
  let frames;
  try {
    frames = codec.decode(input);
  } catch (err) {
    if (!(err instanceof ProtocolError) || !CODES.has(err.code) || err.message.startsWith("internal")) {
      const shown = typeof input === "string" ? JSON.stringify(input) : toHex(input);
      throw new Error(`${where}: decode threw ${String(err)} for ${shown}`);
    }
    outcomes.errors++;
    return;
  }
  outcomes.frames += frames.length;
  for (const frame of frames) {
    // A returned frame is valid: it survives validation and a msgpack round trip unchanged.
    expect(fromWire(toWire(frame))).toStrictEqual(frame);
    expect(checker.decode(checker.encode(frame))).toStrictEqual([frame]);
  }
}

function mutate(rand: () => number, bytes: Uint8Array): Uint8Array {
  const out = [...bytes];
  for (let n = 1 + randInt(rand, 3); n > 0; n--) {
    const at = randInt(rand, out.length + 1);
    switch (randInt(rand, 7)) {
      case 0: out[at] = randInt(rand, 256); break;
      case 1: out[at] = INTERESTING[randInt(rand, INTERESTING.length)]!; break;
      case 2: out.splice(at, 0, randInt(rand, 256)); break;
      case 3: out.splice(at, 1); break;
      case 4: out.length = at; break;
      case 5: out.splice(at, 0, ...out.slice(randInt(rand, out.length + 1), randInt(rand, out.length + 1))); break;
      default: if (at < out.length) out[at] = out[at]! ^ (1 << randInt(rand, 8));
    }
  }
  return new Uint8Array(out);
}

const JSON_TOKENS = ["[", "]", "{", "}", ",", ":", '"', "\\", "0", "-1", "1e999", "null", "true", '"$bin"', '"__proto__"', "[[", "\ud800", "é"];
function mutateText(rand: () => number, text: string): string {
  let out = text;
  for (let n = 1 + randInt(rand, 3); n > 0; n--) {
    const at = randInt(rand, out.length + 1);
    const token = JSON_TOKENS[randInt(rand, JSON_TOKENS.length)]!;
    const r = randInt(rand, 3);
    out = r === 0 ? out.slice(0, at) + token + out.slice(at) : r === 1 ? out.slice(0, at) + out.slice(at + 1) : out.slice(0, at) + token + out.slice(at + 1);
  }
  return out;
}

test("fuzz: random bytes (40,000 cases)", () => {
  const rand = prng(SEED);
  for (let i = 0; i < 40_000; i++) {
    const bytes = new Uint8Array(randInt(rand, 48));
    const msgpackish = rand() < 0.7;
    for (let j = 0; j < bytes.length; j++) bytes[j] = msgpackish && rand() < 0.4 ? INTERESTING[randInt(rand, INTERESTING.length)]! : randInt(rand, 256);
    if (msgpackish && bytes.length > 1) bytes[0] = 0x91 + randInt(rand, 8);
    check(codecs[i % codecs.length]!, bytes, `seed ${SEED} random case ${i}`);
  }
}, TIMEOUT);

test("fuzz: mutated msgpack messages (60,000 cases)", () => {
  const rand = prng(SEED + 1);
  const encoder = createMsgpackCodec();
  for (let i = 0; i < 60_000; i++) {
    const frames = Array.from({ length: 1 + randInt(rand, 3) }, () => randAnyFrame(rand));
    const bytes = mutate(rand, encoder.encodeBatch(frames) as Uint8Array);
    check(codecs[i % codecs.length]!, bytes, `seed ${SEED + 1} msgpack case ${i}`);
  }
}, TIMEOUT);

test("fuzz: mutated JSON messages (20,000 cases)", () => {
  const rand = prng(SEED + 2);
  const encoder = createJsonCodec();
  for (let i = 0; i < 20_000; i++) {
    const frames = Array.from({ length: 1 + randInt(rand, 3) }, () => randAnyFrame(rand, { json: true }));
    const text = encoder.encodeBatch(frames) as string;
    const input = rand() < 0.8 ? mutateText(rand, text) : mutate(rand, new TextEncoder().encode(text));
    check(jsonCodecs[i % jsonCodecs.length]!, input, `seed ${SEED + 2} JSON case ${i}`);
  }
}, TIMEOUT);

test("the fuzzer reached both outcomes", () => {
  expect(outcomes.frames).toBeGreaterThan(10_000);
  expect(outcomes.errors).toBeGreaterThan(10_000);
});
