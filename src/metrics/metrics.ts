/**
 * @module metrics/metrics
 * Prometheus metrics at `/metrics`, with prom-client (maintained, the de-facto standard for
 * Node-compatible runtimes, pure JS so it works on Bun and inside the compiled binary; its default
 * collectors give process memory, CPU and event-loop lag).
 *
 * Hot-path counters live in plain numbers on the node ({@link NodeStats}, committer and webhook
 * stats) and are read at scrape time, so a message costs no metrics bookkeeping beyond an
 * increment. Latency histograms are observed through node events.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { DisconnectCode } from "../../proto/index.ts";
import type { Node } from "../node/node.ts";
import type { WebhookStats } from "../webhooks/dispatcher.ts";

const FRAME_NAMES: Record<number, string> = {
  0: "ping", 1: "pong", 10: "join", 11: "leave", 12: "publish", 13: "direct", 14: "broadcast", 15: "history",
  16: "presence", 17: "counts", 18: "status", 19: "ack", 20: "recall", 21: "edit", 22: "typing", 23: "read",
  24: "unread", 25: "refresh",
};

/** A counter whose value is read from a source at scrape time (monotonic sources only). */
function mirroredCounter(registry: Registry, name: string, help: string, labelNames: string[], read: () => Array<[Record<string, string>, number]>) {
  const last = new Map<string, number>();
  return new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      for (const [labels, value] of read()) {
        const key = JSON.stringify(labels);
        const delta = value - (last.get(key) ?? 0);
        if (delta > 0) this.inc(labels, delta);
        last.set(key, value);
      }
    },
  });
}

export interface Metrics {
  registry: Registry;
  /** Prometheus text exposition. */
  render(): Promise<string>;
  contentType: string;
}

export function createMetrics(node: Node, webhooks?: WebhookStats): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "hubbub_" });
  const stats = node.stats;

  new Gauge({ name: "hubbub_connections", help: "Open WebSocket sessions on this node", registers: [registry], collect() { this.set(node.snapshot().connections); } });
  new Gauge({ name: "hubbub_users_online", help: "Users with at least one session on this node", registers: [registry], collect() { this.set(node.snapshot().usersOnline); } });
  new Gauge({
    name: "hubbub_rooms",
    help: "Rooms with at least one member (presence engine)",
    registers: [registry],
    async collect() {
      this.set((await node.presence.rooms()).length);
    },
  });
  mirroredCounter(registry, "hubbub_connects_total", "Sessions opened", [], () => [[{}, stats.connects]]);
  mirroredCounter(registry, "hubbub_sessions_closed_total", "Sessions closed, for any reason", [], () => [[{}, stats.disconnects]]);
  mirroredCounter(registry, "hubbub_frames_in_total", "Frames received, by type", ["type"], () =>
    [...stats.framesIn].map(([type, n]) => [{ type: FRAME_NAMES[type] ?? String(type) }, n]),
  );
  mirroredCounter(registry, "hubbub_bytes_in_total", "WebSocket payload bytes received", [], () => [[{}, stats.bytesIn]]);
  mirroredCounter(registry, "hubbub_messages_in_total", "Messages accepted, by kind", ["kind"], () =>
    Object.entries(stats.messages).map(([kind, n]) => [{ kind }, n]),
  );
  mirroredCounter(registry, "hubbub_pushes_out_total", "Frames fanned out to subscribers (each encoded once)", [], () => [[{}, node.fanout.published]]);
  mirroredCounter(registry, "hubbub_reply_errors_total", "Reply errors sent, by code", ["code"], () =>
    [...stats.replyErrors].map(([code, n]) => [{ code: String(code) }, n]),
  );
  mirroredCounter(registry, "hubbub_disconnects_total", "Server-initiated disconnects, by close code", ["code"], () =>
    [...stats.disconnectsByCode].map(([code, n]) => [{ code: String(code) }, n]),
  );
  mirroredCounter(registry, "hubbub_slow_consumer_disconnects_total", "Sessions closed as slow consumers (4001)", [], () => [[{}, stats.disconnectsByCode.get(DisconnectCode.SlowConsumer) ?? 0]]);
  mirroredCounter(registry, "hubbub_store_batches_total", "Group-commit batches written", [], () => [[{}, node.snapshot().store.batches]]);
  mirroredCounter(registry, "hubbub_store_messages_total", "Messages written by group commit", [], () => [[{}, node.snapshot().store.messages]]);
  mirroredCounter(registry, "hubbub_store_write_seconds_total", "Time spent in store appends", [], () => [[{}, node.snapshot().store.appendMs / 1000]]);
  new Gauge({ name: "hubbub_store_last_batch_size", help: "Messages in the last group-commit batch", registers: [registry], collect() { this.set(node.snapshot().store.lastBatchSize); } });
  if (webhooks) {
    mirroredCounter(registry, "hubbub_webhook_delivered_total", "Webhooks delivered", [], () => [[{}, webhooks.delivered]]);
    mirroredCounter(registry, "hubbub_webhook_failures_total", "Failed webhook attempts (each retry counts)", [], () => [[{}, webhooks.failedAttempts]]);
    mirroredCounter(registry, "hubbub_webhook_abandoned_total", "Webhooks given up after the last retry", [], () => [[{}, webhooks.abandoned]]);
    mirroredCounter(registry, "hubbub_webhook_dropped_total", "Webhooks dropped undelivered because the queue (or the user's share of it) was full", [], () => [[{}, webhooks.dropped]]);
    mirroredCounter(registry, "hubbub_webhook_dropped_user_share_total", "Webhooks dropped because their user's share of the queue was full (also in dropped_total)", [], () => [[{}, webhooks.droppedUserShare]]);
    new Gauge({ name: "hubbub_webhook_queued", help: "Webhook events waiting for a first attempt or a retry", registers: [registry], collect() { this.set(webhooks.queued); } });
    new Gauge({ name: "hubbub_webhook_queued_bytes", help: "Request-body bytes of the queued webhook events (bounded by webhookQueueBytes)", registers: [registry], collect() { this.set(webhooks.queuedBytes); } });
  }
  const latency = new Histogram({
    name: "hubbub_publish_to_deliver_seconds",
    help: "From receiving a message to fanning it out (includes the durable write for stored messages)",
    labelNames: ["kind"],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  // Children with their labels bound once: observe() then skips hashing the label set per message.
  const byKind = { room: latency.labels("room"), direct: latency.labels("direct") };
  node.events.add({ delivered: (kind, ms) => byKind[kind].observe(ms / 1000) });
  return { registry, render: () => registry.metrics(), contentType: registry.contentType };
}
