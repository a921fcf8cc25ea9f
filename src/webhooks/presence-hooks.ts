/**
 * @module webhooks/presence-hooks
 * Turns node events into webhooks: `user.online`, `user.offline` (debounced: a user whose last
 * session closes is reported offline only if no session returns within `graceMs`, so a page reload
 * is not an offline), and `message.offline` (a direct message to a user with no session online,
 * so a backend can send a mobile push).
 */
import type { Node } from "../node/node.ts";
import type { OutgoingMessage } from "../node/delivery.ts";
import type { WebhookDispatcher } from "./dispatcher.ts";

export function attachWebhooks(node: Node, dispatcher: WebhookDispatcher, graceMs: number): { close(): void } {
  /** Users reported online to the webhook receiver. */
  const reportedOnline = new Set<string>();
  const pendingOffline = new Map<string, ReturnType<typeof setTimeout>>();

  node.events.userOnline = (user) => {
    const timer = pendingOffline.get(user);
    if (timer) {
      clearTimeout(timer);
      pendingOffline.delete(user);
    }
    if (reportedOnline.has(user)) return;
    reportedOnline.add(user);
    dispatcher.emit("user.online", { user });
  };

  node.events.userOffline = (user, at) => {
    if (pendingOffline.has(user)) return;
    pendingOffline.set(
      user,
      setTimeout(() => {
        pendingOffline.delete(user);
        if (!reportedOnline.delete(user)) return;
        dispatcher.emit("user.offline", { user, lastSeen: at });
      }, graceMs),
    );
  };

  node.events.directCommitted = (message) => {
    if (message.conversation.kind !== "direct") return;
    const to = message.conversation.to;
    if (to === message.from) return;
    void node.presence.status([to]).then(([state]) => {
      if (state && !state.online) {
        dispatcher.emit("message.offline", {
          id: message.id,
          from: message.from,
          to,
          time: message.time,
          payload: (message as OutgoingMessage).value,
        });
      }
    });
  };

  return {
    close() {
      for (const timer of pendingOffline.values()) clearTimeout(timer);
      pendingOffline.clear();
    },
  };
}
