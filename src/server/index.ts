/**
 * @module server
 * Starts a Hubbub node: engines, the Elysia app, and Bun.serve with Hubbub's own WebSocket
 * handlers. The `/ws` route upgrades through Elysia; the socket events go straight to the node
 * (Elysia's generic ws wrapper allocates a context object per message and parses payloads, which
 * the hot path does not need).
 */
import type { Server } from "bun";
import { defaultPolicy, type Policy } from "../auth/policy.ts";
import { createTokenService, type TokenService } from "../auth/tokens.ts";
import type { Config } from "../config.ts";
import type { Bus } from "../engines/bus.ts";
import { MemoryBusHub } from "../engines/bus-memory.ts";
import type { PresenceManager } from "../engines/presence.ts";
import { MemoryPresence } from "../engines/presence-memory.ts";
import { createLogger, type Logger } from "../log.ts";
import { Node } from "../node/node.ts";
import type { Session } from "../node/session.ts";
import type { MessageStore } from "../store/port.ts";
import { openSqliteStore } from "../store/sqlite.ts";
import { createApp } from "./app.ts";

/** Engines and hooks a caller may supply; defaults are the embedded ones. */
export interface ServerOptions {
  log?: Logger;
  store?: MessageStore;
  presence?: PresenceManager;
  bus?: Bus;
  policy?: Policy;
  tokens?: TokenService;
}

export interface HubbubServer {
  readonly node: Node;
  readonly server: Server<Session>;
  readonly app: ReturnType<typeof createApp>;
  readonly port: number;
  /** `http://host:port` */
  readonly url: string;
  /** `ws://host:port/ws` */
  readonly wsUrl: string;
  /** Graceful stop: clients are told to reconnect, pending writes are flushed, engines closed. */
  stop(): Promise<void>;
}

export async function startServer(config: Config, options: ServerOptions = {}): Promise<HubbubServer> {
  const log = options.log ?? createLogger(config.logLevel);
  const tokens = options.tokens ?? (await createTokenService(config));
  const ownsStore = !options.store;
  const store = options.store ?? openSqliteStore(config.dataPath);
  const presence = options.presence ?? new MemoryPresence();
  const bus = options.bus ?? new MemoryBusHub().connect();
  const node = new Node({ config, log, tokens, policy: options.policy ?? defaultPolicy(config.editWindowMs), store, presence, bus });
  const app = createApp(node);
  app.listen({
    hostname: config.host,
    port: config.port,
    reusePort: false,
    development: false,
    websocket: {
      maxPayloadLength: config.maxFrameBytes,
      idleTimeout: Math.min(960, Math.max(8, Math.ceil((config.heartbeatMs * 3) / 1000))),
      backpressureLimit: config.slowConsumerBytes,
      closeOnBackpressureLimit: false,
      perMessageDeflate: false,
      sendPings: false,
      publishToSelf: false,
      open: (ws: import("bun").ServerWebSocket<Session>) => node.onOpen(ws),
      message: (ws: import("bun").ServerWebSocket<Session>, data: string | Buffer) => node.onMessage(ws, data),
      close: (ws: import("bun").ServerWebSocket<Session>) => node.onClose(ws),
      pong: (ws: import("bun").ServerWebSocket<Session>) => node.onPong(ws),
    },
  } as Parameters<typeof app.listen>[0]);
  const server = app.server as unknown as Server<Session>;
  node.fanout.attach(server);
  node.start();
  const port = server.port!;
  const host = config.host === "0.0.0.0" ? "127.0.0.1" : config.host;
  let stopped: Promise<void> | undefined;
  return {
    node,
    server,
    app,
    port,
    url: `http://${host}:${port}`,
    wsUrl: `ws://${host}:${port}/ws`,
    stop() {
      stopped ??= (async () => {
        await node.shutdown();
        server.stop(true);
        await presence.close();
        await bus.close();
        if (ownsStore) await store.close();
      })();
      return stopped;
    },
  };
}
