/**
 * @module client/options
 * The client's options, one by one, and their defaults.
 */
import { DEFAULT_RECONNECT, type ReconnectOptions } from "./backoff.ts";
import type { WebSocketConstructor } from "./connection.ts";
import type { TokenSource } from "./token.ts";

/** Options of {@link HubbubClient}. Only `url` and `token` are required. */
export interface ClientOptions {
  /**
   * The server's WebSocket endpoint, e.g. `wss://chat.example.com/ws`. An `http(s)://` URL is turned
   * into `ws(s)://`, and a URL without a path gets `/ws`.
   */
  url: string;
  /**
   * A token (JWT), or a function returning one (sync or async). A function is called before every
   * connection attempt and when the server asks for a refresh (TOKEN_EXPIRING), so it should return
   * a fresh, unexpired token for the same user. A fixed token that has expired stops the client
   * (state `closed`) instead of retrying forever.
   */
  token: TokenSource;
  /**
   * The WebSocket constructor. Default `globalThis.WebSocket` (browsers, Bun, Node 22+). On Node
   * 18–21 pass one, e.g. `import WebSocket from "ws"`.
   */
  WebSocket?: WebSocketConstructor;
  /** Wire format: `msgpack` (binary, default) or `json` (text, easier to read in devtools). */
  codec?: "msgpack" | "json";
  /** How long a request waits for its answer once sent, ms. Default 10 000. Queued time does not count. */
  requestTimeoutMs?: number;
  /** How long a connection attempt may take until the first frame (HELLO), ms. Default 10 000. */
  connectTimeoutMs?: number;
  /** Reconnect timing (see {@link ReconnectOptions}). */
  reconnect?: Partial<ReconnectOptions>;
  /**
   * Acknowledge direct messages automatically once the `message` listeners ran, batched every
   * `ackDelayMs`. Default true. With false, call `ack()` when they are durably handled.
   */
  autoAck?: boolean;
  /** Delay that batches inbox acknowledgements, ms. Default 500. */
  ackDelayMs?: number;
  /** Most requests waiting for a connection or an answer; more are refused (`queue_full`). Default 10 000. */
  maxQueue?: number;
  /** `typing()` sends at most one TYPING per channel per this interval, ms. Default 3000. */
  typingIntervalMs?: number;
}

/** Options with every default filled in. */
export interface ResolvedOptions {
  url: string;
  token: TokenSource;
  WebSocket: WebSocketConstructor;
  codec: "msgpack" | "json";
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  reconnect: ReconnectOptions;
  autoAck: boolean;
  ackDelayMs: number;
  maxQueue: number;
  typingIntervalMs: number;
}

/** Fills in defaults and normalises the URL. Throws when no WebSocket implementation is available. */
export function resolveOptions(options: ClientOptions): ResolvedOptions {
  const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!Ctor) throw new Error("no global WebSocket: pass the WebSocket option (e.g. from the `ws` package on Node 18-21)");
  return {
    url: normaliseUrl(options.url),
    token: options.token,
    WebSocket: Ctor,
    codec: options.codec ?? "msgpack",
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    reconnect: { ...DEFAULT_RECONNECT, ...options.reconnect },
    autoAck: options.autoAck ?? true,
    ackDelayMs: options.ackDelayMs ?? 500,
    maxQueue: options.maxQueue ?? 10_000,
    typingIntervalMs: options.typingIntervalMs ?? 3000,
  };
}

/** `http://h` → `ws://h/ws`, `https://h/x` → `wss://h/x`; `ws(s)://` kept. */
export function normaliseUrl(text: string): string {
  const url = new URL(text);
  if (url.protocol === "http:") url.protocol = "ws:";
  else if (url.protocol === "https:") url.protocol = "wss:";
  if (url.pathname === "" || url.pathname === "/") url.pathname = "/ws";
  return url.toString();
}
