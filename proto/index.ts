/**
 * @module hubbub/proto
 * The Hubbub wire protocol v1: frame table, msgpack and JSON codecs, error and close-code tables.
 * Standalone: no runtime dependency (its msgpack reader and writer are checked against
 * `@msgpack/msgpack` in tests), no `Buffer`, no runtime-specific API; runs in browsers, Node 18+,
 * Bun, Deno and React Native (with or without `TextEncoder`/`TextDecoder`).
 * The specification is PROTOCOL.md at the repository root.
 */
export {
  FrameType,
  UpdateAction,
  MessageState,
  PresenceAction,
  FRAME_SPECS,
  SPEC_BY_TYPE,
  NAME_MAX,
  ID_MAX,
  TOKEN_MAX,
  REASON_MAX,
  STRS_MAX,
  PAYLOAD_MAX_DEPTH,
} from "./frames.ts";
export type * from "./frames.ts";
export { createMsgpackCodec, SUBPROTOCOL_MSGPACK, SUBPROTOCOL_JSON } from "./codec.ts";
export type { WireCodec, CodecOptions } from "./codec.ts";
export { createJsonCodec } from "./json.ts";
export { toWire, fromWire, checkPayload } from "./wire.ts";
export { bytesToBase64, base64ToBytes } from "./base64.ts";
export { DEFAULT_LIMITS } from "./limits.ts";
export type { DecodeLimits } from "./limits.ts";
export { MsgpackReader } from "./msgpack-reader.ts";
export { MsgpackWriter } from "./msgpack-writer.ts";
export { ExtData } from "./ext-data.ts";
export { parseSubprotocols, clientSubprotocols, SUBPROTOCOL_TOKEN_PREFIX, SUBPROTOCOLS } from "./handshake.ts";
export type { SubprotocolOffer } from "./handshake.ts";
export { ProtocolError, ProtocolErrorCode, ReplyCode, DisconnectCode, shouldReconnect } from "./errors.ts";
