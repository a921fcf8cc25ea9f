/**
 * @module handshake
 * The `Sec-WebSocket-Protocol` part of the Hubbub handshake (PROTOCOL.md, "Handshake").
 *
 * A client offers one or both codec subprotocols, preferred first, and — browsers only, since they
 * cannot set headers — an entry `hubbub.token.<JWT>`. The server selects the first codec it
 * supports and never echoes the token entry. Offering nothing at all means msgpack.
 */
import { SUBPROTOCOL_JSON, SUBPROTOCOL_MSGPACK } from "./codec.ts";

/** Prefix of the `Sec-WebSocket-Protocol` entry that carries a token: `hubbub.token.<JWT>`. */
export const SUBPROTOCOL_TOKEN_PREFIX = "hubbub.token.";

/** The codec subprotocols this version of the protocol defines, in the server's order of preference. */
export const SUBPROTOCOLS: readonly string[] = [SUBPROTOCOL_MSGPACK, SUBPROTOCOL_JSON];

/** What a `Sec-WebSocket-Protocol` request header offers. */
export interface SubprotocolOffer {
  /** True when the header was present with at least one entry. */
  offered: boolean;
  /**
   * The subprotocol the server must select: the client's first offered codec that this version
   * supports; `SUBPROTOCOL_MSGPACK` when nothing was offered (then no subprotocol is selected in the
   * response); undefined when entries were offered but no supported codec (the server refuses with HTTP 400
   * `unsupported_protocol`).
   */
  codec: string | undefined;
  /** The token from a `hubbub.token.<JWT>` entry, if any (never echoed). */
  token: string | undefined;
}

/** Parses a `Sec-WebSocket-Protocol` request header (comma-separated entries; whitespace ignored). */
export function parseSubprotocols(header: string | null | undefined): SubprotocolOffer {
  const entries = (header ?? "").split(",").map((entry) => entry.trim()).filter((entry) => entry.length > 0);
  let codec: string | undefined;
  let token: string | undefined;
  for (const entry of entries) {
    if (entry.startsWith(SUBPROTOCOL_TOKEN_PREFIX)) {
      if (token === undefined && entry.length > SUBPROTOCOL_TOKEN_PREFIX.length) token = entry.slice(SUBPROTOCOL_TOKEN_PREFIX.length);
    } else if (codec === undefined && SUBPROTOCOLS.includes(entry)) {
      codec = entry;
    }
  }
  if (entries.length === 0) return { offered: false, codec: SUBPROTOCOL_MSGPACK, token };
  return { offered: true, codec, token };
}

/**
 * The list a browser passes to `new WebSocket(url, protocols)`: the codec, then the token entry when
 * a token is given (a JWT only holds characters allowed in a subprotocol name).
 */
export function clientSubprotocols(codec: string = SUBPROTOCOL_MSGPACK, token?: string): string[] {
  return token ? [codec, SUBPROTOCOL_TOKEN_PREFIX + token] : [codec];
}
