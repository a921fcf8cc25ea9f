/**
 * @module codec
 * The `WireCodec` interface, its options, and the msgpack codec (`hubbub.v1.msgpack`).
 * The JSON codec (`hubbub.v1.json`) lives in `json.ts`.
 *
 * Invariants of every codec:
 * - Decoding untrusted input returns valid frames or throws {@link ProtocolError}; nothing else,
 *   and in time linear in the input. Every decoded length is bounded by {@link DecodeLimits}; nesting
 *   depth is bounded; `__proto__`, `constructor` and `prototype` map keys are rejected anywhere.
 * - Encoding is deterministic: the same frame object always gives the same bytes, so a fan-out
 *   push can be encoded once and the bytes reused for every receiver.
 * - `decode(encode(f))` deep-equals `[f]` for every valid frame `f` (for msgpack; JSON has no
 *   `Date`/ext values and turns non-finite numbers into `null`).
 */
import { ProtocolError, ProtocolErrorCode } from "./errors.ts";
import { FAST_ENCODE } from "./fast.ts";
import { SPEC_BY_TYPE, type Direction, type Frame } from "./frames.ts";
import { mergeLimits, type DecodeLimits } from "./limits.ts";
import { MsgpackReader } from "./msgpack-reader.ts";
import { MsgpackWriter } from "./msgpack-writer.ts";
import { specOf, validateFrame, wireFieldCount } from "./wire.ts";

/** Options of {@link createMsgpackCodec} and `createJsonCodec`. */
export interface CodecOptions {
  /**
   * Which sender's frames to accept: `"client"` on a server (frames a client may send),
   * `"server"` on a client, `"both"` for tools. Default `"both"`.
   */
  accept?: Direction;
  /** Decode limits; unset fields keep their {@link DEFAULT_LIMITS} value. */
  limits?: Partial<DecodeLimits>;
  /**
   * Called, after the message is decoded, with the error of each frame that was well-formed
   * msgpack/JSON but not a valid frame (unknown type, wrong direction, bad field, payload too deep).
   * That frame is skipped and the others are returned. Without this option such a frame makes
   * `decode` throw. Clients pass `() => {}` to ignore push types newer than they are; servers answer
   * `error.rid` with ERROR 501 (`unknown_type`) or 400. Malformed bytes always throw.
   */
  onInvalidFrame?: (error: ProtocolError) => void;
}

/** One wire format: msgpack over binary WebSocket messages, or JSON over text messages. */
export interface WireCodec {
  /** The `Sec-WebSocket-Protocol` value that selects this codec. */
  readonly subprotocol: string;
  /** True when encoded messages are binary (`Uint8Array`), false when they are text. */
  readonly binary: boolean;
  /**
   * One frame as one WebSocket message. Field values are not validated (encode frames built to their
   * types; a peer rejects invalid ones). Throws {@link ProtocolError} for a frame type not in the
   * table or a value that cannot be encoded (bigint, function, cycle).
   */
  encode(frame: Frame): Uint8Array<ArrayBuffer> | string;
  /** Several frames in one WebSocket message, in order. */
  encodeBatch(frames: readonly Frame[]): Uint8Array<ArrayBuffer> | string;
  /** All frames in one WebSocket message, in order. Throws {@link ProtocolError} on bad input. */
  decode(data: Uint8Array | ArrayBuffer | string): Frame[];
}

/** Subprotocol of the msgpack codec: binary messages of one or more concatenated frames. */
export const SUBPROTOCOL_MSGPACK = "hubbub.v1.msgpack";
/** Subprotocol of the JSON codec: text messages of one frame array or an array of frame arrays. */
export const SUBPROTOCOL_JSON = "hubbub.v1.json";

/** Creates the msgpack codec (`hubbub.v1.msgpack`). A message holds one or more concatenated frames. Not re-entrant. */
export function createMsgpackCodec(options: CodecOptions = {}): WireCodec {
  const accept = options.accept ?? "both";
  const limits = mergeLimits(options.limits);
  const onInvalid = options.onInvalidFrame;
  const writer = new MsgpackWriter();
  const reader = new MsgpackReader(limits);
  return {
    subprotocol: SUBPROTOCOL_MSGPACK,
    binary: true,
    encode(frame) {
      writer.start();
      writeFrame(writer, frame);
      return writer.finish();
    },
    encodeBatch(frames) {
      writer.start();
      for (const frame of frames) writeFrame(writer, frame);
      return writer.finish();
    },
    decode(data) {
      const bytes = toBytes(data);
      if (bytes.byteLength === 0) throw new ProtocolError(ProtocolErrorCode.Malformed, "empty message");
      reader.reset(bytes);
      const frames: Frame[] = [];
      let invalid: ProtocolError[] | undefined;
      try {
        decodeFrames(reader, bytes, frames, accept, limits, onInvalid ? (invalid = []) : undefined);
      } finally {
        reader.reset(EMPTY);
      }
      if (invalid) for (const err of invalid) onInvalid!(err);
      return frames;
    },
  };
}

const EMPTY = new Uint8Array(0);
/** Reused for each top-level frame array: validation copies its fields into the frame object. */
const scratch: unknown[] = [];

/** Reads every frame of a message; invalid frames go to `invalid` when given, else throw. */
function decodeFrames(reader: MsgpackReader, bytes: Uint8Array, frames: Frame[], accept: Direction, limits: DecodeLimits, invalid: ProtocolError[] | undefined): void {
  let count = 0;
  while (reader.hasMore) {
    if (++count > limits.maxFramesPerMessage) {
      throw new ProtocolError(ProtocolErrorCode.Limit, `more than ${limits.maxFramesPerMessage} frames in one message`);
    }
    const start = reader.offset;
    reader.deepest = 0;
    let value: unknown;
    try {
      value = reader.readInto(scratch);
    } catch (err) {
      throw withHeader(asProtocolError(err), bytes, start);
    }
    try {
      frames.push(validateFrame(value, accept, limits.maxDepth, false, reader.deepest));
    } catch (err) {
      if (!invalid) throw err;
      invalid.push(err as ProtocolError);
    }
  }
}

/** Writes one frame as its wire array without building the array. */
function writeFrame(writer: MsgpackWriter, frame: Frame): void {
  const fast = FAST_ENCODE[frame.type];
  if (fast) return fast(writer, frame as never);
  const spec = specOf(frame);
  const record = frame as unknown as Record<string, unknown>;
  const count = wireFieldCount(spec, record);
  const fields = spec.fields;
  writer.arrayHeader(count + 1);
  writer.write(frame.type);
  for (let i = 0; i < count; i++) {
    const field = fields[i]!;
    const value = record[field.name];
    if (field.kind === "pos" && value !== undefined && value !== null) {
      const pos = value as { offset: number; epoch: string };
      writer.arrayHeader(2);
      writer.write(pos.offset);
      writer.write(pos.epoch);
    } else {
      writer.write(value, 2);
    }
  }
}

/** The bytes of a message; strings are refused (the msgpack subprotocol uses binary messages). */
function toBytes(data: Uint8Array | ArrayBuffer | string): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new ProtocolError(ProtocolErrorCode.Malformed, "the msgpack subprotocol uses binary messages");
}

/** The reader only throws {@link ProtocolError}; anything else is a bug, still reported as `malformed` input. */
function asProtocolError(err: unknown): ProtocolError {
  if (err instanceof ProtocolError) return err;
  return new ProtocolError(ProtocolErrorCode.Malformed, `internal decoder error: ${err instanceof Error ? err.message : String(err)}`);
}

/**
 * The reader's error, with the frame type and rid added when the frame's first bytes show them
 * (`[type, rid, …` with small unsigned integers), so a server can answer the request that failed.
 */
function withHeader(err: ProtocolError, bytes: Uint8Array, start: number): ProtocolError {
  let at = start;
  const head = bytes[at++];
  if (head === undefined || head < 0x91 || head > 0x9f) return err;
  const type = bytes[at++];
  if (type === undefined || type >= 0x80) return err;
  let rid: number | undefined = bytes[at];
  if (rid !== undefined && rid >= 0x80) {
    const size = rid === 0xcc ? 1 : rid === 0xcd ? 2 : rid === 0xce ? 4 : 0;
    rid = undefined;
    if (size > 0 && at + size < bytes.length) {
      rid = 0;
      for (let i = 1; i <= size; i++) rid = rid * 256 + bytes[at + i]!;
    }
  }
  const spec = SPEC_BY_TYPE[type];
  if (head === 0x91 || (spec && spec.fields[0]?.name !== "rid")) rid = undefined;
  return new ProtocolError(err.code, err.message, type, rid);
}
