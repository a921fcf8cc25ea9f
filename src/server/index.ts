/**
 * @module server
 * Starts a Hubbub node: engines, the Elysia app, and Bun.serve with Hubbub's own WebSocket
 * handlers. HTTP requests go to Elysia; `/ws` upgrades and socket events go straight to the node
 * (Elysia's generic ws wrapper allocates a context per request and per message, which the hot
 * path does not need).
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
import { Revocations } from "../auth/revocations.ts";
import { createMetrics } from "../metrics/metrics.ts";
import { WebhookDispatcher } from "../webhooks/dispatcher.ts";
import { attachWebhooks } from "../webhooks/presence-hooks.ts";
import { createApp } from "./app.ts";
import { handleUpgrade, pathOf } from "./upgrade.ts";
import { sendBufferLimit } from "../node/session.ts";
import { SYSTEM_CLOCK, type Clock } from "../node/context.ts";

/** Engines and hooks a caller may supply; defaults are the embedded ones. */
export interface ServerOptions {
  log?: Logger;
  store?: MessageStore;
  presence?: PresenceManager;
  bus?: Bus;
  policy?: Policy;
  tokens?: TokenService;
  /** The node's time source (default: the system clock); tests drive time with it. */
  clock?: Clock;
}

export interface HubbubServer {
  readonly node: Node;
  readonly server: Server<Session>;
  readonly app: ReturnType<typeof createApp>;
  readonly webhooks: WebhookDispatcher | undefined;
  readonly revocations: Revocations;
  readonly port: number;
  /** `http://host:port` */
  readonly url: string;
  /** `ws://host:port/ws` */
  readonly wsUrl: string;
  /**
   * Graceful stop: new connections refused, clients told to reconnect over `drainMs` (default: the
   * configured shutdownDrainMs), pending writes flushed, webhooks given a last chance, engines closed.
   */
  stop(drainMs?: number): Promise<void>;
}

export async function startServer(config: Config, options: ServerOptions = {}): Promise<HubbubServer> {
  const log = options.log ?? createLogger(config.logLevel);
  const tokens = options.tokens ?? (await createTokenService(config));
  const ownsStore = !options.store;
  const store = options.store ?? openSqliteStore(config.dataPath, { clientIdWindowMs: config.idempotencyWindowMs, synchronous: config.durability === "power" ? "FULL" : "NORMAL" });
  const presence = options.presence ?? new MemoryPresence();
  const bus = options.bus ?? new MemoryBusHub().connect();
  const clock = options.clock ?? SYSTEM_CLOCK;
  const revocations = new Revocations(store);
  await revocations.load(clock.now());
  const node = new Node({ config, log, tokens, policy: options.policy ?? defaultPolicy(config.editWindowMs), store, presence, bus, clock, isRevoked: (claims) => revocations.isRevoked(claims, clock.now()) });
  const webhooks = config.webhookUrl
    ? new WebhookDispatcher(
        {
          url: config.webhookUrl,
          secret: config.webhookSecret,
          maxQueue: config.webhookQueueMax,
          maxQueueBytes: config.webhookQueueBytes,
          maxAttempts: config.webhookMaxAttempts,
          timeoutMs: config.webhookTimeoutMs,
          backoffBaseMs: 500,
          backoffMaxMs: 60_000,
          concurrency: 8,
        },
        log.child({ component: "webhooks" }),
      )
    : undefined;
  const webhookHooks = webhooks ? attachWebhooks(node, webhooks, { offlineGraceMs: config.webhookOfflineGraceMs, payloadBytes: config.webhookPayloadBytes }) : undefined;
  const metrics = createMetrics(node, webhooks?.stats);
  const app = createApp(node, metrics, {
    node,
    revocations,
    stats: () => ({ webhooks: webhooks ? { ...webhooks.stats, pending: webhooks.pending } : null, revokedTokens: revocations.size }),
  });
  // Bun.serve with Elysia for HTTP; `/ws` upgrades are handled before Elysia. Measured: Elysia's
  // per-request context and global hooks cost ~15% of the connect path and ~2 KiB per socket.
  const server: Server<Session> = Bun.serve<Session>({
    hostname: config.host,
    port: config.port,
    reusePort: false,
    development: false,
    maxRequestBodySize: Math.max(config.maxApiBodyBytes, config.maxFrameBytes) + 64 * 1024,
    fetch(request, bunServer) {
      if (pathOf(request.url) === "/ws") return handleUpgrade(node, request, bunServer);
      return app.handle(request);
    },
    websocket: {
      maxPayloadLength: config.maxFrameBytes,
      idleTimeout: Math.min(960, Math.max(8, Math.ceil((config.heartbeatMs * 3) / 1000))),
      // Bun drops what is sent to a socket past this; the node closes a slow consumer well before
      // (at slowConsumerBytes), so its DISCONNECT and close frame still fit behind what is queued.
      backpressureLimit: sendBufferLimit(config.slowConsumerBytes),
      closeOnBackpressureLimit: false,
      perMessageDeflate: false,
      sendPings: false,
      publishToSelf: false,
      open: (ws) => node.onOpen(ws),
      message: (ws, data) => node.onMessage(ws, data),
      close: (ws) => node.onClose(ws),
      pong: (ws) => node.onPong(ws),
    },
  });
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
    webhooks,
    revocations,
    stop(drainMs = config.shutdownDrainMs) {
      stopped ??= (async () => {
        await node.shutdown(drainMs);
        server.stop(true);
        webhookHooks?.close();
        if (webhooks) {
          await webhooks.flush(Math.min(2000, config.shutdownTimeoutMs / 4));
          webhooks.close();
        }
        await presence.close();
        await bus.close();
        if (ownsStore) await store.close();
        log.info("stopped", { sessions: node.sessions.size });
      })();
      return stopped;
    },
  };
}
