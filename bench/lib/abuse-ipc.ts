/**
 * @module bench/lib/abuse-ipc
 * What the abuse scenario (bench/scenarios/abuse.ts) and its client processes (bench/abuse-client.ts)
 * say to each other over Bun IPC. A client is either the **bystander** (one ordinary session that
 * sends PING every few milliseconds and logs every round trip) or the **hostile** session (one
 * authenticated user running one attack as fast as the server accepts it). All times are on the
 * shared clock (bench/lib/clock.ts), ms.
 */
import type { HistogramData } from "./histogram.ts";

/** The attacks the scenario knows; `quiet` runs the bystander alone (the baseline). */
export const ATTACKS = ["quiet", "unread", "history", "recover", "ack", "invalid", "webhook"] as const;
export type AttackName = (typeof ATTACKS)[number];

/** How the hostile session runs its attack. */
export interface AttackPlan {
  name: Exclude<AttackName, "quiet">;
  /** Requests kept unanswered at once by request/reply attacks (unread, history, webhook). */
  window: number;
  /** Requests per second at most (0: as fast as replies and the socket allow). */
  pace: number;
  /** Rooms the attack reads (all seeded with messages from another user). */
  rooms: string[];
  /** HISTORY `limit`. */
  historyLimit: number;
  /** A recovering JOIN asks for this many messages: `since` = [head − this, epoch]. */
  recoverMessages: number;
  /** Bytes of the binary payload of each direct message (webhook). */
  dmBytes: number;
  /** Distinct offline recipients the direct messages rotate over (webhook). */
  dmUsers: number;
  /** Largest WebSocket message the hostile writes (it batches frames up to this, and to 128 frames). */
  maxMessageBytes: number;
  /** Reconnects at most (after 4003 and other closes) while the attack lasts. */
  maxReconnects: number;
  /** Wait before reconnecting, ms (0: at once, as a hostile client would). */
  reconnectDelayMs: number;
  /** Frames sent at most, whatever the window (a bound on every loop). */
  maxFrames: number;
}

export interface AbuseClientJob {
  role: "bystander" | "hostile";
  host: string;
  port: number;
  secret: string;
  user: string;
  /** `rooms` claim of the token. */
  tokenRooms: string[];
  /** Bystander: a PING every this many ms. */
  pingEveryMs: number;
  /**
   * Bystander: PINGs left unanswered at most. While this many wait, a PING's slot is skipped
   * rather than sent (a server that charges PINGs to the rate limit would drop a pile of them
   * arriving at once after a stall, and PONGs carry no id); a skipped slot is logged as if its
   * PING had queued behind the last one sent (see {@link PingLog.skipped}).
   */
  maxOutstandingPings: number;
  /** Bystander: stop pinging after this long whatever happens, ms (a bound). */
  maxPingMs: number;
  attack?: AttackPlan;
}

export type ToAbuseClient =
  | { t: "job"; job: AbuseClientJob }
  /** Hostile: attack from `start` to `end` (then stop sending, keep reading). */
  | { t: "run"; start: number; end: number }
  /**
   * Bystander: wait (at most `maxWaitMs`) until every PING sent before `until` is answered and the
   * server is calm again (the last `calmCount` PINGs sent since `until` answered within `calmMs`),
   * keep pinging `afterMs` longer, then report. Hostile: report now (and stop).
   */
  | { t: "report"; until: number; maxWaitMs: number; afterMs: number; calmMs: number; calmCount: number }
  | { t: "exit" };

/** The bystander's log: one entry per PING slot, `sentAt[i]` and its round trip `rtt[i]` (-1: never answered). */
export interface PingLog {
  sentAt: number[];
  rtt: number[];
  /**
   * Slots skipped because `maxOutstandingPings` waited: each counts as a PING sent at its slot
   * time and answered with the last PING sent before it (PONGs come in order), so a stall weighs
   * on the figures as it would with every PING sent (no coordinated omission).
   */
  skipped: number[];
  /** When the bystander stopped waiting (answers after this are not in the log). */
  stoppedAt: number;
  /** Ways the bystander's own session ended, if it did, and any ERROR it got (`ERROR <code>`). */
  dropped: Record<string, number>;
}

export interface HostileReport {
  /** Attack frames written, by frame name. */
  sent: Record<string, number>;
  /** REPLY frames to attack requests, by frame name. */
  served: Record<string, number>;
  /** ERROR frames to attack requests (and rid 0), by code. */
  errors: Record<string, number>;
  /** Recovering JOINs answered `recovered: true`. */
  recovered: number;
  /** Sessions opened (the first one plus reconnects). */
  sessions: number;
  /** Why sessions ended during the attack (close code / DISCONNECT code / reason). */
  disconnects: Record<string, number>;
  /** Connects that failed (refused upgrade, timeout). */
  connectFailures: Record<string, number>;
  /** Request → answer time of attack requests. */
  answerTime: HistogramData;
  /** Bytes the hostile read from the server. */
  bytesIn: number;
  /** The last attack answer arrived at (0: none). */
  lastAnswerAt: number;
}

export type FromAbuseClient =
  | { t: "ready" }
  | { t: "pings"; log: PingLog }
  | { t: "hostile"; report: HostileReport }
  | { t: "fatal"; message: string };
