/** Golden vectors (proto/vectors/*.json), checked in both directions, and kept in sync with PROTOCOL.md. */
import { describe, expect, test } from "bun:test";
import { createJsonCodec, createMsgpackCodec, FRAME_SPECS, type Frame } from "../../proto/index.ts";
import { MsgpackReader } from "../../proto/msgpack-reader.ts";
import { MsgpackWriter } from "../../proto/msgpack-writer.ts";
import { fromHex, fromVectorJson, toHex } from "./support.ts";
import { BEGIN, END, PROTOCOL_MD, VECTOR_DIR, renderExamples, type BatchVector, type FrameVector, type ValueVector } from "./vectors-build.ts";

const load = async <T>(name: string): Promise<T[]> => (await Bun.file(new URL(name, VECTOR_DIR)).json()) as T[];
const frames = await load<FrameVector>("frames.json");
const batches = await load<BatchVector>("batches.json");
const values = await load<ValueVector>("values.json");
const msgpack = createMsgpackCodec();
const json = createJsonCodec();

describe("frame vectors", () => {
  test("cover every frame type, with unique labels", () => {
    const types = new Set(frames.map((v) => (v.frame as Frame).type));
    for (const spec of FRAME_SPECS) expect(types.has(spec.type)).toBe(true);
    expect(new Set(frames.map((v) => v.label)).size).toBe(frames.length);
  });

  for (const v of frames) {
    const frame = fromVectorJson(v.frame) as Frame;
    test(`${v.label}: msgpack encode gives the hex`, () => {
      expect(toHex(msgpack.encode(frame) as Uint8Array)).toBe(v.hex);
    });
    test(`${v.label}: msgpack decode of the hex gives the frame`, () => {
      expect(msgpack.decode(fromHex(v.hex))).toStrictEqual([frame]);
    });
    test(`${v.label}: JSON both ways`, () => {
      expect(json.encode(frame)).toBe(v.json);
      expect(json.decode(v.json)).toStrictEqual([frame]);
    });
  }
});

describe("batch vectors", () => {
  for (const v of batches) {
    const list = fromVectorJson(v.frames) as Frame[];
    test(`${v.label}: both codecs, both ways`, () => {
      expect(toHex(msgpack.encodeBatch(list) as Uint8Array)).toBe(v.hex);
      expect(msgpack.decode(fromHex(v.hex))).toStrictEqual(list);
      expect(json.encodeBatch(list)).toBe(v.json);
      expect(json.decode(v.json)).toStrictEqual(list);
    });
  }
});

describe("value vectors", () => {
  const writer = new MsgpackWriter();
  const reader = new MsgpackReader();
  for (const v of values) {
    const value = fromVectorJson(v.value);
    test(`${v.label}: decode${v.decodeOnly ? "" : " and encode"}`, () => {
      reader.reset(fromHex(v.hex));
      expect(reader.read()).toStrictEqual(value);
      expect(reader.hasMore).toBe(false);
      if (!v.decodeOnly) {
        writer.start();
        writer.write(value);
        expect(toHex(writer.finish())).toBe(v.hex);
      }
    });
  }
});

test("the examples in PROTOCOL.md are the vectors", async () => {
  const doc = await Bun.file(PROTOCOL_MD).text();
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  expect(start).toBeGreaterThan(0);
  expect(doc.slice(start, end + END.length)).toBe(renderExamples(frames, batches));
});
