/**
 * @module api/routes
 * The server HTTP API under `/api`, for backends: publish, send, broadcast, disconnect, remove from
 * room, rooms, presence, online users, user status, history, token revocation, stats.
 *
 * - Authenticated with an API key (`Authorization: Bearer <key>` or `X-Api-Key`), compared in
 *   constant time: 401 without a key, 403 with a wrong one.
 * - Bodies are JSON (`application/json`) or msgpack (`application/msgpack`), validated by Elysia
 *   schemas; a bad body gets 400 naming the field; an oversize body 413; unknown rooms/users 404.
 * - Errors are `{error, message}` JSON everywhere.
 */
import { Elysia, t } from "elysia";
import { timingSafeEqual } from "node:crypto";
import { checkPayload, DEFAULT_LIMITS, MsgpackReader, ProtocolError, ReplyCode } from "../../proto/index.ts";
import { broadcastToAll, checkRoomName, publishToRoom, sendDirect } from "../node/actions.ts";
import { decodePayload } from "../node/messages.ts";
import { roomStream } from "../node/keys.ts";
import type { Node } from "../node/node.ts";
import { RequestError } from "../node/request-error.ts";
import type { StoredMessage } from "../store/port.ts";
import type { Revocations } from "../auth/revocations.ts";

const STATUS_BY_REPLY: Record<number, number> = {
  [ReplyCode.BadRequest]: 400,
  [ReplyCode.Forbidden]: 403,
  [ReplyCode.NotFound]: 404,
  [ReplyCode.Gone]: 410,
  [ReplyCode.TooLarge]: 413,
  [ReplyCode.LimitExceeded]: 422,
  [ReplyCode.RateLimited]: 429,
  [ReplyCode.Unavailable]: 503,
};

const ERROR_NAMES: Record<number, string> = {
  400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 410: "gone",
  413: "too_large", 415: "unsupported_media_type", 422: "unprocessable", 429: "rate_limited", 500: "internal", 503: "unavailable",
};

/** An HTTP error with a status and a message; rendered as `{error, message}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function keyDigest(key: string): Uint8Array {
  return new Bun.CryptoHasher("sha256").update(key).digest() as Uint8Array;
}

/** Checks a presented key against the configured ones in constant time (per key). */
export function makeKeyChecker(keys: readonly string[]): (presented: string) => boolean {
  const digests = keys.map(keyDigest);
  return (presented) => {
    const given = keyDigest(presented);
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(d, given) || ok;
    return ok;
  };
}

const Payload = t.Any({ description: "Application data: any JSON value (msgpack bodies may carry bytes)" });
const From = t.Optional(t.String({ minLength: 1, maxLength: 200, description: "Sender shown to clients; default \"server\"" }));

function messageJson(m: StoredMessage) {
  return {
    id: m.id,
    offset: m.offset,
    time: m.time,
    from: m.from,
    payload: decodePayload(m.payload),
    state: m.state,
    ...(m.updatedAt !== undefined ? { updatedAt: m.updatedAt } : {}),
    ...(m.cmid !== undefined ? { cmid: m.cmid } : {}),
  };
}

/** Body limits for msgpack bodies: the WebSocket codecs' reader, sized to the body limit. */
function bodyReader(maxBody: number): MsgpackReader {
  return new MsgpackReader({ ...DEFAULT_LIMITS, maxStrLength: maxBody, maxBinLength: maxBody, maxArrayLength: 100_000, maxMapLength: 100_000 });
}

function parseMsgpackBody(bytes: Uint8Array, maxBody: number): unknown {
  if (bytes.byteLength > maxBody) throw new ApiError(413, `body is larger than ${maxBody} bytes`);
  const reader = bodyReader(maxBody);
  try {
    reader.reset(bytes);
    const value = reader.read();
    if (reader.hasMore) throw new ApiError(400, "body is not valid msgpack: bytes after the value");
    return value;
  } catch (err) {
    if (err instanceof ProtocolError) throw new ApiError(400, `body is not valid msgpack: ${err.message}`);
    throw err;
  }
}

/** Deepest JSON nesting a body may have (a payload may nest 24 levels; the body adds a few). */
const JSON_BODY_MAX_DEPTH = 32;

function parseJsonBody(text: string, maxBody: number): unknown {
  if (text.length > maxBody) throw new ApiError(413, `body is larger than ${maxBody} bytes`);
  // Refuse deep nesting before JSON.parse recurses into it (a deep body is the client's error).
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > JSON_BODY_MAX_DEPTH) throw new ApiError(400, `body nests deeper than ${JSON_BODY_MAX_DEPTH} levels`);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, `body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export interface ApiDeps {
  node: Node;
  revocations: Revocations;
  /** Extra figures for /api/stats. */
  stats?: () => Record<string, unknown>;
}

export function createApi({ node, revocations, stats }: ApiDeps) {
  const checkKey = makeKeyChecker(node.config.apiKeys);
  const maxBody = node.config.maxApiBodyBytes;
  const started = Date.now();
  const authorized = new WeakSet<Request>();
  /** Throws 401/403 unless the request carries a valid API key, 413 when its declared body is too large. */
  const guard = (request: Request): void => {
    if (authorized.has(request)) return;
    const auth = request.headers.get("authorization");
    const key = auth?.toLowerCase().startsWith("bearer ") ? auth.slice(7).trim() : request.headers.get("x-api-key");
    if (!key) throw new ApiError(401, "an API key is required (Authorization: Bearer <key> or X-Api-Key)");
    if (node.config.apiKeys.length === 0 || !checkKey(key)) throw new ApiError(403, "invalid API key");
    const length = Number(request.headers.get("content-length") ?? 0);
    if (length > maxBody) throw new ApiError(413, `body is ${length} bytes; the limit is ${maxBody}`);
    authorized.add(request);
  };
  return new Elysia({ prefix: "/api" })
    .error({ ApiError, RequestError })
    .onError(({ code, error: thrown, set }) => {
      // Elysia wraps what a parse hook throws (the key check, a bad msgpack body) in a ParseError.
      const cause = code === "PARSE" ? (thrown as { cause?: unknown }).cause : undefined;
      const error = cause instanceof ApiError ? cause : thrown;
      let status = 500;
      let message = "internal error";
      if (error instanceof ApiError) {
        status = error.status;
        message = error.message;
      } else if (error instanceof RequestError) {
        status = STATUS_BY_REPLY[error.code] ?? 400;
        message = error.message;
      } else if (code === "VALIDATION") {
        status = 400;
        const issue = (error as { valueError?: { path?: string; message?: string } }).valueError;
        const field = issue?.path ? issue.path.replace(/^\//, "").replace(/\//g, ".") : "body";
        message = `${field || "body"}: ${issue?.message ?? "invalid"}`;
      } else if (code === "PARSE") {
        status = 400;
        message = "body could not be parsed";
      } else if (code === "NOT_FOUND") {
        status = 404;
        message = "no such API route";
      } else {
        node.log.error("api request failed", { err: error });
      }
      set.status = status;
      set.headers["content-type"] = "application/json";
      return { error: ERROR_NAMES[status] ?? "error", message };
    })
    // The key check is part of the API's own routes (a local hook of this plugin), never a test
    // of the path string: whatever target the router hands to an API handler is guarded. It runs
    // before the body is parsed (onParse) and, for requests without a body, before the handler.
    .onParse(async ({ request, contentType }) => {
      guard(request);
      const type = contentType?.split(";")[0]?.trim().toLowerCase();
      if (type === "application/msgpack" || type === "application/x-msgpack") return parseMsgpackBody(new Uint8Array(await request.arrayBuffer()), maxBody);
      if (type === "application/json") return parseJsonBody(await request.text(), maxBody);
      return undefined;
    })
    .onBeforeHandle(({ request, body }) => {
      guard(request);
      // The payload rules of the WebSocket codecs (depth, forbidden keys), applied here too.
      if (body !== null && typeof body === "object" && "payload" in body) {
        try {
          checkPayload(body.payload);
        } catch (err) {
          if (err instanceof ProtocolError) throw new ApiError(400, `payload: ${err.message}`);
          throw err;
        }
      }
    })
    .post("/rooms/:room/publish", async ({ params, body }) => publishToRoom(node, body.from ?? "server", params.room, body.payload, body.cmid), {
      body: t.Object({ payload: Payload, from: From, cmid: t.Optional(t.String({ minLength: 1, maxLength: 64 })) }),
      detail: { summary: "Publish a message to a room (stored unless the namespace is ephemeral)", tags: ["messages"] },
    })
    .post(
      "/users/send",
      async ({ body }) => {
        const from = body.from ?? "server";
        const results = [];
        for (const user of body.users) results.push({ user, ...(await sendDirect(node, from, user, body.payload)) });
        return { results };
      },
      {
        body: t.Object({ users: t.Array(t.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 1000 }), payload: Payload, from: From }),
        detail: { summary: "Send a direct message to one or many users (kept in their inboxes while offline)", tags: ["messages"] },
      },
    )
    .post("/broadcast", ({ body }) => broadcastToAll(node, body.from ?? "server", body.payload), {
      body: t.Object({ payload: Payload, from: From }),
      detail: { summary: "Push a message to every connected session (not stored)", tags: ["messages"] },
    })
    .post(
      "/users/:user/disconnect",
      ({ params, body }) => {
        const count = node.kick(params.user, body?.session, body?.reconnect ?? false);
        if (count === 0) throw new ApiError(404, body?.session ? "no such session for this user" : "user has no session on this server");
        return { disconnected: count };
      },
      {
        body: t.Optional(t.Object({ session: t.Optional(t.String()), reconnect: t.Optional(t.Boolean({ description: "true: close with 4007 (reconnect allowed); false: 4503 (kicked)" })) })),
        detail: { summary: "Disconnect a user, or one of their sessions", tags: ["users"] },
      },
    )
    .delete(
      "/rooms/:room/members/:user",
      async ({ params }) => {
        checkRoomName(params.room);
        const removed = await node.removeFromRoom(params.room, params.user);
        if (removed === 0) throw new ApiError(404, "user is not in this room");
        return { removed };
      },
      { detail: { summary: "Remove a user from a room (all of their sessions)", tags: ["rooms"] } },
    )
    .get(
      "/rooms",
      async () => ({ rooms: (await node.presence.rooms()).map(([room, c]) => ({ room, users: c.users, sessions: c.sessions })).sort((a, b) => (a.room < b.room ? -1 : 1)) }),
      { detail: { summary: "Rooms with members, with member counts", tags: ["rooms"] } },
    )
    .get(
      "/rooms/:room/presence",
      async ({ params }) => {
        checkRoomName(params.room);
        const members = await node.presence.members(params.room);
        if (members.length === 0) throw new ApiError(404, "nobody is in this room");
        return { room: params.room, users: members.map(([user, sessions]) => ({ user, sessions })), sessions: members.reduce((s, [, n]) => s + n, 0) };
      },
      { detail: { summary: "Who is in a room", tags: ["rooms"] } },
    )
    .get(
      "/rooms/:room/history",
      async ({ params, query }) => {
        checkRoomName(params.room);
        const page = await node.store.read(roomStream(params.room), {
          limit: query.limit ?? 50,
          ...(query.before !== undefined ? { before: query.before } : {}),
          ...(query.after !== undefined ? { after: query.after } : {}),
        });
        if (page.head === 0) throw new ApiError(404, "this room has no history");
        return { room: params.room, epoch: page.epoch, head: page.head, oldest: page.oldest, messages: page.messages.map(messageJson) };
      },
      {
        query: t.Object({
          before: t.Optional(t.Numeric({ minimum: 0 })),
          after: t.Optional(t.Numeric({ minimum: 0 })),
          limit: t.Optional(t.Numeric({ minimum: 1, maximum: 1000 })),
        }),
        detail: { summary: "A room's stored messages, paged by offset", tags: ["rooms"] },
      },
    )
    .get(
      "/online",
      async ({ query }) => ({ users: await node.presence.users(query.limit ?? 1000), counts: await node.presence.counts() }),
      {
        query: t.Object({ limit: t.Optional(t.Numeric({ minimum: 1, maximum: 100_000 })) }),
        detail: { summary: "Online users and counts", tags: ["users"] },
      },
    )
    .get(
      "/users/:user/status",
      async ({ params }) => {
        const [status] = await node.presence.status([params.user]);
        return { user: params.user, online: status?.online ?? false, lastSeen: status?.lastSeen ?? null };
      },
      { detail: { summary: "A user's online state and last-seen time", tags: ["users"] } },
    )
    .post(
      "/tokens/revoke",
      async ({ body }) => {
        await revocations.revoke(body.jti, body.exp * 1000);
        const disconnected = node.closeRevoked(body.jti);
        return { revoked: body.jti, until: body.exp, disconnected };
      },
      {
        body: t.Object({
          jti: t.String({ minLength: 1, maxLength: 200 }),
          exp: t.Integer({ minimum: 0, description: "The token's exp (seconds); the deny-list entry is kept until then" }),
        }),
        detail: { summary: "Revoke a token by its jti: refuse it until it expires, disconnect its sessions", tags: ["users"] },
      },
    )
    .get(
      "/stats",
      async () => ({
        uptimeMs: Date.now() - started,
        ...node.snapshot(),
        counts: await node.presence.counts(),
        rooms: (await node.presence.rooms()).length,
        ...stats?.(),
      }),
      { detail: { summary: "Server statistics", tags: ["ops"] } },
    )
    .all("/*", () => {
      throw new ApiError(404, "no such API route");
    }, { detail: { hide: true } });
}
