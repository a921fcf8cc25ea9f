/**
 * @module errors
 * The two kinds of error in the Hubbub protocol, and the codec's own exception.
 *
 * - A **reply error** (`ERROR` frame) answers one request and keeps the socket open. Its codes follow
 *   HTTP status semantics so they are easy to remember.
 * - A **disconnect** closes the socket with a WebSocket close code in 4000–4999. Codes 4000–4499 tell
 *   the client it may reconnect; 4500–4999 tell it not to reconnect with the same credentials.
 *
 * The tables here are the single source of truth; PROTOCOL.md documents the same values.
 */

/** Codes carried by an `ERROR` reply frame. The socket stays open after any of these. */
export const ReplyCode = {
  /** The frame was decodable but its shape or a field value is invalid. */
  BadRequest: 400,
  /** The token in a refresh request is invalid, or the action needs a valid session token. */
  Unauthorized: 401,
  /** The user may not do this (room not allowed, not admin, not the message's sender). */
  Forbidden: 403,
  /** The room, user or message does not exist. */
  NotFound: 404,
  /** The recall/edit window has passed, or the message was recalled. */
  Gone: 410,
  /** The payload is larger than the server's `maxPayloadBytes`. */
  TooLarge: 413,
  /** A per-session limit is reached (rooms per session, …). */
  LimitExceeded: 422,
  /** The session sends faster than its rate limit; retry later. */
  RateLimited: 429,
  /** Unexpected server failure; logged on the server, never detailed to the client. */
  Internal: 500,
  /** The frame type is unknown to this server (newer client). */
  NotImplemented: 501,
  /** A required engine (store, bus) is temporarily unavailable; retry later. */
  Unavailable: 503,
} as const;
export type ReplyCode = (typeof ReplyCode)[keyof typeof ReplyCode];

/**
 * WebSocket close codes used by the server. `4000–4499`: transient, the client should reconnect
 * (with backoff; immediately, with jitter, for `ServerShutdown`). `4500–4999`: terminal, the client
 * must not reconnect without changing something (a new token, a fixed client, smaller frames).
 */
export const DisconnectCode = {
  /** The server is shutting down or restarting; reconnect now (spread with jitter). */
  ServerShutdown: 4000,
  /** The client did not read fast enough; its buffered output passed the limit. */
  SlowConsumer: 4001,
  /** No frame or pong arrived within the heartbeat interval. */
  HeartbeatTimeout: 4002,
  /** The session sent faster than its rate limit for too long; reconnect with backoff. */
  RateLimited: 4003,
  /** The server holds as many connections as it may; reconnect with backoff. */
  ConnectionLimit: 4004,
  /** An unexpected server error ended the session; reconnect with backoff. */
  InternalError: 4005,
  /** The token expired before it was refreshed; reconnect with a fresh token. */
  TokenExpired: 4006,
  /** Disconnected by an operator or backend without a ban; reconnect allowed. */
  Reconnect: 4007,

  /** The client sent bytes that are not a valid frame (protocol violation). */
  BadFrame: 4500,
  /** The token was revoked or is invalid. */
  Unauthorized: 4501,
  /** Reserved: a message over `maxFrameBytes`. This server version closes with 1009 at the WebSocket layer instead. */
  MessageTooLarge: 4502,
  /** Kicked by an operator or backend; do not reconnect automatically. */
  Kicked: 4503,
  /** The user already has `maxSessionsPerUser` sessions. */
  SessionLimit: 4504,
  /** Reserved: no supported subprotocol. This server version refuses the handshake with HTTP 400 instead. */
  UnsupportedProtocol: 4505,
} as const;
export type DisconnectCode = (typeof DisconnectCode)[keyof typeof DisconnectCode];

/** True when a client that was closed with `code` should try to reconnect. Codes outside 4000–4999 (normal closes, network failures) are treated as transient. */
export function shouldReconnect(code: number): boolean {
  if (code >= 4500 && code <= 4999) return false;
  return true;
}

/** Codes carried by {@link ProtocolError}; each names why bytes could not become a frame. */
export const ProtocolErrorCode = {
  /** The bytes are not valid msgpack/JSON, or exceed a decode limit. */
  Malformed: "malformed",
  /** The value decoded but is not a frame of the right shape. */
  BadShape: "bad_shape",
  /** A frame with a type number this codec does not know. */
  UnknownType: "unknown_type",
  /** A decode limit (length, depth, frames per message) was exceeded. */
  Limit: "limit",
  /** A forbidden map key (`__proto__`, `constructor`, `prototype`). */
  ForbiddenKey: "forbidden_key",
} as const;
export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

/**
 * The only exception the codec throws on bad input. `code` says why; `frameType` and `rid` are set
 * when the frame header could be read, so a server can answer the offending request precisely.
 */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
    readonly frameType?: number,
    readonly rid?: number,
  ) {
    super(message);
  }
}
