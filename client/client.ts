/**
 * @module client/client
 * `HubbubClient`: one logical connection to a Hubbub server that survives disconnections.
 *
 * Invariants:
 * - At most one socket at a time. After a transient close the client reconnects by itself (jittered
 *   exponential backoff; at once, with jitter, after 4000 "server restarting"); after 4500–4999 or
 *   `close()` it stops for good (`closed`).
 * - Every room joined is re-joined after a reconnection with the last position seen, and what was
 *   missed is emitted as `message` events (flagged `recovered`) before any live message of the room.
 * - A `message` event is emitted at most once per stored message (room: by offset; inbox: by
 *   offset and id), so recovery and inbox re-delivery never show duplicates.
 * - Requests made while disconnected wait in a queue and are sent, in order, once the session is
 *   back; PUBLISH and DIRECT always carry a client message id (`cmid`), so resending one whose
 *   reply was lost never stores it twice.
 */
import {
  createJsonCodec,
  createMsgpackCodec,
  FrameType,
  type ClientFrame,
  type HelloFrame,
  type MessageFrame,
  type Payload,
  type ServerFrame,
  type StreamPosition,
  type WireCodec,
} from "../proto/index.ts";
import { reconnectDelay } from "./backoff.ts";
import { Connection, LocalClose } from "./connection.ts";
import { Emitter, type Unsubscribe } from "./emitter.ts";
import { HubbubError } from "./errors.ts";
import { resolveOptions, type ClientOptions, type ResolvedOptions } from "./options.ts";
import { Pacer } from "./pacer.ts";
import { RequestQueue, type DropPolicy } from "./requests.ts";
import { InboxState } from "./inbox.ts";
import { parseCounts, parseHistory, parsePresence, parseSend, parseStatus, parseUnread } from "./results.ts";
import { RoomSync } from "./rooms.ts";
import { resolveToken, tokenExpiry } from "./token.ts";
import {
  presenceAction,
  toChatMessage,
  updateAction,
  type ClientEvents,
  type ConnectionState,
  type Counts,
  type HistoryPage,
  type RoomJoined,
  type RoomPresence,
  type SendResult,
  type SessionInfo,
  type UserStatus,
} from "./types.ts";

/** Options of a single send. */
export interface SendOptions {
  /** Client message id (1–64 chars, unique per sender); generated when absent. Reuse it to resend safely. */
  cmid?: string;
  /** Overrides `requestTimeoutMs` for this request. */
  timeoutMs?: number;
}

/** A HISTORY query (PROTOCOL.md §8.6). */
export interface HistoryQuery {
  /** Only messages with offset < before (page backwards from here). */
  before?: number;
  /** Only messages with offset > after (page forwards from here). */
  after?: number;
  /** At most this many (1–1000, default 50). */
  limit?: number;
}

/** A Hubbub connection with reconnect, recovery, an offline queue and typed events. See the module doc. */
export class HubbubClient {
  readonly #options: ResolvedOptions;
  readonly #codec: WireCodec;
  readonly #events: Emitter<ClientEvents>;
  readonly #requests: RequestQueue;
  readonly #pacer = new Pacer();
  readonly #rooms: RoomSync;
  readonly #inbox = new InboxState();
  readonly #typingSent = new Map<string, number>();
  readonly #cmidPrefix = randomId(10);
  #cmidCounter = 0;
  #state: ConnectionState = "idle";
  #conn: Connection | undefined;
  /** Increments with every connection that reached HELLO. */
  #connectionNo = 0;
  #session: SessionInfo | undefined;
  #failures = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #ackTimer: ReturnType<typeof setTimeout> | undefined;
  #ready: Array<{ resolve(info: SessionInfo): void; reject(error: HubbubError): void }> = [];
  #closeInfo: { code: number; reason: string } | undefined;
  readonly #onOnline = () => this.reconnectNow();

  constructor(options: ClientOptions) {
    this.#options = resolveOptions(options);
    const codecOptions = { accept: "server" as const, onInvalidFrame: () => {} };
    this.#codec = this.#options.codec === "json" ? createJsonCodec(codecOptions) : createMsgpackCodec(codecOptions);
    this.#events = new Emitter<ClientEvents>((error, event) => {
      if (event !== "error") this.#events.emit("error", new HubbubError("protocol", `a "${String(event)}" listener threw: ${String(error)}`));
    });
    this.#requests = new RequestQueue(
      {
        send: (frame) => this.#sendNow(frame),
        wait: () => this.#pacer.take(),
        timedOut: (frame) => {
          // A re-join that gets no answer leaves the room silently broken: start over with a new session.
          if (frame.type === FrameType.Join) this.#conn?.abort(LocalClose.Dead, "join timed out");
        },
      },
      this.#options.maxQueue,
    );
    this.#rooms = new RoomSync({
      requests: this.#requests,
      events: this.#events,
      timeoutMs: this.#options.requestTimeoutMs,
      connected: () => this.#state === "connected",
      connectionNo: () => this.#connectionNo,
      deliver: (frame, recovered) => this.#onMessage(frame, recovered),
    });
  }

  /** The connection state. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** The current session (from HELLO) while connected. */
  get session(): SessionInfo | undefined {
    return this.#session;
  }

  /** Requests waiting to be sent or answered. */
  get pending(): number {
    return this.#requests.size;
  }

  /** Rooms joined (or being joined). */
  get rooms(): string[] {
    return [...this.#rooms.rooms.keys()];
  }

  /** The last position seen in `room` (offset of the newest message delivered, and the epoch). */
  position(room: string): StreamPosition | undefined {
    const position = this.#rooms.rooms.get(room)?.position;
    return position && { ...position };
  }

  /** Listens to an event; returns a function that stops listening. */
  on<K extends keyof ClientEvents>(event: K, listener: (value: ClientEvents[K]) => void): Unsubscribe {
    return this.#events.on(event, listener);
  }

  /** Listens to the next occurrence of an event. */
  once<K extends keyof ClientEvents>(event: K, listener: (value: ClientEvents[K]) => void): Unsubscribe {
    return this.#events.once(event, listener);
  }

  off<K extends keyof ClientEvents>(event: K, listener: (value: ClientEvents[K]) => void): void {
    this.#events.off(event, listener);
  }

  /**
   * Starts connecting (if not already) and resolves at the next HELLO. Keeps retrying through
   * transient failures; rejects only if the client stops for good first (`close()`, 4500–4999).
   */
  connect(): Promise<SessionInfo> {
    if (this.#state === "closed") return Promise.reject(this.#closedError());
    if (this.#state === "connected" && this.#session) return Promise.resolve(this.#session);
    const ready = new Promise<SessionInfo>((resolve, reject) => this.#ready.push({ resolve, reject }));
    if (this.#state === "idle") {
      this.#setState("connecting");
      (globalThis as { addEventListener?: (type: string, fn: () => void) => void }).addEventListener?.("online", this.#onOnline);
      void this.#attempt();
    }
    return ready;
  }

  /** Skips the backoff wait and tries to connect at once (e.g. when the network comes back). */
  reconnectNow(): void {
    if (this.#retryTimer === undefined || this.#state === "closed") return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    void this.#attempt();
  }

  /** Closes the connection for good: pending requests fail with `closed`; no reconnection. */
  close(): void {
    this.#terminate(LocalClose.Normal, "closed by the client");
  }

  /** Joins `room` (and keeps it joined across reconnections). Resolves with the join result. */
  join(room: string): Promise<RoomJoined> {
    if (this.#state === "closed") return Promise.reject(this.#closedError());
    return this.#rooms.join(room);
  }

  /** Leaves `room`: no more events from it, and it is not re-joined after a reconnection. */
  leave(room: string): Promise<void> {
    return this.#rooms.leave(room);
  }

  /** Publishes `payload` to `room` (membership not required). Safe to call while disconnected. */
  publish(room: string, payload: Payload, options: SendOptions = {}): Promise<SendResult> {
    const cmid = options.cmid ?? this.newCmid();
    this.#typingSent.delete(room); // receivers clear the indicator on a message: typing again signals again
    return this.#request((rid) => ({ type: FrameType.Publish, rid, room, payload, cmid }), "retry", (r) => parseSend(r, cmid), options.timeoutMs);
  }

  /** Sends `payload` to `user` (who may be offline). Safe to call while disconnected. */
  direct(user: string, payload: Payload, options: SendOptions = {}): Promise<SendResult> {
    const cmid = options.cmid ?? this.newCmid();
    this.#typingSent.delete(`@${user}`);
    return this.#request((rid) => ({ type: FrameType.Direct, rid, user, payload, cmid }), "retry", (r) => parseSend(r, cmid), options.timeoutMs);
  }

  /** Pushes `payload` to every connected session (admins only; not stored, not retried). */
  broadcast(payload: Payload): Promise<SendResult> {
    return this.#request((rid) => ({ type: FrameType.Broadcast, rid, payload }), "reject", (r) => parseSend(r, ""));
  }

  /** Reads stored messages of a room or of the direct conversation `@user`, oldest first. */
  history(channel: string, query: HistoryQuery = {}): Promise<HistoryPage> {
    return this.#request((rid) => ({ type: FrameType.History, rid, channel, ...query }), "retry", parseHistory);
  }

  /** Who is in `room`, with session counts. */
  presence(room: string): Promise<RoomPresence> {
    return this.#request((rid) => ({ type: FrameType.Presence, rid, room }), "retry", parsePresence);
  }

  /** Users and sessions in `room`, or on the whole server without a room. */
  counts(room?: string): Promise<Counts> {
    return this.#request((rid) => (room === undefined ? { type: FrameType.Counts, rid } : { type: FrameType.Counts, rid, room }), "retry", parseCounts);
  }

  /** Online state and last-seen time of up to 1000 users, in the order asked. */
  status(users: string[]): Promise<UserStatus[]> {
    return this.#request((rid) => ({ type: FrameType.Status, rid, users }), "retry", parseStatus);
  }

  /**
   * Recalls message `id` (its sender, within the edit window). If the reply was lost to a
   * disconnection, the resend's "already recalled" (410) counts as success.
   */
  recall(id: string): Promise<void> {
    return this.#requests.add({
      frame: (rid) => ({ type: FrameType.Recall, rid, id }),
      onDrop: "retry",
      timeoutMs: this.#options.requestTimeoutMs,
      parse: () => undefined,
      recover: (error, attempts) => (attempts > 1 && error.code === 410 ? { value: undefined } : undefined),
    });
  }

  /** Replaces the payload of message `id` (its sender, within the edit window). */
  edit(id: string, payload: Payload): Promise<void> {
    return this.#request((rid) => ({ type: FrameType.Edit, rid, id, payload }), "retry", () => undefined);
  }

  /**
   * Tells `channel` (a joined room, or `@user`) that this user is typing. Call it on every
   * keystroke: it sends at most one TYPING per channel per `typingIntervalMs`, and nothing while
   * disconnected. Returns true when a frame was sent.
   */
  typing(channel: string): boolean {
    const now = Date.now();
    if (this.#state !== "connected" || now - (this.#typingSent.get(channel) ?? 0) < this.#options.typingIntervalMs) return false;
    if (this.#pacer.take(now) > 0) return false;
    this.#typingSent.set(channel, now);
    return this.#conn?.send({ type: FrameType.Typing, channel }) ?? false;
  }

  /** Moves this user's read position in `channel` to `offset`; resolves with the position after the call. */
  read(channel: string, offset: number): Promise<number> {
    return this.#request((rid) => ({ type: FrameType.Read, rid, channel, offset }), "retry", (r) => Number((r as { offset?: unknown })?.offset ?? offset));
  }

  /** Unread counts by channel (rooms with a read position or joined, and `@peer` conversations). */
  unread(): Promise<Record<string, number>> {
    return this.#request((rid) => ({ type: FrameType.Unread, rid }), "retry", parseUnread);
  }

  /**
   * Gets a fresh token from the provider and sends it (REFRESH). Called automatically when the
   * server announces expiry; resolves with the new expiry (ms, undefined if none).
   */
  async refreshToken(): Promise<number | undefined> {
    if (typeof this.#options.token === "string") throw new HubbubError("token", "the token is about to expire and no token provider was given");
    const token = await resolveToken(this.#options.token).catch((err: unknown) => {
      throw new HubbubError("token", `the token provider failed: ${String(err)}`);
    });
    const exp = await this.#request((rid) => ({ type: FrameType.Refresh, rid, token }), "reject", (r) => {
      const value = (r as { exp?: unknown } | null)?.exp;
      return typeof value === "number" ? value : undefined;
    });
    if (this.#session) {
      const { tokenExp: _old, ...rest } = this.#session;
      this.#session = exp === undefined ? rest : { ...rest, tokenExp: exp };
    }
    return exp;
  }

  /** Acknowledges the inbox up to `offset` (default: everything delivered). Needed only with `autoAck: false`. */
  ack(offset?: number): void {
    const target = offset ?? this.#inbox.delivered;
    if (target <= this.#inbox.acked || this.#state !== "connected") return;
    if (this.#conn?.send({ type: FrameType.Ack, offset: target })) this.#inbox.acked = target;
  }

  /** A new client message id: random per client, then a counter. Unique per sender in practice. */
  newCmid(): string {
    return `${this.#cmidPrefix}-${(++this.#cmidCounter).toString(36)}`;
  }

  // ---- connection lifecycle ----

  async #attempt(): Promise<void> {
    this.#retryTimer = undefined;
    let token: string;
    try {
      token = await resolveToken(this.#options.token);
    } catch (err) {
      this.#events.emit("error", new HubbubError("token", `the token provider failed: ${String(err)}`));
      return this.#onClosed(LocalClose.Abnormal, "no token");
    }
    if (this.#state === "closed") return;
    const exp = tokenExpiry(token);
    if (exp !== undefined && exp <= Date.now()) {
      if (typeof this.#options.token === "string") return this.#terminate(4006, "the token has expired and no token provider was given");
      this.#events.emit("error", new HubbubError("token", "the token provider returned an expired token"));
      return this.#onClosed(LocalClose.Abnormal, "expired token");
    }
    const conn: Connection = new Connection(
      this.#options.WebSocket,
      this.#options.url,
      token,
      this.#codec,
      {
        frame: (frame) => this.#onFrame(frame),
        closed: (code, reason) => {
          if (this.#conn === conn) this.#onClosed(code, reason);
        },
      },
      this.#options.connectTimeoutMs,
    );
    this.#conn = conn;
  }

  #onHello(hello: HelloFrame): void {
    const reconnected = this.#connectionNo > 0;
    this.#connectionNo++;
    this.#failures = 0;
    const info: SessionInfo = { session: hello.session, user: hello.user, serverTime: hello.time, heartbeatMs: hello.heartbeatMs, limits: hello.limits, reconnected };
    if (hello.tokenExp !== undefined) info.tokenExp = hello.tokenExp;
    this.#session = info;
    this.#pacer.reset(hello.limits.rateBurst ?? 100, hello.limits.ratePerSecond ?? 50);
    this.#conn?.startHeartbeat(hello.heartbeatMs);
    this.#setState("connected");
    // Re-join first (urgent requests go ahead of the queue), then resend what waited.
    this.#rooms.rejoinAll();
    this.#requests.online();
    if (this.#options.autoAck) this.ack(); // what was delivered before the drop and not yet acknowledged
    this.#events.emit("connected", info);
    for (const waiter of this.#ready.splice(0)) waiter.resolve(info);
  }

  #onClosed(code: number, reason: string): void {
    this.#conn = undefined;
    this.#session = undefined;
    this.#rooms.dropped();
    this.#requests.offline();
    if (this.#state === "closed") return;
    const delay = reconnectDelay(code, this.#failures, this.#options.reconnect);
    if (delay === undefined) return this.#terminate(code, reason);
    this.#failures++;
    if (this.#state === "connected") this.#setState("reconnecting");
    this.#events.emit("disconnected", { code, reason, willReconnect: true, delayMs: delay });
    this.#retryTimer = setTimeout(() => void this.#attempt(), delay);
  }

  #terminate(code: number, reason: string): void {
    if (this.#state === "closed") return;
    this.#closeInfo = { code, reason };
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#ackTimer) clearTimeout(this.#ackTimer);
    this.#retryTimer = undefined;
    (globalThis as { removeEventListener?: (type: string, fn: () => void) => void }).removeEventListener?.("online", this.#onOnline);
    const conn = this.#conn;
    this.#conn = undefined;
    this.#session = undefined;
    this.#setState("closed");
    conn?.abort(code, reason);
    const error = this.#closedError();
    this.#requests.failAll(error);
    this.#rooms.failAll(error);
    for (const waiter of this.#ready.splice(0)) waiter.reject(error);
    this.#events.emit("disconnected", { code, reason, willReconnect: false });
  }

  #setState(state: ConnectionState): void {
    const previous = this.#state;
    if (previous === state) return;
    this.#state = state;
    this.#events.emit("state", { state, previous });
  }

  #closedError(): HubbubError {
    const info = this.#closeInfo;
    return new HubbubError("closed", info ? `the client is closed (${info.code} ${info.reason})` : "the client is closed", info?.code);
  }

  // ---- requests ----

  #request<T>(frame: (rid: number) => ClientFrame, onDrop: DropPolicy, parse: (result: unknown) => T, timeoutMs?: number): Promise<T> {
    if (this.#state === "closed") return Promise.reject(this.#closedError());
    return this.#requests.add({ frame, onDrop, parse, timeoutMs: timeoutMs ?? this.#options.requestTimeoutMs });
  }

  /** Sends a request frame now, refusing one the server would reject for its size (close 1009). */
  #sendNow(frame: ClientFrame): HubbubError | boolean {
    const conn = this.#conn;
    if (!conn || this.#state !== "connected") return false;
    const data = conn.encode(frame);
    const max = this.#session?.limits.maxFrameBytes;
    if (max !== undefined && byteLength(data) > max) return new HubbubError("too_large", `the frame is ${byteLength(data)} bytes; the server accepts ${max}`, 413);
    return conn.sendEncoded(data);
  }

  // ---- incoming frames ----

  #onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case FrameType.Hello:
        return this.#onHello(frame);
      case FrameType.Reply:
        this.#requests.reply(frame.rid, frame.result);
        return;
      case FrameType.Error:
        if (frame.rid === 0 || !this.#requests.error(frame.rid, frame.code, frame.message, this.#retryAfterMs())) {
          this.#events.emit("error", new HubbubError("reply", frame.message, frame.code));
        }
        return;
      case FrameType.TokenExpiring:
        this.refreshToken().catch((error: unknown) =>
          this.#events.emit("error", error instanceof HubbubError ? error : new HubbubError("token", String(error))),
        );
        return;
      case FrameType.Message:
        return this.#onMessage(frame, false);
      case FrameType.Update: {
        const action = updateAction(frame.action);
        if (action) this.#events.emit("update", { channel: frame.channel, id: frame.id, action, payload: frame.payload ?? null, time: frame.time, by: frame.by });
        return;
      }
      case FrameType.PresenceEvent:
        return this.#onPresence(frame.room, frame.action, frame.user, frame.users, frame.sessions);
      case FrameType.TypingEvent:
        if (frame.user !== this.#session?.user) this.#events.emit("typing", { channel: frame.channel, user: frame.user });
        return;
      case FrameType.ReadEvent: {
        const receipt = { channel: frame.channel, user: frame.user, offset: frame.offset, ...(frame.id !== undefined ? { id: frame.id } : {}) };
        this.#events.emit("read", receipt);
        return;
      }
      default:
        return; // PONG, and push types newer than this client
    }
  }

  #onMessage(frame: MessageFrame, recovered: boolean): void {
    const channel = frame.channel;
    if (channel.startsWith("@")) {
      if (!this.#inbox.accept(frame.offset, frame.id)) return;
      this.#events.emit("message", toChatMessage(frame, recovered));
      if (this.#options.autoAck && frame.offset > 0) this.#scheduleAck();
      return;
    }
    if (channel !== "*" && !this.#rooms.accept(channel, frame.offset)) return;
    this.#events.emit("message", toChatMessage(frame, recovered));
  }

  #onPresence(room: string, code: number, user: string, users: number, sessions: number): void {
    const action = presenceAction(code);
    if (!action) return;
    // Our own leave in a room we are in: the server removed this session from it.
    if (action === "leave" && user === this.#session?.user) this.#rooms.removed(room);
    this.#events.emit("presence", { room, action, user, users, sessions });
  }

  #scheduleAck(): void {
    if (this.#ackTimer) return;
    this.#ackTimer = setTimeout(() => {
      this.#ackTimer = undefined;
      this.ack();
    }, this.#options.ackDelayMs);
  }

  #retryAfterMs(): number {
    const rate = this.#session?.limits.ratePerSecond ?? 10;
    return Math.max(50, Math.ceil(10_000 / rate));
  }
}

function byteLength(data: Uint8Array | string): number {
  if (typeof data !== "string") return data.byteLength;
  return data.length * 3 < 1024 ? data.length * 3 : new TextEncoder().encode(data).byteLength;
}

function randomId(length: number): string {
  const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
  const bytes = new Uint8Array(length);
  const crypto = (globalThis as { crypto?: { getRandomValues(array: Uint8Array): Uint8Array } }).crypto;
  if (crypto) crypto.getRandomValues(bytes);
  else for (let i = 0; i < length; i++) bytes[i] = Math.floor(Math.random() * 256);
  let out = "";
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}
