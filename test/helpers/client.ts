/**
 * A small real WebSocket client for tests: speaks proto/ over Bun's WebSocket, correlates replies
 * by rid, and lets a test wait for pushes matching a predicate.
 */
import {
  createJsonCodec,
  createMsgpackCodec,
  FrameType,
  SUBPROTOCOL_JSON,
  SUBPROTOCOL_MSGPACK,
  type Frame,
  type HelloFrame,
  type WireCodec,
} from "../../proto/index.ts";

export class ReplyError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

type Waiter = { match: (f: Frame) => boolean; resolve: (f: Frame) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> };

export interface ConnectOptions {
  json?: boolean;
  /** Where to put the token. */
  via?: "query" | "header" | "protocol";
  /** Extra subprotocols to offer instead of the default. */
  protocols?: string[];
  headers?: Record<string, string>;
  /** Do not wait for HELLO. */
  noHello?: boolean;
}

export class TestClient {
  readonly codec: WireCodec;
  /** Every frame received, in order. */
  readonly received: Frame[] = [];
  hello!: HelloFrame;
  closeCode: number | undefined;
  closeReason = "";
  readonly closed: Promise<{ code: number; reason: string }>;
  private rid = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private waiters: Waiter[] = [];
  private cursor = 0;

  private constructor(readonly ws: WebSocket, json: boolean) {
    this.codec = json ? createJsonCodec({ accept: "server" }) : createMsgpackCodec({ accept: "server" });
    ws.binaryType = "arraybuffer";
    this.closed = new Promise((resolve) => {
      ws.addEventListener("close", (event) => {
        this.closeCode = event.code;
        this.closeReason = event.reason;
        for (const p of this.pending.values()) p.reject(new Error(`closed ${event.code}`));
        this.pending.clear();
        for (const w of this.waiters) {
          clearTimeout(w.timer);
          w.reject(new Error(`closed ${event.code} ${event.reason}`));
        }
        this.waiters = [];
        resolve({ code: event.code, reason: event.reason });
      });
    });
    ws.addEventListener("message", (event) => {
      const data = typeof event.data === "string" ? event.data : new Uint8Array(event.data as ArrayBuffer);
      for (const frame of this.codec.decode(data)) this.onFrame(frame);
    });
  }

  static async connect(baseUrl: string, token: string | undefined, options: ConnectOptions = {}): Promise<TestClient> {
    const via = options.via ?? "query";
    const url = new URL(baseUrl);
    if (token && via === "query") url.searchParams.set("token", token);
    const codecProtocol = options.json ? SUBPROTOCOL_JSON : SUBPROTOCOL_MSGPACK;
    const protocols = options.protocols ?? (via === "protocol" && token ? [codecProtocol, `hubbub.token.${token}`] : [codecProtocol]);
    const headers: Record<string, string> = { ...options.headers };
    if (token && via === "header") headers.authorization = `Bearer ${token}`;
    // Bun's WebSocket accepts headers and protocols in an options object.
    const ws = new WebSocket(url.toString(), { protocols, headers } as unknown as string[]);
    const client = new TestClient(ws, options.json ?? false);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener("open", () => resolve(), { once: true });
      ws.addEventListener("error", () => reject(new Error("websocket error")), { once: true });
      ws.addEventListener("close", (e) => reject(new Error(`closed before open: ${e.code}`)), { once: true });
    });
    if (!options.noHello) client.hello = (await client.next((f) => f.type === FrameType.Hello)) as HelloFrame;
    return client;
  }

  private onFrame(frame: Frame): void {
    this.received.push(frame);
    if (frame.type === FrameType.Reply || frame.type === FrameType.Error) {
      const p = this.pending.get(frame.rid);
      if (p) {
        this.pending.delete(frame.rid);
        if (frame.type === FrameType.Reply) p.resolve(frame.result);
        else p.reject(new ReplyError(frame.code, frame.message));
        return;
      }
    }
    const index = this.waiters.findIndex((w) => w.match(frame));
    if (index >= 0) {
      const [w] = this.waiters.splice(index, 1);
      clearTimeout(w!.timer);
      w!.resolve(frame);
    }
  }

  /** Sends a raw frame. */
  send(frame: Frame): void {
    this.ws.send(this.codec.encode(frame));
  }

  /** Sends a request (rid filled in) and resolves with REPLY's result or rejects with ReplyError. */
  request<T = any>(frame: Record<string, unknown> & { type: number }, timeoutMs = 5000): Promise<T> {
    const rid = ++this.rid;
    const promise = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        reject(new Error(`no reply to frame type ${frame.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(rid, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
    this.send({ ...frame, rid } as unknown as Frame);
    return promise;
  }

  /**
   * Resolves with the next received frame (at or after the read cursor) matching `match`;
   * the cursor moves past it so repeated calls see successive frames.
   */
  next(match: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    for (let i = this.cursor; i < this.received.length; i++) {
      const frame = this.received[i]!;
      if (match(frame) && frame.type !== FrameType.Reply && frame.type !== FrameType.Error) {
        this.received.splice(i, 1);
        return Promise.resolve(frame);
      }
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new Error(`no matching frame within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push({
        match,
        resolve: (f) => {
          const i = this.received.lastIndexOf(f);
          if (i >= 0) this.received.splice(i, 1);
          resolve(f);
        },
        reject,
        timer,
      });
    });
  }

  /** All received frames of a type (not consumed by next()). */
  all<T extends Frame = Frame>(type: number): T[] {
    return this.received.filter((f) => f.type === type) as T[];
  }

  /** Waits until `count` frames matching `match` were received in total; returns them. */
  async collect(match: (f: Frame) => boolean, count: number, timeoutMs = 5000): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const got = this.received.filter(match);
      if (got.length >= count) return got;
      if (this.closeCode !== undefined) break;
      await Bun.sleep(5);
    }
    throw new Error(`expected ${count} frames, got ${this.received.filter(match).length}`);
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }
}
