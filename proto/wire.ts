/**
 * @module wire
 * Conversion between frame objects and their wire arrays `[type, ...fields]`, and validation of
 * decoded arrays against the frame table. Shared by the msgpack and JSON codecs.
 *
 * Invariants:
 * - `fromWire` returns a frame whose fields all satisfy their {@link FieldKind}, or throws
 *   {@link ProtocolError}; optional fields sent as nil are absent from the result; extra trailing
 *   elements are ignored.
 * - `toWire(fromWire(a))` equals `a` without trailing nils and extra elements, and
 *   `fromWire(toWire(f))` deep-equals `f` for every valid frame `f`.
 */
import { ProtocolError, ProtocolErrorCode } from "./errors.ts";
import { PAYLOAD_MAX_DEPTH, SPEC_BY_TYPE, STRS_MAX, ID_MAX, type Direction, type FieldSpec, type Frame, type FrameSpec } from "./frames.ts";
import { FAST_DECODE } from "./fast.ts";
import { DEFAULT_LIMITS, FORBIDDEN_KEYS } from "./limits.ts";

/** Turns a frame object into its wire array `[type, ...fields]`, trailing absent optionals dropped. Does not validate field values. */
export function toWire(frame: Frame): unknown[] {
  const spec = specOf(frame);
  const record = frame as unknown as Record<string, unknown>;
  const fields = spec.fields;
  const count = wireFieldCount(spec, record);
  const out = new Array<unknown>(count + 1);
  out[0] = frame.type;
  for (let i = 0; i < count; i++) {
    const field = fields[i]!;
    let value = record[field.name];
    if (value === undefined) value = null;
    else if (field.kind === "pos" && value !== null) {
      const pos = value as { offset: number; epoch: string };
      value = [pos.offset, pos.epoch];
    }
    out[i + 1] = value;
  }
  return out;
}

/** The spec of a frame object's type; throws {@link ProtocolError} `unknown_type` for a type not in the table. */
export function specOf(frame: Frame): FrameSpec {
  const spec = SPEC_BY_TYPE[frame.type];
  if (!spec) throw new ProtocolError(ProtocolErrorCode.UnknownType, `unknown frame type ${frame.type}`, frame.type);
  return spec;
}

/** How many fields of `record` go on the wire: up to the last one that is required or present (not nil). */
export function wireFieldCount(spec: FrameSpec, record: Record<string, unknown>): number {
  const fields = spec.fields;
  let count = fields.length;
  while (count > 0) {
    const field = fields[count - 1]!;
    if (!field.optional) break;
    const value = record[field.name];
    if (value !== undefined && value !== null) break;
    count--;
  }
  return count;
}

/**
 * Validates a decoded wire value and turns it into a frame object.
 * @param accept which sender's frame types are allowed (`"client"` on a server).
 * @param maxDepth deepest nesting allowed, the frame array being depth 1.
 */
export function fromWire(value: unknown, accept: Direction = "both", maxDepth: number = DEFAULT_LIMITS.maxDepth): Frame {
  return validateFrame(value, accept, maxDepth, true);
}

/**
 * {@link fromWire} for codecs. `walk = false` skips the depth/key walk of `any`, `map` and `payload`
 * values when the decoder already enforced them (the msgpack reader): only the payload depth is
 * then checked, and only when `deepest` (the nesting reached by the frame) could exceed it.
 */
export function validateFrame(value: unknown, accept: Direction, maxDepth: number, walk: boolean, deepest = Infinity): Frame {
  if (!Array.isArray(value) || value.length === 0) throw new ProtocolError(ProtocolErrorCode.BadShape, "a frame must be a non-empty array");
  const type = value[0];
  if (typeof type !== "number" || !Number.isInteger(type)) throw new ProtocolError(ProtocolErrorCode.BadShape, "frame type must be an integer");
  const spec = type >= 0 && type < SPEC_BY_TYPE.length ? SPEC_BY_TYPE[type] : undefined;
  if (!spec) {
    // A newer peer's request: by convention its rid comes first, so the error can name it (ERROR 501).
    const second = value[1];
    throw new ProtocolError(ProtocolErrorCode.UnknownType, `unknown frame type ${type}`, type, isUint(second) ? second : undefined);
  }
  const direction = spec.direction;
  const allowed = accept === "both" || direction === "both" || direction === accept;
  if (allowed && !walk && deepest <= PAYLOAD_MAX_DEPTH + 1) {
    // No payload can be too deep and the decoder checked keys and depth: a hand-written builder may do.
    const fast = FAST_DECODE[type]?.(value);
    if (fast) return fast;
  }
  const rid = spec.fields[0]?.name === "rid" && isUint(value[1]) ? value[1] : undefined;
  if (!allowed) throw new ProtocolError(ProtocolErrorCode.BadShape, `${spec.name} (${type}) is not sent by a ${accept}`, type, rid);
  const frame: Record<string, unknown> = { type };
  const fields = spec.fields;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    const raw = value[i + 1];
    if (raw === undefined || raw === null) {
      if (field.optional) continue;
      if (raw === null && (field.kind === "any" || field.kind === "payload")) {
        frame[field.name] = null;
        continue;
      }
      throw fieldError(spec, field, "is required", rid);
    }
    frame[field.name] = checkField(spec, field, raw, rid, maxDepth, walk, deepest);
  }
  return frame as unknown as Frame;
}

function checkField(spec: FrameSpec, field: FieldSpec, raw: unknown, rid: number | undefined, maxDepth: number, walk: boolean, deepest: number): unknown {
  switch (field.kind) {
    case "uint":
      if (!isUint(raw)) throw fieldError(spec, field, "must be a non-negative integer", rid);
      return raw;
    case "str":
    case "text":
      if (typeof raw !== "string") throw fieldError(spec, field, "must be a string", rid);
      if (raw.length > field.max || (field.kind === "str" && raw.length === 0)) {
        throw fieldError(spec, field, `must be ${field.kind === "str" ? 1 : 0}..${field.max} characters`, rid);
      }
      return raw;
    case "strs":
      if (!Array.isArray(raw) || raw.length > STRS_MAX) throw fieldError(spec, field, `must be an array of at most ${STRS_MAX} strings`, rid);
      for (const item of raw) {
        if (typeof item !== "string" || item.length === 0 || item.length > field.max) {
          throw fieldError(spec, field, `must hold strings of 1..${field.max} characters`, rid);
        }
      }
      return raw;
    case "pos": {
      if (!Array.isArray(raw) || raw.length < 2 || !isUint(raw[0]) || typeof raw[1] !== "string" || raw[1].length > ID_MAX) {
        throw fieldError(spec, field, "must be [offset, epoch]", rid);
      }
      return { offset: raw[0], epoch: raw[1] };
    }
    case "map":
      if (typeof raw !== "object" || Array.isArray(raw) || raw instanceof Uint8Array || raw instanceof Date) {
        throw fieldError(spec, field, "must be a map", rid);
      }
      if (walk) checkValue(raw, 2, maxDepth, spec, rid);
      return raw;
    case "any":
      if (walk) checkValue(raw, 2, maxDepth, spec, rid);
      return raw;
    case "payload": {
      // The payload's own level 1 sits at frame depth 2.
      const limit = Math.min(maxDepth, PAYLOAD_MAX_DEPTH + 1);
      if (walk || deepest > limit) checkValue(raw, 2, limit, spec, rid);
      return raw;
    }
  }
}

/**
 * Checks an application payload by the rules a frame's `payload` field is read with: at most
 * {@link PAYLOAD_MAX_DEPTH} levels of arrays/maps, no `__proto__`/`constructor`/`prototype` map
 * keys. Throws {@link ProtocolError} (`limit` or `forbidden_key`). For payloads that did not come
 * through a codec (a server's HTTP API), so that every way in applies the same validation.
 */
export function checkPayload(value: unknown): void {
  checkValue(value, 1, PAYLOAD_MAX_DEPTH, undefined, undefined, PAYLOAD_MAX_DEPTH);
}

/** Walks a value: containers no deeper than `maxDepth`, no prototype-polluting keys. */
function checkValue(value: unknown, depth: number, maxDepth: number, spec: FrameSpec | undefined, rid: number | undefined, shownDepth = maxDepth): void {
  if (value === null || typeof value !== "object" || value instanceof Uint8Array || value instanceof Date) return;
  if (depth > maxDepth) throw new ProtocolError(ProtocolErrorCode.Limit, `nesting deeper than ${shownDepth}`, spec?.type, rid);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkValue(value[i], depth + 1, maxDepth, spec, rid, shownDepth);
    return;
  }
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) throw new ProtocolError(ProtocolErrorCode.ForbiddenKey, `map key "${key}" is not allowed`, spec?.type, rid);
    checkValue((value as Record<string, unknown>)[key], depth + 1, maxDepth, spec, rid, shownDepth);
  }
}

/** True for a non-negative safe integer. */
export function isUint(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function fieldError(spec: FrameSpec, field: FieldSpec, problem: string, rid: number | undefined): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.BadShape, `${spec.name}.${field.name} ${problem}`, spec.type, rid);
}
