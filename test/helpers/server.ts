/**
 * Starts a real Hubbub server in-process on a free port for a test, with a fixed HS256 secret,
 * an in-memory SQLite store (unless a data path is given) and silent logs.
 */
import { loadConfig, type Config } from "../../src/config.ts";
import { startServer, type HubbubServer, type ServerOptions } from "../../src/server/index.ts";
import type { MintRequest } from "../../src/auth/tokens.ts";
import { TestClient, type ConnectOptions } from "./client.ts";

export const TEST_SECRET = "test-secret-0123456789abcdef";

export interface TestServer extends HubbubServer {
  token(sub: string, extra?: Partial<MintRequest>): Promise<string>;
  /** Connects a client as `sub` (a fresh token each time). */
  client(sub: string, options?: ConnectOptions & { mint?: Partial<MintRequest> }): Promise<TestClient>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function startTestServer(overrides: Partial<Config> = {}, options: ServerOptions = {}): Promise<TestServer> {
  const config = { ...loadConfig({ flags: { port: "0", host: "127.0.0.1", "jwt-secret": TEST_SECRET, data: ":memory:", "log-level": "silent" } }), ...overrides };
  const server = await startServer(config, options);
  const clients: TestClient[] = [];
  const token = (sub: string, extra: Partial<MintRequest> = {}) => server.node.tokens.mint({ sub, ttlSeconds: 3600, ...extra });
  return Object.assign(server, {
    token,
    async client(sub: string, opts: ConnectOptions & { mint?: Partial<MintRequest> } = {}) {
      const c = await TestClient.connect(server.wsUrl, await token(sub, opts.mint), opts);
      clients.push(c);
      return c;
    },
    async [Symbol.asyncDispose]() {
      for (const c of clients) c.close();
      await server.stop(0);
    },
  });
}

/**
 * Resolves once `user`'s inbox acknowledgement (the store's `ack` cursor) has reached `offset`: an
 * ACK is written after the tick it arrived in, so a test that reconnects next waits for this.
 */
export async function inboxAcked(server: Pick<HubbubServer, "node">, user: string, offset: number, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while ((await server.node.store.getCursor(user, "ack")) < offset) {
    if (performance.now() > deadline) throw new Error(`${user}'s inbox was not acknowledged up to ${offset} within ${timeoutMs} ms`);
    await Bun.sleep(5);
  }
}
