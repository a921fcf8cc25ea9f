/**
 * @module node/node
 * The node: owns sessions and the user → sessions index, decodes every incoming WebSocket message
 * in exactly one place ({@link Node.onMessage}), applies rate limits, dispatches requests to the
 * handlers, and runs the clock (heartbeats, token expiry, slow consumers).
 *
 * Engines (store, presence, bus) are injected through their ports; the node never talks to sockets
 * of other nodes, only to the bus.
 */
import type { ServerWebSocket } from "bun";
import {
  createJsonCodec,
  createMsgpackCodec,
  DisconnectCode,
  FrameType,
  PresenceAction,
  ProtocolError,
  ProtocolErrorCode,
  ReplyCode,
  type ClientFrame,
  type Frame,
  type WireCodec,
} from "../../proto/index.ts";
import type { Policy } from "../auth/policy.ts";
import type { Claims, TokenService } from "../auth/tokens.ts";
import type { Config } from "../config.ts";
import type { Bus } from "../engines/bus.ts";
import type { PresenceManager } from "../engines/presence.ts";
import { newSessionId } from "../ids.ts";
import type { Logger } from "../log.ts";
import type { MessageStore, NewMessage } from "../store/port.ts";
import { GroupCommitter, type CommitterStats } from "./committer.ts";
import { NodeObservers, SYSTEM_CLOCK, type Clock, type NodeContext } from "./context.ts";
import { Fanout } from "./fanout.ts";
import { EVERYONE_KEY, INBOX_STREAM_PREFIX, roomKey, roomStream, userKey } from "./keys.ts";
import { HANDLERS, type Handler } from "./handlers.ts";
import { INBOUND_BYTES_PER_TOKEN, REQUEST_QUEUE_MAX, upfrontCost } from "./costs.ts";
import { RateBuckets } from "./rate.ts";
import { RequestError } from "./request-error.ts";
import { onMessageCommitted } from "./delivery.ts";
import { deliverInbox } from "./inbox.ts";
import { FRAMES_PER_MESSAGE, Session, SessionWork } from "./session.ts";
import { NodeStats } from "./stats.ts";

export interface NodeDeps {
  config: Config;
  log: Logger;
  tokens: TokenService;
  policy: Policy;
  store: MessageStore;
  presence: PresenceManager;
  bus: Bus;
  /** Unique id of this node (for the bus). */
  nodeId?: string;
  /** Token revocation check (the server API's deny-list); absent = nothing revoked. */
  isRevoked?: (claims: Claims) => boolean;
  /** The time source (default: the system clock). */
  clock?: Clock;
}

/**
 * Requests that read or write the store (or another engine) before they answer: a session may have
 * at most `maxPendingRequests` of them running. PUBLISH and DIRECT are not among them: they join the
 * group commit, which the rate limit already bounds.
 */
const STORE_REQUESTS: ReadonlySet<number> = new Set([
  FrameType.Join, FrameType.Leave, FrameType.History, FrameType.Presence, FrameType.Counts, FrameType.Status,
  FrameType.Recall, FrameType.Edit, FrameType.Read, FrameType.Unread, FrameType.Refresh,
]);

/** The request id of a client frame, if it has one (ACK's is optional). */
function ridOf(frame: ClientFrame): number | undefined {
  return "rid" in frame ? frame.rid : undefined;
}

/** How often sessions' send buffers are checked for slow consumers, ms. */
const SLOW_CONSUMER_CHECK_MS = 200;

/** A snapshot of a node's figures for operators. */
export interface NodeSnapshot {
  /** Open sessions on this node. */
  connections: number;
  /** Users with at least one session on this node. */
  usersOnline: number;
  /** Messages accepted by kind since start. */
  messages: Record<string, number>;
  /** Group-commit figures since start. */
  store: CommitterStats;
}

/** Why a connection is refused before it becomes a session. */
export interface AdmitRefusal {
  code: number;
  reason: string;
}

export class Node implements NodeContext {
  readonly id: string;
  readonly clock: Clock;
  readonly config: Config;
  readonly log: Logger;
  readonly tokens: TokenService;
  readonly policy: Policy;
  readonly store: MessageStore;
  readonly presence: PresenceManager;
  readonly fanout: Fanout;
  readonly committer: GroupCommitter;
  readonly stats = new NodeStats();
  readonly sessions = new Map<string, Session>();
  readonly userSessions = new Map<string, Set<Session>>();
  /** Rate-limit buckets per user, kept after a user's last session until refilled. */
  private readonly rateBuckets: RateBuckets;
  /** Codecs that decode only frames a client may send. */
  readonly codecs: { msgpack: WireCodec; json: WireCodec };
  private readonly serverFrameCodec = createMsgpackCodec({ accept: "server" });
  /** Sessions with deferred replies waiting for the next flush. */
  private outboxSessions: Session[] = [];
  private outboxScheduled = false;
  /** The session whose message is being decoded (codecs report invalid frames through a shared callback). */
  private decoding: Session | undefined;
  private sweeper: ReturnType<typeof setInterval> | undefined;
  private retentionTimer: ReturnType<typeof setInterval> | undefined;
  private slowCheck: ReturnType<typeof setInterval> | undefined;
  /** True once shutdown began: no new sessions. */
  draining = false;
  /** Observers of what the node does (metrics, webhooks): `events.add(observer)`. */
  readonly events: NodeObservers;
  /** Token revocation check (the server API's deny-list); undefined = nothing revoked. */
  readonly isRevoked: ((claims: Claims) => boolean) | undefined;

  constructor(deps: NodeDeps) {
    this.id = deps.nodeId ?? newSessionId();
    this.config = deps.config;
    this.log = deps.log;
    this.tokens = deps.tokens;
    this.policy = deps.policy;
    this.store = deps.store;
    this.presence = deps.presence;
    this.isRevoked = deps.isRevoked;
    this.clock = deps.clock ?? SYSTEM_CLOCK;
    this.events = new NodeObservers(this.log);
    this.rateBuckets = new RateBuckets(this.config.ratePerSecond, this.config.rateBurst);
    const limits = { maxStrLength: this.config.maxFrameBytes, maxBinLength: this.config.maxFrameBytes };
    // A bad frame inside a batch gets its own ERROR; the other frames of the message still run.
    const onInvalidFrame = (err: ProtocolError) => {
      if (this.decoding) this.onBadFrame(this.decoding, err);
    };
    this.codecs = {
      msgpack: createMsgpackCodec({ accept: "client", limits, onInvalidFrame }),
      json: createJsonCodec({ accept: "client", limits, onInvalidFrame }),
    };
    this.fanout = new Fanout(
      this.id,
      deps.bus,
      createMsgpackCodec(),
      createJsonCodec(),
      (bytes) => this.serverFrameCodec.decode(bytes)[0]!,
      (user) => this.sessionsOf(user),
      (session, data) => this.enqueue(session, data),
    );
    this.committer = new GroupCommitter(this.store, this.config.commitIntervalMs, this.config.idempotencyWindowMs, (message: NewMessage, offsets: number[]) =>
      onMessageCommitted(this, message, offsets),
    );
  }

  /** Starts the clocks. */
  start(): void {
    const tick = Math.max(50, Math.min(1000, Math.floor(this.config.heartbeatMs / 4)));
    let last = performance.now();
    this.sweeper = setInterval(() => {
      // A sweep that runs well after its time means this process was stalled (a busy machine, a
      // paused VM): what the clients sent meanwhile is still unread, so nobody is timed out on
      // this pass. The next, punctual one decides.
      const at = performance.now();
      const stalled = at - last > 2 * tick + 100;
      last = at;
      this.sweep(this.clock.now(), stalled);
    }, tick);
    this.slowCheck = setInterval(() => this.closeSlowConsumers(), SLOW_CONSUMER_CHECK_MS);
    this.retentionTimer = setInterval(() => void this.applyRetention(), 60_000);
  }

  /** The codec for a negotiated subprotocol (`msgpack` when none was offered). */
  codecFor(json: boolean): WireCodec {
    return json ? this.codecs.json : this.codecs.msgpack;
  }

  /**
   * Creates the session object for a verified token; the socket is attached in {@link onOpen}.
   * Returns undefined when the user's rate-limit bucket is empty: the connect is refused (429).
   * A connect takes one token from the user's bucket.
   */
  createSession(claims: Claims, json: boolean): Session | undefined {
    const now = this.clock.now();
    const bucket = this.rateBuckets.of(claims.sub, now);
    if (!bucket.take(now, this.config.ratePerSecond, this.config.rateBurst)) return undefined;
    return new Session(newSessionId(), claims, this.codecFor(json), now, bucket);
  }

  /** A connection limit that refuses this user now, if any. */
  admitRefusal(user: string): AdmitRefusal | undefined {
    if (this.draining) return { code: DisconnectCode.ServerShutdown, reason: "server is shutting down" };
    if (this.sessions.size >= this.config.maxConnections) return { code: DisconnectCode.ConnectionLimit, reason: "server is at its connection limit" };
    if ((this.userSessions.get(user)?.size ?? 0) >= this.config.maxSessionsPerUser) {
      return { code: DisconnectCode.SessionLimit, reason: `at most ${this.config.maxSessionsPerUser} sessions per user` };
    }
    return undefined;
  }

  onOpen(ws: ServerWebSocket<Session>): void {
    const session = ws.data;
    session.ws = ws;
    const refusal = this.admitRefusal(session.user);
    if (refusal) {
      session.closed = true;
      ws.send(session.codec.encode({ type: FrameType.Disconnect, code: refusal.code, reason: refusal.reason }));
      ws.close(refusal.code, refusal.reason);
      this.stats.disconnect(refusal.code);
      return;
    }
    this.sessions.set(session.id, session);
    let set = this.userSessions.get(session.user);
    if (!set) this.userSessions.set(session.user, (set = new Set()));
    set.add(session);
    if (!session.codec.binary) this.fanout.jsonSessions++;
    this.stats.connects++;
    this.log.debug("session open", { session: session.id, user: session.user, remote: ws.remoteAddress, codec: session.codec.subprotocol });
    ws.subscribe(session.topic(EVERYONE_KEY));
    session.send({
      type: FrameType.Hello,
      session: session.id,
      user: session.user,
      time: this.clock.now(),
      heartbeatMs: this.config.heartbeatMs,
      tokenExp: session.tokenExpMs,
      limits: {
        maxFrameBytes: this.config.maxFrameBytes,
        maxPayloadBytes: this.config.maxPayloadBytes,
        maxRooms: this.config.maxRoomsPerSession,
        ratePerSecond: this.config.ratePerSecond,
        rateBurst: this.config.rateBurst,
      },
    });
    this.fanout.beginCatchUp(session, userKey(session.user));
    void this.presence.connect(session.user, session.id).then(
      (change) => change.changed && this.events.userOnline(session.user),
      (err) => this.log.error("presence connect failed", { err }),
    );
    void deliverInbox(this, session).catch((err) => {
      this.log.error("inbox delivery failed", { session: session.id, err });
      this.disconnect(session, DisconnectCode.InternalError, "inbox delivery failed");
    });
  }

  /** Decodes and dispatches one WebSocket message: the only place incoming bytes are decoded. */
  onMessage(ws: ServerWebSocket<Session>, data: string | Buffer): void {
    const session = ws.data;
    if (session.closed) return;
    const now = this.clock.now();
    session.lastSeen = now;
    const size = typeof data === "string" ? data.length : data.byteLength;
    this.stats.bytesIn += size;
    // Large messages cost more: storing and fanning out bytes is the work they cause.
    this.charge(session, Math.floor(size / INBOUND_BYTES_PER_TOKEN));
    let frames: Frame[];
    this.decoding = session;
    try {
      frames = session.codec.decode(data);
    } catch (err) {
      this.onBadFrame(session, err);
      return;
    } finally {
      this.decoding = undefined;
    }
    for (const frame of frames) {
      if (session.closed) return;
      this.stats.frameIn(frame.type);
      if (!this.admit(session, now, upfrontCost(frame as ClientFrame, session.rooms.size))) {
        if (session.closed) return;
        const rid = ridOf(frame as ClientFrame);
        if (rid !== undefined) this.replyError(session, rid, ReplyCode.RateLimited, "rate limited: slow down");
        continue;
      }
      if (frame.type === FrameType.Pong) continue;
      this.dispatch(session, frame as ClientFrame);
    }
  }

  /**
   * The rate limit: every frame a session sends takes one token — PING, PONG, ACK and frames that
   * turn out to be invalid included — and expensive requests take their known cost on arrival
   * (`cost`, see costs.ts) and charge the rest when they finish ({@link charge}). Returns false when
   * the bucket is empty; after `rateMaxStrikes` refusals in a row the session is closed with 4003.
   */
  private admit(session: Session, now: number, cost = 1): boolean {
    if (session.takeToken(now, this.config.ratePerSecond, this.config.rateBurst)) {
      if (cost > 1) this.charge(session, cost - 1);
      return true;
    }
    if (session.strikes >= this.config.rateMaxStrikes) this.disconnect(session, DisconnectCode.RateLimited, "rate limit exceeded for too long");
    return false;
  }

  /**
   * Before a read whose size became known only while handling the request (a recovering JOIN):
   * refuses it (429) when the user's bucket is already spent, else charges `cost` for it.
   */
  chargeBeforeRead(session: Session, cost: number): void {
    if (cost <= 0) return;
    session.bucket.refill(this.clock.now(), this.config.ratePerSecond, this.config.rateBurst);
    if (session.bucket.tokens < 1) throw new RequestError(ReplyCode.RateLimited, "rate limited: slow down");
    this.charge(session, cost);
  }

  /** Charges a session `cost` more tokens for work a request made the node do (see {@link admit}). */
  charge(session: Session, cost: number): void {
    session.charge(cost, this.config.rateBurst);
  }

  private onBadFrame(session: Session, err: unknown): void {
    // An invalid frame costs a token like any other, and is answered only while the session has
    // tokens: a flood of garbage gets silence, then 4003.
    if (!this.admit(session, this.clock.now()) || session.closed) return;
    if (!(err instanceof ProtocolError)) {
      this.log.error("decode failed unexpectedly", { session: session.id, err });
      this.disconnect(session, DisconnectCode.BadFrame, "undecodable message");
      return;
    }
    if (err.code === ProtocolErrorCode.UnknownType && err.frameType !== undefined) {
      this.replyError(session, err.rid ?? 0, ReplyCode.NotImplemented, err.message);
    } else if (err.code === ProtocolErrorCode.Malformed) {
      // Not msgpack/JSON at all: the stream is corrupt, or the client speaks another protocol.
      this.disconnect(session, DisconnectCode.BadFrame, `bad frame: ${err.message}`);
    } else {
      // Decodable but not a valid frame (shape, limits, forbidden keys): answer and keep the socket.
      this.replyError(session, err.rid ?? 0, ReplyCode.BadRequest, err.message);
    }
  }

  private dispatch(session: Session, frame: ClientFrame): void {
    const handler = HANDLERS[frame.type];
    if (!handler) {
      const rid = ridOf(frame);
      if (rid !== undefined) this.replyError(session, rid, ReplyCode.NotImplemented, `frame type ${frame.type} is not handled`);
      return;
    }
    if (STORE_REQUESTS.has(frame.type)) {
      this.runBounded(session, frame, handler);
      return;
    }
    let result: unknown;
    try {
      result = handler(this, session, frame as never);
    } catch (err) {
      this.onHandlerError(session, frame, err);
      return;
    }
    if (result instanceof Promise) this.settle(session, frame, result);
    else if (result !== undefined) {
      const rid = ridOf(frame);
      if (rid !== undefined) this.reply(session, rid, result);
    }
  }

  /**
   * Runs a store request when the session has fewer than `maxPendingRequests` running, else queues
   * it (in order) behind them; with {@link REQUEST_QUEUE_MAX} already waiting it is refused (429).
   */
  private runBounded(session: Session, frame: ClientFrame, handler: Handler): void {
    const work = (session.work ??= new SessionWork());
    if (work.pendingRequests >= this.config.maxPendingRequests) {
      const queue = (work.requestQueue ??= []);
      if (queue.length >= REQUEST_QUEUE_MAX) {
        const rid = ridOf(frame);
        if (rid !== undefined) this.replyError(session, rid, ReplyCode.RateLimited, `too many requests in flight (${this.config.maxPendingRequests} running, ${REQUEST_QUEUE_MAX} waiting)`);
        return;
      }
      queue.push(() => this.runBounded(session, frame, handler));
      return;
    }
    work.pendingRequests++;
    let result: unknown;
    try {
      result = handler(this, session, frame as never);
    } catch (err) {
      result = Promise.reject(err);
    }
    const done = Promise.resolve(result);
    this.settle(session, frame, done);
    void done.catch(() => undefined).finally(() => {
      work.pendingRequests--;
      const next = work.requestQueue?.shift();
      if (next && !session.closed) next();
    });
  }

  /** Replies (after the tick's other frames) once a handler's promise settles. */
  private settle(session: Session, frame: ClientFrame, result: Promise<unknown>): void {
    result.then(
      (value) => {
        const rid = ridOf(frame);
        if (value !== undefined && rid !== undefined) this.deferReply(session, rid, value);
      },
      (err) => this.onHandlerError(session, frame, err),
    );
  }

  private onHandlerError(session: Session, frame: ClientFrame, err: unknown): void {
    const rid = ridOf(frame) ?? 0;
    if (err instanceof RequestError) {
      this.replyError(session, rid, err.code, err.message);
      return;
    }
    const code = (err as { code?: unknown })?.code;
    if (code === "unavailable") {
      this.replyError(session, rid, ReplyCode.Unavailable, "message store unavailable, retry later");
      this.log.warn("store unavailable", { session: session.id, err });
      return;
    }
    this.log.error("request failed", { session: session.id, frameType: frame.type, err });
    this.replyError(session, rid, ReplyCode.Internal, "internal error");
  }

  /**
   * Frames produced outside a socket callback (group-commit replies, direct-message pushes) are
   * collected per session and written after the current tick as one WebSocket message: one write
   * per session instead of one per frame (uWS only batches writes inside its own callbacks). Order
   * among queued frames is kept; replies are correlated by rid, so their order relative to topic
   * pushes is not part of the contract.
   */
  enqueue(session: Session, data: Uint8Array | string): void {
    if (session.closed) return;
    (session.outbox ??= []).push(data);
    if (session.outbox.length === 1) this.outboxSessions.push(session);
    if (!this.outboxScheduled) {
      this.outboxScheduled = true;
      setImmediate(this.flushOutboxes);
    }
  }

  private deferReply(session: Session, rid: number, result: unknown): void {
    this.enqueue(session, session.codec.encode({ type: FrameType.Reply, rid, result }));
  }

  private readonly flushOutboxes = (): void => {
    this.outboxScheduled = false;
    const sessions = this.outboxSessions;
    this.outboxSessions = [];
    for (const session of sessions) {
      const chunks = session.outbox;
      session.outbox = undefined;
      if (!chunks || session.closed) continue;
      // At most FRAMES_PER_MESSAGE frames per WebSocket message (peers refuse more than 128).
      for (let i = 0; i < chunks.length; i += FRAMES_PER_MESSAGE) {
        const message = joinMessages(chunks.slice(i, i + FRAMES_PER_MESSAGE), session.codec.binary);
        if (session.ws.send(message) === 0) {
          this.onSendFailed(session);
          break;
        }
      }
    }
  };

  reply(session: Session, rid: number, result: unknown): void {
    if (!session.send({ type: FrameType.Reply, rid, result })) this.onSendFailed(session);
  }

  replyError(session: Session, rid: number, code: number, message: string): void {
    this.stats.replyError(code);
    if (!session.send({ type: FrameType.Error, rid, code, message })) this.onSendFailed(session);
  }

  /** A send was dropped by Bun: the client does not keep up. */
  onSendFailed(session: Session): void {
    if (!session.closed) this.disconnect(session, DisconnectCode.SlowConsumer, "slow consumer");
  }

  /** Sends a DISCONNECT advisory and closes the socket with `code`. */
  disconnect(session: Session, code: number, reason: string): void {
    if (session.closed) return;
    this.stats.disconnect(code);
    try {
      session.ws.send(session.codec.encode({ type: FrameType.Disconnect, code, reason }));
      session.ws.close(code, reason.slice(0, 120));
    } catch {
      session.ws.terminate();
    }
    this.onClose(session.ws);
  }

  /** Cleans up a session: rooms, presence, indexes. Idempotent. */
  onClose(ws: ServerWebSocket<Session>): void {
    const session = ws.data;
    if (!this.sessions.has(session.id)) {
      session.closed = true;
      return;
    }
    session.closed = true;
    this.sessions.delete(session.id);
    const set = this.userSessions.get(session.user);
    set?.delete(session);
    if (set?.size === 0) this.userSessions.delete(session.user);
    if (!session.codec.binary) this.fanout.jsonSessions--;
    this.fanout.dropSession(session);
    this.stats.disconnects++;
    this.log.debug("session closed", { session: session.id, user: session.user, rooms: session.rooms.size });
    const now = this.clock.now();
    for (const room of session.rooms) void this.leaveRoom(session, room);
    session.rooms.clear();
    void this.presence.disconnect(session.user, session.id, now).then(
      (change) => change.changed && this.events.userOffline(session.user, now),
      (err) => this.log.error("presence disconnect failed", { err }),
    );
  }

  /** Removes a session from a room's presence and tells the room if the user left. */
  async leaveRoom(session: Session, room: string): Promise<void> {
    if (!session.closed) session.ws.unsubscribe(session.topic(roomKey(room)));
    const change = await this.presence.leave(room, session.user, session.id);
    if (change.changed) {
      this.fanout.publish(roomKey(room), {
        type: FrameType.PresenceEvent,
        room,
        action: PresenceAction.Leave,
        user: session.user,
        users: change.users,
        sessions: change.sessions,
      });
    }
  }

  onPong(ws: ServerWebSocket<Session>): void {
    ws.data.lastSeen = this.clock.now();
  }

  /**
   * The periodic clock: heartbeats, WebSocket pings, token expiry. With `stalled` (this pass runs
   * late because the process was stalled) no session is closed for silence.
   */
  sweep(now: number, stalled = false): void {
    this.rateBuckets.sweep(now, (user) => this.userSessions.has(user));
    const deadAfter = this.config.heartbeatMs * 1.5;
    const pingAfter = this.config.heartbeatMs / 2;
    for (const session of this.sessions.values()) {
      if (session.closed) continue;
      const idle = now - session.lastSeen;
      if (idle > deadAfter && !stalled) {
        this.disconnect(session, DisconnectCode.HeartbeatTimeout, "no heartbeat");
        continue;
      }
      if (idle > pingAfter) session.ws.ping();
      const exp = session.tokenExpMs;
      if (exp !== undefined) {
        if (now >= exp) {
          this.disconnect(session, DisconnectCode.TokenExpired, "token expired");
          continue;
        }
        if (!session.refreshAsked && now >= exp - this.config.tokenRefreshLeadMs) {
          session.refreshAsked = true;
          session.send({ type: FrameType.TokenExpiring, exp });
        }
      }
    }
  }

  /**
   * Closes (4001) every session with more than `slowConsumerBytes` waiting to be written. Runs every
   * {@link SLOW_CONSUMER_CHECK_MS}: Bun's topic publishes do not say which sockets are behind.
   */
  closeSlowConsumers(): void {
    const limit = this.config.slowConsumerBytes;
    for (const session of this.sessions.values()) {
      if (!session.closed && session.ws.getBufferedAmount() > limit) this.disconnect(session, DisconnectCode.SlowConsumer, "slow consumer");
    }
  }

  // ---- The operator API: what the server API, the admin page, metrics and webhooks may do to
  // sessions. None of them touches a session or a socket itself.

  /**
   * Closes a user's sessions on this node (or just `sessionId`): 4007 (may reconnect) with
   * `reconnect`, else 4503 (kicked). Returns how many were closed.
   */
  kick(user: string, sessionId: string | undefined, reconnect: boolean): number {
    let count = 0;
    for (const session of [...this.sessionsOf(user)]) {
      if (sessionId !== undefined && session.id !== sessionId) continue;
      this.disconnect(session, reconnect ? DisconnectCode.Reconnect : DisconnectCode.Kicked, reconnect ? "disconnected by the server" : "kicked");
      count++;
    }
    return count;
  }

  /**
   * Removes every session of `user` on this node from `room`, the way LEAVE does (unsubscribe,
   * presence, the room's leave event once the user has no session left in it); each removed
   * session also gets a PRESENCE_EVENT leave about its own user, which is how a client learns it
   * was removed. Returns the sessions removed.
   */
  async removeFromRoom(room: string, user: string): Promise<number> {
    const sessions = [...this.sessionsOf(user)].filter((s) => s.rooms.has(room));
    for (const session of sessions) {
      session.rooms.delete(room);
      session.work?.joining.delete(room);
      await this.leaveRoom(session, room);
    }
    if (sessions.length === 0) return 0;
    const counts = await this.presence.counts(room);
    const event = { type: FrameType.PresenceEvent, room, action: PresenceAction.Leave, user, users: counts.users, sessions: counts.sessions } as const;
    for (const session of sessions) if (!session.send(event)) this.onSendFailed(session);
    return sessions.length;
  }

  /** Closes (4501) the sessions on this node whose token has this `jti`. Returns how many. */
  closeRevoked(jti: string): number {
    let count = 0;
    for (const session of [...this.sessions.values()]) {
      if (session.claims.jti !== jti) continue;
      this.disconnect(session, DisconnectCode.Unauthorized, "token revoked");
      count++;
    }
    return count;
  }

  /** Figures for operators (`/api/stats`, the admin page): this node's sessions and work so far. */
  snapshot(): NodeSnapshot {
    return {
      connections: this.sessions.size,
      usersOnline: this.userSessions.size,
      messages: { ...this.stats.messages },
      store: { ...this.committer.stats },
    };
  }

  /** Sessions of a user on this node. */
  sessionsOf(user: string): ReadonlySet<Session> {
    return this.userSessions.get(user) ?? new Set();
  }

  /** Applies retention rules to the store. */
  async applyRetention(): Promise<number> {
    const now = this.clock.now();
    const rules = this.config.namespaces
      .filter((ns) => !ns.ephemeral)
      .map((ns) => ({ prefix: roomStream(ns.prefix), maxMessages: ns.maxMessages, maxAgeMs: ns.maxAgeMs }));
    rules.push({ prefix: INBOX_STREAM_PREFIX, maxMessages: this.config.inboxMaxMessages, maxAgeMs: this.config.inboxMaxAgeMs });
    try {
      return await this.store.applyRetention(rules, now, now - this.config.idempotencyWindowMs);
    } catch (err) {
      this.log.warn("retention failed", { err });
      return 0;
    }
  }

  /**
   * Graceful stop: refuses new sessions, tells connected ones to reconnect (close 4000) spread
   * evenly over `drainMs` so they do not all come back at the same instant, then flushes every
   * pending write. Messages acknowledged before or during the drain are durable when it resolves.
   */
  async shutdown(drainMs = 0, reason = "server shutting down"): Promise<void> {
    this.draining = true;
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    if (this.slowCheck) clearInterval(this.slowCheck);
    const sessions = [...this.sessions.values()];
    const steps = drainMs > 0 ? Math.max(1, Math.min(sessions.length, Math.floor(drainMs / 20))) : 1;
    const perStep = Math.ceil(sessions.length / steps);
    for (let i = 0; i < sessions.length; i += perStep) {
      if (i > 0) await Bun.sleep(drainMs / steps);
      await this.committer.drain();
      for (const session of sessions.slice(i, i + perStep)) this.disconnect(session, DisconnectCode.ServerShutdown, reason);
    }
    await this.committer.drain();
  }
}

/** Several encoded frames as one WebSocket message: msgpack frames concatenated, JSON frames in an array. */
function joinMessages(chunks: Array<Uint8Array | string>, binary: boolean): Uint8Array | string {
  if (chunks.length === 1) return chunks[0]!;
  if (!binary) return `[${chunks.join(",")}]`;
  let size = 0;
  for (const c of chunks) size += (c as Uint8Array).byteLength;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c as Uint8Array, at);
    at += (c as Uint8Array).byteLength;
  }
  return out;
}
