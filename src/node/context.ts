/**
 * @module node/context
 * What the request handlers, the message actions, delivery and inbox replay may use of the node:
 * its engines, policy and configuration, and the few operations on sessions they need (reply,
 * disconnect, leave a room, charge the rate limit). They depend on this interface, never on the
 * `Node` class, so the node's modules form no import cycle and what a handler can reach is listed
 * in one place. `Node` (node/node.ts) implements it.
 */
import type { Policy } from "../auth/policy.ts";
import type { Claims, TokenService } from "../auth/tokens.ts";
import type { Config } from "../config.ts";
import type { PresenceManager } from "../engines/presence.ts";
import type { Logger } from "../log.ts";
import type { MessageStore, NewMessage } from "../store/port.ts";
import type { GroupCommitter } from "./committer.ts";
import type { Fanout } from "./fanout.ts";
import type { Session } from "./session.ts";
import type { NodeStats } from "./stats.ts";

/**
 * The node's time source, ms since the Unix epoch. Everything the node times — heartbeats, token
 * expiry, rate buckets, edit and idempotency windows, message times, retention — reads it, so a
 * test can drive time instead of waiting for it. Default: `Date.now`.
 */
export interface Clock {
  now(): number;
}

/** The system clock. */
export const SYSTEM_CLOCK: Clock = { now: () => Date.now() };

/** What a node reports to the modules around it. Called synchronously; must not throw. */
export interface NodeEvents {
  /** A user's first session connected (per the presence engine: cluster-wide). */
  userOnline?(user: string): void;
  /** A user's last session closed at `at` (ms). */
  userOffline?(user: string, at: number): void;
  /** A direct message was stored and fanned out. */
  directCommitted?(message: NewMessage): void;
  /** A message was fanned out `latencyMs` after it was received. */
  delivered?(kind: "room" | "direct", latencyMs: number): void;
}

/**
 * The node's observers: every observer added hears every event, in the order they were added
 * (metrics and webhooks both listen; neither replaces the other). An observer that throws is
 * logged and the others still hear the event.
 */
export class NodeObservers implements Required<NodeEvents> {
  private observers: NodeEvents[] = [];

  constructor(private readonly log: Logger) {}

  /** Adds an observer; returns the function that removes it. */
  add(observer: NodeEvents): () => void {
    this.observers = [...this.observers, observer];
    return () => {
      this.observers = this.observers.filter((o) => o !== observer);
    };
  }

  userOnline(user: string): void {
    for (const o of this.observers) this.run(() => o.userOnline?.(user));
  }

  userOffline(user: string, at: number): void {
    for (const o of this.observers) this.run(() => o.userOffline?.(user, at));
  }

  directCommitted(message: NewMessage): void {
    for (const o of this.observers) this.run(() => o.directCommitted?.(message));
  }

  delivered(kind: "room" | "direct", latencyMs: number): void {
    for (const o of this.observers) this.run(() => o.delivered?.(kind, latencyMs));
  }

  private run(call: () => void): void {
    try {
      call();
    } catch (err) {
      this.log.error("a node observer failed", { err });
    }
  }
}

/** The node as its handlers, actions, delivery and inbox replay see it. */
export interface NodeContext {
  readonly clock: Clock;
  readonly config: Config;
  readonly log: Logger;
  readonly tokens: TokenService;
  readonly policy: Policy;
  readonly store: MessageStore;
  readonly presence: PresenceManager;
  readonly fanout: Fanout;
  readonly committer: GroupCommitter;
  readonly stats: NodeStats;
  /** Tells every observer (metrics, webhooks) what happened. */
  readonly events: NodeObservers;
  /** Token revocation check; undefined = nothing revoked. */
  readonly isRevoked: ((claims: Claims) => boolean) | undefined;
  /** Sends REPLY `result` for `rid` now. */
  reply(session: Session, rid: number, result: unknown): void;
  /** Closes a session whose output Bun dropped (4001). */
  onSendFailed(session: Session): void;
  /** Sends DISCONNECT and closes the socket with `code`. */
  disconnect(session: Session, code: number, reason: string): void;
  /** Removes a session from a room's presence and tells the room if the user left. */
  leaveRoom(session: Session, room: string): Promise<void>;
  /** Charges the session's user `cost` more rate-limit tokens for work done. */
  charge(session: Session, cost: number): void;
  /** Charges `cost` before a read, or refuses it (429) when the user's bucket is spent. */
  chargeBeforeRead(session: Session, cost: number): void;
}
