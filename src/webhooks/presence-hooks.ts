/**
 * @module webhooks/presence-hooks
 * Turns node events into webhooks: `user.online`, `user.offline` (debounced: a user whose last
 * session closes is reported offline only if no session returns within `offlineGraceMs`, so a page
 * reload is not an offline), and `message.offline` (a direct message to a user with no session
 * online, so a backend can send a mobile push).
 *
 * Each event is charged to a user in the dispatcher's queue: the user who came online or went
 * offline, and the *sender* of a `message.offline` (so one sender flooding offline users only
 * displaces their own events). `message.offline` carries `{id, from, to, time, size}` (`size`: bytes
 * of the msgpack payload); with `payloadBytes` > 0 it also carries `payload` when `size` ≤
 * `payloadBytes`, and `truncated: true` instead when the payload is larger.
 */
import type { Node } from "../node/node.ts";
import type { OutgoingMessage } from "../node/delivery.ts";
import type { NodeEvents } from "../node/context.ts";
import type { WebhookDispatcher } from "./dispatcher.ts";

export interface WebhookHookOptions {
  /** A user is reported offline only if no session returns within this time, ms. */
  offlineGraceMs: number;
  /** `message.offline` includes payloads of at most this many bytes (msgpack); 0 = never. */
  payloadBytes: number;
}

export function attachWebhooks(node: Node, dispatcher: WebhookDispatcher, options: WebhookHookOptions): { close(): void } {
  /** Users reported online to the webhook receiver. */
  const reportedOnline = new Set<string>();
  /** Users whose offline report is pending, and how to cancel it. */
  const pendingOffline = new Map<string, () => void>();

  const observer: NodeEvents = {};
  observer.userOnline = (user) => {
    const cancel = pendingOffline.get(user);
    if (cancel) {
      cancel();
      pendingOffline.delete(user);
    }
    if (reportedOnline.has(user)) return;
    reportedOnline.add(user);
    dispatcher.emit("user.online", user, { user });
  };

  observer.userOffline = (user, at) => {
    if (pendingOffline.has(user)) return;
    pendingOffline.set(
      user,
      dispatcher.clock.schedule(() => {
        pendingOffline.delete(user);
        if (!reportedOnline.delete(user)) return;
        dispatcher.emit("user.offline", user, { user, lastSeen: at });
      }, options.offlineGraceMs),
    );
  };

  observer.directCommitted = (message) => {
    if (message.conversation.kind !== "direct") return;
    const to = message.conversation.to;
    if (to === message.from) return;
    // Built now, so the presence lookup below holds metadata (and a payload only when it is sent).
    const size = message.payload.byteLength;
    const data: Record<string, unknown> = { id: message.id, from: message.from, to, time: message.time, size };
    if (options.payloadBytes > 0) {
      if (size <= options.payloadBytes) data.payload = (message as OutgoingMessage).value;
      else data.truncated = true;
    }
    const from = message.from;
    void node.presence.status([to]).then(
      ([state]) => {
        if (state && !state.online) dispatcher.emit("message.offline", from, data);
      },
      (err) => node.log.warn("message.offline: presence lookup failed", { err }),
    );
  };

  const remove = node.events.add(observer);
  return {
    close() {
      remove();
      for (const cancel of pendingOffline.values()) cancel();
      pendingOffline.clear();
    },
  };
}
