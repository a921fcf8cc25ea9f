/**
 * @module codec
 * Encoding and decoding of Hubbub frames, msgpack (binary) and JSON (text) variants.
 *
 * Invariants:
 * - Decoding untrusted bytes returns valid frames or throws {@link ProtocolError}; nothing else.
 * - Every decoded length is bounded by {@link DecodeLimits}; payload nesting depth is bounded and
 *   `__proto__`, `constructor` and `prototype` map keys are rejected anywhere in a frame.
 * - Encoding is deterministic: the same frame object always gives the same bytes, so a fan-out
 *   push can be encoded once and the bytes reused for every receiver.
 */
import { Decoder, Encoder } from "@msgpack/msgpack";
import { ProtocolError, ProtocolErrorCode } from "./errors.ts";
import { SPEC_BY_TYPE, type Direction, type FieldSpec, type Frame, type FrameSpec } from "./frames.ts";

/** Bounds applied while decoding untrusted input. All lengths are element/byte counts. */
export interface DecodeLimits {
  /** Longest string, in bytes (msgpack) — default 1 MiB. */
  maxStrLength: number;
  /** Longest byte string — default 1 MiB. */
  maxBinLength: number;
  /** Longest array — default 10,000. */
  maxArrayLength: number;
  /** Largest map — default 10,000 entries. */
  maxMapLength: number;
  /** Deepest nesting of arrays/maps inside a frame (the frame array itself is depth 1) — default 32. */
  maxDepth: number;
  /** Most frames in one WebSocket message — default 128. */
  maxFramesPerMessage: number;
}

export const DEFAULT_LIMITS: Readonly<DecodeLimits> = {
  maxStrLength: 1 << 20,
  maxBinLength: 1 << 20,
  maxArrayLength: 10_000,
  maxMapLength: 10_000,
  maxDepth: 32,
  maxFramesPerMessage: 128,
};

export interface CodecOptions {
  /**
   * Which sender's frames to accept: `"client"` on a server (frames a client may send),
   * `"server"` on a client, `"both"` for tools. Default `"both"`.
   */
  accept?: Direction;
  limits?: Partial<DecodeLimits>;
}

/** One wire format: msgpack over binary WebSocket messages, or JSON over text messages. */
export interface WireCodec {
  /** The `Sec-WebSocket-Protocol` value that selects this codec. */
  readonly subprotocol: string;
  /** True when encoded messages are binary (`Uint8Array`), false when they are text. */
  readonly binary: boolean;
  encode(frame: Frame): Uint8Array | string;
  /** Several frames in one WebSocket message. */
  encodeBatch(frames: readonly Frame[]): Uint8Array | string;
  /** All frames in one WebSocket message. Throws {@link ProtocolError} on bad input. */
  decode(data: Uint8Array | string): Frame[];
}

export const SUBPROTOCOL_MSGPACK = "hubbub.v1.msgpack";
export const SUBPROTOCOL_JSON = "hubbub.v1.json";

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** Turns a frame object into its wire array `[type, ...fields]`, trailing absent optionals dropped. */
export function toWire(frame: Frame): unknown[] {
  const spec = SPEC_BY_TYPE[frame.type];
  if (!spec) throw new ProtocolError(ProtocolErrorCode.UnknownType, `unknown frame type ${frame.type}`, frame.type);
  const record = frame as unknown as Record<string, unknown>;
  const out: unknown[] = [frame.type];
  let last = 0;
  for (const field of spec.fields) {
    let value = record[field.name];
    if (field.kind === "pos" && value !== undefined && value !== null) {
      const pos = value as { offset: number; epoch: string };
      value = [pos.offset, pos.epoch];
    }
    out.push(value === undefined ? null : value);
    if (value !== undefined && (value !== null || !field.optional)) last = out.length;
  }
  out.length = last || 1;
  return out;
}

/**
 * Validates a decoded wire value and turns it into a frame object.
 * @param accept which sender's frame types are allowed.
 */
export function fromWire(value: unknown, accept: Direction = "both", maxDepth = DEFAULT_LIMITS.maxDepth): Frame {
  if (!Array.isArray(value) || value.length === 0) throw bad(ProtocolErrorCode.BadShape, "a frame must be a non-empty array");
  const type = value[0];
  if (typeof type !== "number" || !Number.isInteger(type)) throw bad(ProtocolErrorCode.BadShape, "frame type must be an integer");
  const spec = type >= 0 && type < SPEC_BY_TYPE.length ? SPEC_BY_TYPE[type] : undefined;
  const rid = spec?.fields[0]?.name === "rid" && isUint(value[1]) ? (value[1] as number) : undefined;
  if (!spec) throw new ProtocolError(ProtocolErrorCode.UnknownType, `unknown frame type ${type}`, type, rid);
  if (accept !== "both" && spec.direction !== "both" && spec.direction !== accept) {
    throw new ProtocolError(ProtocolErrorCode.BadShape, `${spec.name} (${type}) is not sent by a ${accept}`, type, rid);
  }
  const frame: Record<string, unknown> = { type };
  const fields = spec.fields;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    const raw = value[i + 1];
    if (raw === undefined || (raw === null && field.kind !== "any")) {
      if (field.optional) continue;
      throw fieldError(spec, field, "is required", rid);
    }
    frame[field.name] = checkField(spec, field, raw, rid, maxDepth);
  }
  return frame as unknown as Frame;
}

function checkField(spec: FrameSpec, field: FieldSpec, raw: unknown, rid: number | undefined, maxDepth: number): unknown {
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
      if (!Array.isArray(raw) || raw.length > 1000) throw fieldError(spec, field, "must be an array of at most 1000 strings", rid);
      for (const item of raw) {
        if (typeof item !== "string" || item.length === 0 || item.length > field.max) {
          throw fieldError(spec, field, `must hold strings of 1..${field.max} characters`, rid);
        }
      }
      return raw;
    case "pos": {
      if (!Array.isArray(raw) || raw.length < 2 || !isUint(raw[0]) || typeof raw[1] !== "string" || raw[1].length > 64) {
        throw fieldError(spec, field, "must be [offset, epoch]", rid);
      }
      return { offset: raw[0], epoch: raw[1] };
    }
    case "map":
      if (raw === null || typeof raw !== "object" || Array.isArray(raw) || raw instanceof Uint8Array) {
        throw fieldError(spec, field, "must be a map", rid);
      }
      checkValue(raw, 2, maxDepth, spec, rid);
      return raw;
    case "any":
      checkValue(raw, 2, maxDepth, spec, rid);
      return raw;
  }
}

/** Walks an application value: bounded depth, no prototype-polluting keys. */
function checkValue(value: unknown, depth: number, maxDepth: number, spec: FrameSpec, rid: number | undefined): void {
  if (value === null || typeof value !== "object" || value instanceof Uint8Array || value instanceof Date) return;
  if (depth > maxDepth) throw new ProtocolError(ProtocolErrorCode.Limit, `nesting deeper than ${maxDepth}`, spec.type, rid);
  if (Array.isArray(value)) {
    for (const item of value) checkValue(item, depth + 1, maxDepth, spec, rid);
    return;
  }
  for (const key in value) {
    if (FORBIDDEN_KEYS.has(key)) throw new ProtocolError(ProtocolErrorCode.ForbiddenKey, `map key "${key}" is not allowed`, spec.type, rid);
    checkValue((value as Record<string, unknown>)[key], depth + 1, maxDepth, spec, rid);
  }
}

function isUint(v: unknown): boolean {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function bad(code: ProtocolErrorCode, message: string): ProtocolError {
  return new ProtocolError(code, message);
}

function fieldError(spec: FrameSpec, field: FieldSpec, problem: string, rid: number | undefined): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.BadShape, `${spec.name}.${field.name} ${problem}`, spec.type, rid);
}

function mergeLimits(limits: Partial<DecodeLimits> | undefined): DecodeLimits {
  return { ...DEFAULT_LIMITS, ...limits };
}

function asProtocolError(err: unknown): ProtocolError {
  if (err instanceof ProtocolError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (message.includes("__proto__")) return new ProtocolError(ProtocolErrorCode.ForbiddenKey, message);
  if (/max\w*length|exceeds/i.test(message)) return new ProtocolError(ProtocolErrorCode.Limit, message);
  return new ProtocolError(ProtocolErrorCode.Malformed, message);
}

/** Creates the msgpack codec (`hubbub.v1.msgpack`). A message holds one or more concatenated frames. */
export function createMsgpackCodec(options: CodecOptions = {}): WireCodec {
  const accept = options.accept ?? "both";
  const limits = mergeLimits(options.limits);
  const encoder = new Encoder({ ignoreUndefined: true });
  const decoder = new Decoder({
    maxStrLength: limits.maxStrLength,
    maxBinLength: limits.maxBinLength,
    maxArrayLength: limits.maxArrayLength,
    maxMapLength: limits.maxMapLength,
    maxExtLength: limits.maxBinLength,
  });
  return {
    subprotocol: SUBPROTOCOL_MSGPACK,
    binary: true,
    encode: (frame) => encoder.encode(toWire(frame)),
    encodeBatch(frames) {
      const parts = frames.map((frame) => encoder.encode(toWire(frame)));
      return concat(parts);
    },
    decode(data) {
      if (typeof data === "string") throw bad(ProtocolErrorCode.Malformed, "the msgpack subprotocol uses binary messages");
      if (data.byteLength === 0) throw bad(ProtocolErrorCode.Malformed, "empty message");
      const frames: Frame[] = [];
      try {
        for (const value of decoder.decodeMulti(data)) {
          if (frames.length >= limits.maxFramesPerMessage) {
            throw new ProtocolError(ProtocolErrorCode.Limit, `more than ${limits.maxFramesPerMessage} frames in one message`);
          }
          frames.push(fromWire(value, accept, limits.maxDepth));
        }
      } catch (err) {
        throw asProtocolError(err);
      }
      return frames;
    },
  };
}

/**
 * Creates the JSON codec (`hubbub.v1.json`): the same arrays as JSON text. A message is one frame
 * (`[12, …]`) or a batch (`[[12, …], [0]]`). Bytes travel as `{"$bin": "<base64>"}`.
 */
export function createJsonCodec(options: CodecOptions = {}): WireCodec {
  const accept = options.accept ?? "both";
  const limits = mergeLimits(options.limits);
  const encodeOne = (frame: Frame) => JSON.stringify(toWire(frame), jsonReplacer);
  return {
    subprotocol: SUBPROTOCOL_JSON,
    binary: false,
    encode: encodeOne,
    encodeBatch: (frames) => `[${frames.map(encodeOne).join(",")}]`,
    decode(data) {
      const text = typeof data === "string" ? data : utf8Decode(data);
      if (text.length > limits.maxStrLength * 4) throw bad(ProtocolErrorCode.Limit, "message too long");
      let value: unknown;
      try {
        value = JSON.parse(text, jsonReviver);
      } catch (err) {
        throw asProtocolError(err);
      }
      if (!Array.isArray(value) || value.length === 0) throw bad(ProtocolErrorCode.BadShape, "a message must be a frame array or an array of frames");
      checkJsonLengths(value, limits, 1);
      if (!Array.isArray(value[0])) return [fromWire(value, accept, limits.maxDepth)];
      if (value.length > limits.maxFramesPerMessage) {
        throw new ProtocolError(ProtocolErrorCode.Limit, `more than ${limits.maxFramesPerMessage} frames in one message`);
      }
      return value.map((item) => fromWire(item, accept, limits.maxDepth));
    },
  };
}

/** JSON has no native length limits on parse; apply the same array/map/string bounds as msgpack. */
function checkJsonLengths(value: unknown, limits: DecodeLimits, depth: number): void {
  if (typeof value === "string") {
    if (value.length > limits.maxStrLength) throw bad(ProtocolErrorCode.Limit, "string too long");
    return;
  }
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return;
  if (depth > limits.maxDepth + 1) throw bad(ProtocolErrorCode.Limit, `nesting deeper than ${limits.maxDepth}`);
  if (Array.isArray(value)) {
    if (value.length > limits.maxArrayLength) throw bad(ProtocolErrorCode.Limit, "array too long");
    for (const item of value) checkJsonLengths(item, limits, depth + 1);
    return;
  }
  const keys = Object.keys(value);
  if (keys.length > limits.maxMapLength) throw bad(ProtocolErrorCode.Limit, "map too large");
  for (const key of keys) checkJsonLengths((value as Record<string, unknown>)[key], limits, depth + 1);
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bin: bytesToBase64(value) };
  return value;
}

function jsonReviver(key: string, value: unknown): unknown {
  if (FORBIDDEN_KEYS.has(key)) throw new ProtocolError(ProtocolErrorCode.ForbiddenKey, `map key "${key}" is not allowed`);
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const b64 = record.$bin;
    if (typeof b64 === "string" && Object.keys(record).length === 1) {
      try {
        return base64ToBytes(b64);
      } catch {
        throw bad(ProtocolErrorCode.Malformed, "invalid $bin base64");
      }
    }
  }
  return value;
}

const textDecoder = new TextDecoder("utf-8", { fatal: true });
function utf8Decode(bytes: Uint8Array): string {
  try {
    return textDecoder.decode(bytes);
  } catch {
    throw bad(ProtocolErrorCode.Malformed, "text message is not valid UTF-8");
  }
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_INDEX = (() => {
  const index = new Int16Array(128).fill(-1);
  for (let i = 0; i < B64.length; i++) index[B64.charCodeAt(i)] = i;
  return index;
})();

/** Standard base64 with padding; works without `Buffer` or `btoa`. */
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

/** Decodes standard base64 (padding optional). Throws on any other character. */
export function base64ToBytes(text: string): Uint8Array {
  const clean = text.replace(/=+$/, "");
  if (clean.length % 4 === 1) throw new Error("bad base64 length");
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < clean.length; i++) {
    const c = clean.charCodeAt(i);
    const v = c < 128 ? B64_INDEX[c]! : -1;
    if (v < 0) throw new Error("bad base64 character");
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const part of parts) size += part.byteLength;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}
