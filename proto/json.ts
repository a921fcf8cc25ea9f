/**
 * @module json
 * The JSON codec (`hubbub.v1.json`): the same frame arrays as msgpack, as JSON text. A message is one
 * frame (`[12, …]`) or a batch (`[[12, …], [0]]`). Bytes travel as `{"$bin": "<base64>"}` (a map
 * with exactly that one key); `Date` values become ISO-8601 strings; non-finite numbers become `null`.
 *
 * Invariants: the same limits as msgpack apply after parsing (string length counted in UTF-16
 * units; `$bin` length after decoding), and a longer text than {@link jsonTextLimit} is refused
 * before it is parsed.
 */
import { base64DecodedLength, base64ToBytes, bytesToBase64 } from "./base64.ts";
import { SUBPROTOCOL_JSON, type CodecOptions, type WireCodec } from "./codec.ts";
import { ProtocolError, ProtocolErrorCode } from "./errors.ts";
import { SPEC_BY_TYPE, type Frame } from "./frames.ts";
import { FORBIDDEN_KEYS, mergeLimits, type DecodeLimits } from "./limits.ts";
import { decodeUtf8 } from "./utf8.ts";
import { isUint, toWire, validateFrame } from "./wire.ts";

/** Deepest nesting the JSON encoder follows before it assumes a cycle. */
const ENCODE_MAX_DEPTH = 100;
/** Matches a surrogate code unit that is not part of a pair (with the `u` flag, pairs are one code point). */
const LONE_SURROGATE = /[\ud800-\udfff]/u;

/**
 * Creates the JSON codec (`hubbub.v1.json`): the same arrays as JSON text. A message is one frame
 * (`[12, …]`) or a batch (`[[12, …], [0]]`). Bytes travel as `{"$bin": "<base64>"}`.
 */
export function createJsonCodec(options: CodecOptions = {}): WireCodec {
  const accept = options.accept ?? "both";
  const limits = mergeLimits(options.limits);
  const onInvalid = options.onInvalidFrame;
  const maxText = jsonTextLimit(limits);
  return {
    subprotocol: SUBPROTOCOL_JSON,
    binary: false,
    encode: encodeJsonFrame,
    encodeBatch: (frames) => `[${frames.map(encodeJsonFrame).join(",")}]`,
    decode(data) {
      const bytes = typeof data === "string" ? undefined : data instanceof Uint8Array ? data : new Uint8Array(data);
      // n UTF-8 bytes decode to at least n / 3 UTF-16 units: refuse what must be too long before decoding it.
      if (bytes && bytes.byteLength > 3 * maxText) throw new ProtocolError(ProtocolErrorCode.Limit, `message of ${bytes.byteLength} bytes is too long`);
      const text = bytes ? decodeUtf8(bytes, 0, bytes.byteLength) : (data as string);
      if (text.length > maxText) throw new ProtocolError(ProtocolErrorCode.Limit, `message of ${text.length} characters exceeds the limit of ${maxText}`);
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw new ProtocolError(ProtocolErrorCode.Malformed, `invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (!Array.isArray(value) || value.length === 0) {
        throw new ProtocolError(ProtocolErrorCode.BadShape, "a message must be a frame array or an array of frames");
      }
      const items: unknown[] = Array.isArray(value[0]) ? value : [value];
      if (items.length > limits.maxFramesPerMessage) {
        throw new ProtocolError(ProtocolErrorCode.Limit, `more than ${limits.maxFramesPerMessage} frames in one message`);
      }
      const walker = new JsonWalker(limits);
      const depths = new Array<number>(items.length);
      for (let i = 0; i < items.length; i++) {
        walker.deepest = 0;
        try {
          items[i] = walker.value(items[i], 1);
        } catch (err) {
          throw withHeader(err as ProtocolError, items[i]);
        }
        depths[i] = walker.deepest;
      }
      const frames: Frame[] = [];
      let invalid: ProtocolError[] | undefined;
      for (let i = 0; i < items.length; i++) {
        try {
          frames.push(validateFrame(items[i], accept, limits.maxDepth, false, depths[i]));
        } catch (err) {
          if (!onInvalid) throw err;
          (invalid ??= []).push(err as ProtocolError);
        }
      }
      if (invalid) for (const err of invalid) onInvalid!(err);
      return frames;
    },
  };
}

/** The walker's error with the frame's type and rid added when they can be read, as the msgpack codec does. */
function withHeader(err: ProtocolError, item: unknown): ProtocolError {
  if (!Array.isArray(item) || !isUint(item[0])) return err;
  const spec = SPEC_BY_TYPE[item[0]];
  const rid = (!spec || spec.fields[0]?.name === "rid") && isUint(item[1]) ? item[1] : undefined;
  return new ProtocolError(err.code, err.message, item[0], rid);
}

/** Longest JSON message accepted, UTF-16 units: room for one maximal string or base64 byte string, escaped, plus 64 Ki of framing. */
export function jsonTextLimit(limits: DecodeLimits): number {
  return 4 * Math.max(limits.maxStrLength, limits.maxBinLength) + 65_536;
}

/** One frame as JSON text. */
function encodeJsonFrame(frame: Frame): string {
  const wire = toWire(frame);
  try {
    return JSON.stringify(jsonSafe(wire, 1));
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    throw new ProtocolError(ProtocolErrorCode.BadShape, `cannot encode as JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** `value` with byte arrays replaced by `{"$bin": base64}`; unchanged (same object) when it holds none. */
function jsonSafe(value: unknown, depth: number): unknown {
  if (typeof value !== "object" || value === null || value instanceof Date) return value;
  if (depth > ENCODE_MAX_DEPTH) throw new ProtocolError(ProtocolErrorCode.Limit, `nesting deeper than ${ENCODE_MAX_DEPTH} (a cycle?)`);
  if (value instanceof Uint8Array) return { $bin: bytesToBase64(value) };
  if (ArrayBuffer.isView(value)) return { $bin: bytesToBase64(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) };
  if (value instanceof ArrayBuffer) return { $bin: bytesToBase64(new Uint8Array(value)) };
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const safe = jsonSafe(item, depth + 1);
      if (safe !== item) (out ??= value.slice())[i] = safe;
    }
    return out ?? value;
  }
  const record = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const item = record[key];
    const safe = jsonSafe(item, depth + 1);
    if (safe !== item) (out ??= { ...record })[key] = safe;
  }
  return out ?? value;
}

/** Applies the decode limits to a parsed JSON value, in place, turning `{"$bin": …}` into bytes. */
class JsonWalker {
  deepest = 0;
  constructor(private readonly limits: DecodeLimits) {}

  value(value: unknown, depth: number): unknown {
    if (typeof value === "string") return this.string(value);
    if (typeof value !== "object" || value === null) return value;
    if (Array.isArray(value)) {
      this.enter(depth);
      if (value.length > this.limits.maxArrayLength) throw limit(`array of ${value.length} entries`);
      for (let i = 0; i < value.length; i++) value[i] = this.value(value[i], depth + 1);
      return value;
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 1 && keys[0] === "$bin" && typeof record.$bin === "string") return this.bin(record.$bin);
    this.enter(depth);
    if (keys.length > this.limits.maxMapLength) throw limit(`map of ${keys.length} entries`);
    for (const key of keys) {
      if (FORBIDDEN_KEYS.has(key)) throw new ProtocolError(ProtocolErrorCode.ForbiddenKey, `map key "${key}" is not allowed`);
      this.string(key);
      record[key] = this.value(record[key], depth + 1);
    }
    return record;
  }

  /** Strings are bounded and must be valid Unicode: a `\ud800` escape without its pair is refused, as in UTF-8. */
  private string(value: string): string {
    if (value.length > this.limits.maxStrLength) throw limit(`string of ${value.length} characters`);
    if (LONE_SURROGATE.test(value)) throw new ProtocolError(ProtocolErrorCode.Malformed, "string holds an unpaired surrogate");
    return value;
  }

  private enter(depth: number): void {
    if (depth > this.deepest) {
      if (depth > this.limits.maxDepth) throw limit(`nesting deeper than ${this.limits.maxDepth}`);
      this.deepest = depth;
    }
  }

  private bin(text: string): Uint8Array {
    const size = base64DecodedLength(text);
    if (size > this.limits.maxBinLength) throw limit(`binary of ${size} bytes`);
    try {
      return base64ToBytes(text);
    } catch {
      throw new ProtocolError(ProtocolErrorCode.Malformed, "invalid $bin base64");
    }
  }
}

function limit(what: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.Limit, `${what} exceeds a decode limit`);
}

