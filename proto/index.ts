/**
 * @module hubbub/proto
 * The Hubbub wire protocol v1: frame table, msgpack and JSON codecs, error and close-code tables.
 * Standalone: depends only on `@msgpack/msgpack`; runs in browsers, Node 18+, Bun, Deno and React Native.
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
} from "./frames.ts";
export type * from "./frames.ts";
export {
  createMsgpackCodec,
  createJsonCodec,
  toWire,
  fromWire,
  bytesToBase64,
  base64ToBytes,
  DEFAULT_LIMITS,
  SUBPROTOCOL_MSGPACK,
  SUBPROTOCOL_JSON,
} from "./codec.ts";
export type { WireCodec, CodecOptions, DecodeLimits } from "./codec.ts";
export { ProtocolError, ProtocolErrorCode, ReplyCode, DisconnectCode, shouldReconnect } from "./errors.ts";
