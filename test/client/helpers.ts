/**
 * Helpers for SDK tests: clients for a test server with fast reconnect timings, event recorders,
 * and polling waits.
 */
import { HubbubClient, type ClientEvents, type ClientOptions } from "../../client/index.ts";
import { createMsgpackCodec } from "../../proto/index.ts";
import type { TestServer } from "../helpers/server.ts";

/** Decodes what a {@link FlakySocket} sends and receives (frames of either direction). */
const frameCodec = createMsgpackCodec();

/** Reconnect timings short enough for tests. */
export const FAST = { minDelayMs: 20, maxDelayMs: 200, factor: 2, restartJitterMs: 50 };

/** A client for `user` on `server` whose token provider mints a fresh token on every call. */
export function clientFor(server: Pick<TestServer, "wsUrl" | "token">, user: string, options: Partial<ClientOptions> = {}): HubbubClient {
  return new HubbubClient({ url: server.wsUrl, token: () => server.token(user), reconnect: FAST, ackDelayMs: 20, ...options });
}

/** Records every value of an event. */
export function record<K extends keyof ClientEvents>(client: HubbubClient, event: K): ClientEvents[K][] {
  const seen: ClientEvents[K][] = [];
  client.on(event, (value) => seen.push(value));
  return seen;
}

/** Polls `check` until it returns true (or a truthy value, which is returned). */
export async function until<T>(check: () => T, what = "condition", timeoutMs = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

/** Resolves with the next value of `event` that matches. */
export function next<K extends keyof ClientEvents>(client: HubbubClient, event: K, match: (value: ClientEvents[K]) => boolean = () => true, timeoutMs = 5000): Promise<ClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no "${String(event)}" event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = client.on(event, (value) => {
      if (!match(value)) return;
      clearTimeout(timer);
      off();
      resolve(value);
    });
  });
}

/** Text payloads of recorded messages in `channel`. */
export function texts(messages: ClientEvents["message"][], channel: string): unknown[] {
  return messages.filter((m) => m.channel === channel).map((m) => (m.payload as { text?: unknown } | null)?.text ?? m.payload);
}

/** Cuts `user`'s connections from the server side without a close frame (a network failure, seen as 1006). */
export function cut(server: Pick<TestServer, "node">, user: string): number {
  const sessions = [...server.node.sessionsOf(user)];
  for (const session of sessions) session.ws.terminate();
  return sessions.length;
}

/** A gate a token provider can wait on, to hold a client offline while the test acts. */
export function gate(): { wait(): Promise<void>; close(): void; open(): void } {
  let resolve: (() => void) | undefined;
  let promise: Promise<void> = Promise.resolve();
  return {
    wait: () => promise,
    close() {
      promise = new Promise((r) => (resolve = r));
    },
    open() {
      resolve?.();
      promise = Promise.resolve();
    },
  };
}

/**
 * A WebSocket that a test can make deaf (incoming messages are dropped, as if replies were lost
 * on the way) and then close. It records the type of every frame it sends and receives
 * (`sentTypes`, `receivedTypes`), so a test can wait until a request is on the wire or an answer
 * came back instead of guessing how long that takes. `FlakySocket.last` is the newest one.
 */
export class FlakySocket extends WebSocket {
  static last: FlakySocket | undefined;
  deaf = false;
  /** The type of every frame sent so far, in order (msgpack sessions only). */
  readonly sentTypes: number[] = [];
  /** The type of every frame that arrived so far, deaf or not, in order (msgpack sessions only). */
  readonly receivedTypes: number[] = [];
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
    FlakySocket.last = this;
    super.addEventListener("message", (event) => {
      if (event.data instanceof ArrayBuffer) for (const frame of frameCodec.decode(new Uint8Array(event.data))) this.receivedTypes.push(frame.type);
    });
  }
  override send(data: Parameters<WebSocket["send"]>[0]): void {
    super.send(data);
    if (data instanceof Uint8Array) for (const frame of frameCodec.decode(data)) this.sentTypes.push(frame.type);
  }
  override addEventListener(type: string, listener: unknown, options?: unknown): void {
    const fn = listener as (event: unknown) => void;
    const wrapped = type === "message" ? (event: unknown) => void (this.deaf || fn(event)) : fn;
    super.addEventListener(type, wrapped as never, options as never);
  }
}

/**
 * A client whose token provider waits while `offline` is closed: after `cut()` it cannot come back
 * until `offline.open()`, so a test can act while it is away.
 */
export function gatedClient(server: Pick<TestServer, "wsUrl" | "token">, user: string): { client: HubbubClient; offline: ReturnType<typeof gate> } {
  const offline = gate();
  const client = clientFor(server, user, {
    token: async () => {
      await offline.wait();
      return server.token(user);
    },
  });
  return { client, offline };
}
