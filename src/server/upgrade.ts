/**
 * @module server/upgrade
 * The WebSocket handshake: origin allowlist, token extraction, JWT verification and subprotocol
 * negotiation — all before the upgrade. A refused handshake gets an HTTP error with a JSON body
 * `{error, message}` and no upgrade.
 */
import type { Server } from "bun";
import { parseSubprotocols, SUBPROTOCOL_JSON, SUBPROTOCOL_MSGPACK } from "../../proto/index.ts";
import type { VerifyResult } from "../auth/tokens.ts";
import type { Node } from "../node/node.ts";
import type { Session } from "../node/session.ts";

export function jsonError(status: number, error: string, message: string): Response {
  return new Response(JSON.stringify({ error, message }), { status, headers: { "content-type": "application/json" } });
}

/** True when a browser page at `origin` may open a socket. Requests without an Origin (non-browser clients) pass. */
export function originAllowed(origin: string | null, host: string | null, allowed: readonly string[]): boolean {
  if (!origin) return true;
  if (allowed.includes("*") || allowed.includes(origin)) return true;
  if (allowed.length > 0) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.host === host) return true;
  return url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]";
}

/** The token from `?token=`, `Authorization: Bearer`, or the `hubbub.token.<jwt>` subprotocol entry, in that order. */
export function extractToken(request: Request, url: URL, fromSubprotocol: string | undefined): string | undefined {
  const fromQuery = url.searchParams.get("token");
  if (fromQuery) return fromQuery;
  const auth = request.headers.get("authorization");
  if (auth?.toLowerCase().startsWith("bearer ")) return auth.slice(7).trim();
  return fromSubprotocol;
}

/** The path of an absolute request URL, without building a URL object (hot path: every upgrade). */
export function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const query = url.indexOf("?", start);
  return query < 0 ? url.slice(start) : url.slice(start, query);
}

/**
 * Authenticates and upgrades; returns a Response only when the handshake is refused. Synchronous
 * for HS256 tokens (upgrading inside `fetch` before it returns is Bun's cheap path); asynchronous
 * only when an RS256/ES256 signature must be checked.
 */
export function handleUpgrade(node: Node, request: Request, server: Server<Session>): Response | undefined | Promise<Response | undefined> {
  if (node.draining) return jsonError(503, "shutting_down", "server is shutting down; reconnect to another node or retry");
  if (!originAllowed(request.headers.get("origin"), request.headers.get("host"), node.config.allowedOrigins)) {
    return jsonError(403, "forbidden_origin", "this Origin may not open a socket (see allowedOrigins)");
  }
  const offer = parseSubprotocols(request.headers.get("sec-websocket-protocol"));
  if (offer.offered && offer.codec === undefined) {
    return jsonError(400, "unsupported_protocol", `offer ${SUBPROTOCOL_MSGPACK} or ${SUBPROTOCOL_JSON} in Sec-WebSocket-Protocol`);
  }
  // A codec is selected in the response only when the client offered one.
  const selected = offer.offered ? offer.codec : undefined;
  const token = extractToken(request, new URL(request.url), offer.token);
  const now = node.tokens.verifyNow(token);
  if (now) return completeUpgrade(node, request, server, now, selected);
  return node.tokens.verify(token).then((verdict) => completeUpgrade(node, request, server, verdict, selected));
}

function completeUpgrade(node: Node, request: Request, server: Server<Session>, verdict: VerifyResult, selected: string | undefined): Response | undefined {
  if (!verdict.ok) return jsonError(401, "unauthorized", verdict.message);
  if (node.isRevoked?.(verdict.claims)) return jsonError(401, "unauthorized", "token revoked");
  const session = node.createSession(verdict.claims, selected === SUBPROTOCOL_JSON);
  if (!session) return jsonError(429, "rate_limited", "this user's rate limit is spent; reconnect later, with backoff");
  const upgraded = server.upgrade(request, {
    data: session,
    headers: selected ? { "Sec-WebSocket-Protocol": selected } : undefined,
  });
  if (!upgraded) return jsonError(400, "upgrade_required", "expected a WebSocket upgrade request");
  return undefined;
}
