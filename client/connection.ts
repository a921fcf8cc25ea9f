/**
 * @module client/connection
 * One WebSocket connection: opens it with the token in a `hubbub.token.<jwt>` subprotocol entry
 * (works in browsers, Bun and Node alike), decodes every incoming message in one place, answers
 * PING, keeps the heartbeat, and reports exactly one close. Reconnecting is the client's job.
 */
import { clientSubprotocols, FrameType, ProtocolError, type ClientFrame, type ServerFrame, type WireCodec } from "../proto/index.ts";

/** The WebSocket surface the SDK uses. The WHATWG WebSocket (browsers, Bun, Node 22+) and the `ws` package fit. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: string | Uint8Array<ArrayBuffer>): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: never) => void): void;
}

/** A WebSocket constructor: `globalThis.WebSocket`, or `ws`'s on Node 18–21. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** Close codes the client itself reports (the server never sends them). */
export const LocalClose = {
  /** No close frame: network failure, refused handshake, connect timeout. Reconnect with backoff. */
  Abnormal: 1006,
  /** The server sent bytes this client cannot decode. Reconnect with backoff. */
  Protocol: 1002,
  /** Nothing arrived for two heartbeat intervals, or a request the session depends on timed out. */
  Dead: 4002,
  /** `close()` was called. */
  Normal: 1000,
} as const;

/** What a connection reports. `closed` is called exactly once, and nothing is called after it. */
export interface ConnectionHandlers {
  frame(frame: ServerFrame): void;
  closed(code: number, reason: string): void;
}

/** A socket speaking the Hubbub protocol with one codec. */
export class Connection {
  #ws: WebSocketLike;
  #done = false;
  #lastSent = Date.now();
  #lastReceived = Date.now();
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Opens `url` offering the codec's subprotocol and the token. The first frame must arrive within
   * `connectTimeoutMs`, or the connection closes as {@link LocalClose.Abnormal}.
   */
  constructor(
    Ctor: WebSocketConstructor,
    url: string,
    token: string,
    readonly codec: WireCodec,
    private readonly handlers: ConnectionHandlers,
    connectTimeoutMs: number,
  ) {
    this.#ws = new Ctor(url, clientSubprotocols(codec.subprotocol, token));
    this.#ws.binaryType = "arraybuffer";
    this.#ws.addEventListener("message", ((event: { data: unknown }) => this.#onData(event.data)) as (event: never) => void);
    this.#ws.addEventListener("close", ((event: { code?: number; reason?: string }) =>
      this.#finish(event.code || LocalClose.Abnormal, event.reason ?? "")) as (event: never) => void);
    this.#connectTimer = setTimeout(() => this.abort(LocalClose.Abnormal, "connect timeout"), connectTimeoutMs);
  }

  /** Encodes a frame as one WebSocket message (to measure it before sending). */
  encode(frame: ClientFrame): Uint8Array<ArrayBuffer> | string {
    return this.codec.encode(frame);
  }

  /** Sends an encoded message. Returns false when the connection is already closed. */
  sendEncoded(data: Uint8Array<ArrayBuffer> | string): boolean {
    if (this.#done) return false;
    try {
      this.#ws.send(data);
    } catch {
      return false;
    }
    this.#lastSent = Date.now();
    return true;
  }

  /** Encodes and sends one frame. */
  send(frame: ClientFrame): boolean {
    return this.sendEncoded(this.encode(frame));
  }

  /**
   * Starts the heartbeat once HELLO told the interval: a PING whenever nothing was sent for half of
   * `intervalMs` (so the server hears from us well within its 1.5 × limit), and the connection is
   * declared dead when nothing at all arrived for 2 × `intervalMs` (PROTOCOL.md §6.2).
   */
  startHeartbeat(intervalMs: number): void {
    if (this.#done) return;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    const half = Math.max(10, Math.floor(intervalMs / 2));
    const tick = Math.max(10, Math.floor(intervalMs / 4));
    let last = performance.now();
    this.#heartbeat = setInterval(() => {
      const now = Date.now();
      // A tick that comes well after its time means this page or process was stalled (a busy
      // machine, a background tab): what the server sent meanwhile is still unread, so the
      // connection is not declared dead on this tick.
      const at = performance.now();
      const stalled = at - last > 2 * tick + 100;
      last = at;
      if (now - this.#lastReceived > intervalMs * 2 && !stalled) return this.abort(LocalClose.Dead, "no answer from the server");
      if (now - this.#lastSent >= half) this.send({ type: FrameType.Ping });
    }, tick);
  }

  /** Closes the socket now and reports `code` (the socket's own close event is then ignored). */
  abort(code: number, reason: string): void {
    if (this.#done) return;
    try {
      this.#ws.close(1000, reason.slice(0, 100));
    } catch {
      // already closing, or a socket that refuses close codes: nothing more to do
    }
    this.#finish(code, reason);
  }

  #onData(data: unknown): void {
    if (this.#done) return;
    this.#lastReceived = Date.now();
    if (this.#connectTimer) {
      clearTimeout(this.#connectTimer);
      this.#connectTimer = undefined;
    }
    let frames: ServerFrame[];
    try {
      frames = this.codec.decode(data as ArrayBuffer | Uint8Array | string) as ServerFrame[];
    } catch (err) {
      const message = err instanceof ProtocolError ? err.message : String(err);
      return this.abort(LocalClose.Protocol, `undecodable message from the server: ${message}`);
    }
    for (const frame of frames) {
      if (this.#done) return;
      if (frame.type === FrameType.Ping) this.send({ type: FrameType.Pong });
      else if (frame.type === FrameType.Disconnect) return this.abort(frame.code, frame.reason);
      else this.handlers.frame(frame);
    }
  }

  #finish(code: number, reason: string): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    this.handlers.closed(code, reason);
  }
}
