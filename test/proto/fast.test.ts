/** The hand-written fast paths (proto/fast.ts) agree with the generic, table-driven ones. */
import { describe, expect, test } from "bun:test";
import { FRAME_SPECS, fromWire, ProtocolError, toWire, type Frame } from "../../proto/index.ts";
import { FAST_DECODE, FAST_ENCODE } from "../../proto/fast.ts";
import { MsgpackWriter } from "../../proto/msgpack-writer.ts";
import { randFrame } from "./frame-gen.ts";
import { prng, randInt, randValue, toHex } from "./support.ts";

const fastSpecs = FRAME_SPECS.filter((spec) => FAST_ENCODE[spec.type] || FAST_DECODE[spec.type]);
const writer = new MsgpackWriter();

function generic(frame: Frame): string {
  writer.start();
  writer.write(toWire(frame));
  return toHex(writer.finish());
}

function fastBytes(frame: Frame): string {
  writer.start();
  FAST_ENCODE[frame.type]!(writer, frame as never);
  return toHex(writer.finish());
}

const WEIRD = [undefined, null, "", "x".repeat(300), -1, 1.5, 2 ** 53, "s", 7, [], [1], [1, "e"], {}, true, new Uint8Array(1)];

test("the fast paths cover the hot frame types, both ways", () => {
  expect(fastSpecs.map((s) => s.name).sort()).toEqual(
    ["ack", "direct", "error", "join", "message", "ping", "pong", "presence_event", "publish", "read_event", "reply", "typing", "typing_event", "update"].sort(),
  );
  for (const spec of fastSpecs) expect(Boolean(FAST_ENCODE[spec.type]) && Boolean(FAST_DECODE[spec.type])).toBe(true);
});

describe("fast encode writes the generic bytes", () => {
  for (const spec of fastSpecs) {
    test(spec.name, () => {
      const rand = prng(500 + spec.type);
      for (let i = 0; i < 2000; i++) {
        const frame = randFrame(rand, spec) as unknown as Record<string, unknown>;
        // Also explicit nil/undefined optionals and wrongly typed fields: the bytes must still agree.
        if (rand() < 0.3) for (const f of spec.fields) if (f.optional && rand() < 0.5) frame[f.name] = rand() < 0.5 ? null : undefined;
        if (rand() < 0.2) frame[spec.fields[randInt(rand, Math.max(1, spec.fields.length))]?.name ?? "x"] = WEIRD[randInt(rand, WEIRD.length)];
        if (spec.fields.some((f) => f.kind === "pos") && frame.since !== undefined && frame.since !== null && typeof frame.since !== "object") delete frame.since;
        expect(fastBytes(frame as unknown as Frame)).toBe(generic(frame as unknown as Frame));
      }
    }, 60_000);
  }
});

describe("fast decode returns the generic frame, or defers", () => {
  for (const spec of fastSpecs) {
    test(spec.name, () => {
      const rand = prng(900 + spec.type);
      let accepted = 0;
      for (let i = 0; i < 4000; i++) {
        const wire = toWire(randFrame(rand, spec));
        if (rand() < 0.5) {
          const at = 1 + randInt(rand, wire.length + 1);
          wire[at] = rand() < 0.8 ? WEIRD[randInt(rand, WEIRD.length)] : randValue(rand, 1);
        }
        if (rand() < 0.1) wire.length = 1 + randInt(rand, wire.length);
        const fast = FAST_DECODE[spec.type]!(wire);
        let reference: Frame | ProtocolError;
        try {
          reference = fromWire(wire);
        } catch (err) {
          reference = err as ProtocolError;
        }
        if (fast === undefined) continue;
        accepted++;
        expect(reference).not.toBeInstanceOf(ProtocolError);
        expect(fast).toStrictEqual(reference as Frame);
      }
      expect(accepted).toBeGreaterThan(1000);
    }, 60_000);
  }
});
