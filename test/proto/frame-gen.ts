/** Random valid frames of every type, built from the frame table (FRAME_SPECS), for round-trip and fuzz tests. */
import { FRAME_SPECS, type FieldSpec, type Frame, type FrameSpec } from "../../proto/index.ts";
import { randInt, randString, randValue } from "./support.ts";

export interface FrameGenOptions {
  /** Leave `Date` values out of payloads (JSON has no timestamps). */
  json?: boolean;
}

/** A random frame of `spec`'s type: each optional field present half of the time. */
export function randFrame(rand: () => number, spec: FrameSpec, options: FrameGenOptions = {}): Frame {
  const frame: Record<string, unknown> = { type: spec.type };
  for (const field of spec.fields) {
    if (field.optional && rand() < 0.5) continue;
    let value = randField(rand, field, options);
    // nil in an optional field means "absent" on the wire.
    while (field.optional && value === null) value = randField(rand, field, options);
    frame[field.name] = value;
  }
  return frame as unknown as Frame;
}

/** A random frame of a random type. */
export function randAnyFrame(rand: () => number, options: FrameGenOptions = {}): Frame {
  return randFrame(rand, FRAME_SPECS[randInt(rand, FRAME_SPECS.length)]!, options);
}

function randUint(rand: () => number): number {
  const r = rand();
  if (r < 0.3) return randInt(rand, 128);
  if (r < 0.6) return randInt(rand, 70_000);
  if (r < 0.8) return randInt(rand, 2 ** 32 + 10);
  return randInt(rand, Number.MAX_SAFE_INTEGER);
}

function randText(rand: () => number, min: number, max: number): string {
  for (;;) {
    const s = randString(rand, Math.min(max, 40));
    if (s.length >= min && s.length <= max) return s;
  }
}

function randPayload(rand: () => number, options: FrameGenOptions): unknown {
  for (;;) {
    const value = randValue(rand, 3);
    if (!(options.json && containsDate(value))) return value;
  }
}

function containsDate(value: unknown): boolean {
  if (value instanceof Date) return true;
  if (Array.isArray(value)) return value.some(containsDate);
  if (value !== null && typeof value === "object" && !(value instanceof Uint8Array)) return Object.values(value).some(containsDate);
  return false;
}

function randField(rand: () => number, field: FieldSpec, options: FrameGenOptions): unknown {
  switch (field.kind) {
    case "uint":
      return randUint(rand);
    case "str":
      return randText(rand, 1, field.max);
    case "text":
      return randText(rand, 0, field.max);
    case "strs":
      return Array.from({ length: randInt(rand, 5) }, () => randText(rand, 1, field.max));
    case "pos":
      return { offset: randUint(rand), epoch: randText(rand, 0, 64) };
    case "map": {
      const out: Record<string, unknown> = {};
      for (let i = randInt(rand, 5); i > 0; i--) out[`k${randInt(rand, 100)}`] = randUint(rand);
      return out;
    }
    case "any":
    case "payload":
      return randPayload(rand, options);
  }
}
