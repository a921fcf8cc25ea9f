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

/** The node as its handlers, actions, delivery and inbox replay see it. */
export interface NodeContext {
  readonly config: Config;
  readonly log: Logger;
  readonly tokens: TokenService;
  readonly policy: Policy;
  readonly store: MessageStore;
  readonly presence: PresenceManager;
  readonly fanout: Fanout;
  readonly committer: GroupCommitter;
  readonly stats: NodeStats;
  readonly events: NodeEvents;
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
