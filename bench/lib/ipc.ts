/**
 * @module bench/lib/ipc
 * What the bench runner and its load workers say to each other (Bun IPC between processes).
 * The runner sends a {@link WorkerJob}, then commands; a worker answers each command once and
 * reports progress twice a second. All times are on the shared clock (bench/lib/clock.ts), ms.
 */
import type { HistogramData } from "./histogram.ts";

/** One long-lived connection a worker opens. */
export interface ConnPlan {
  user: string;
  /** Rooms to join once connected, in order. */
  rooms: string[];
}

/** A connection (by index in `conns`) that keeps `window` requests in flight while the run lasts. */
export interface PublisherPlan {
  conn: number;
  /** Publisher number, unique in the run; carried in every payload. */
  id: number;
  /** Publish to this room... */
  room?: string;
  /** ...or send direct messages to this user. */
  to?: string;
  window: number;
  /** Sends per second (0: closed loop, the next send as soon as a reply frees the window). */
  rate?: number;
}

/** Connections opened and closed in a loop while the run lasts. */
export interface ChurnPlan {
  /** Loops running at once. */
  slots: number;
  /** User of slot i is `${userPrefix}${i}`. */
  userPrefix: string;
  /** Rooms each churned connection joins before closing. */
  rooms: string[];
}

export interface WorkerJob {
  worker: number;
  host: string;
  port: number;
  /** Loopback source address of this worker's connections (its own ephemeral port range). */
  sourceAddress: string;
  protocol: "msgpack" | "socketio";
  /** HS256 secret for the tokens (ignored by the baselines). */
  secret: string;
  /** `rooms` claim of every token. */
  tokenRooms: string[];
  /** Padding characters in each payload. */
  padBytes: number;
  conns: ConnPlan[];
  /** Connections being opened at once during `connect`. */
  connectConcurrency: number;
  publishers: PublisherPlan[];
  churn?: ChurnPlan;
  /** Track the fan-out time of every message whose seq is a multiple of this (0 = none). */
  fanoutSampleEvery: number;
}

export type ToWorker =
  | { t: "job"; job: WorkerJob }
  | { t: "connect" }
  | { t: "run"; start: number; end: number; drainMs: number }
  | { t: "ping"; count: number }
  | { t: "exit" };

export interface ConnectReport {
  ok: number;
  failed: number;
  /** When the first connection was started / the last one became ready (joins done). */
  firstStart: number;
  lastReady: number;
  /** Failure reasons and how often. */
  failures: Record<string, number>;
  connectTime: HistogramData;
}

/** What one worker measured during `run`, for messages sent in [start, end). */
export interface RunReport {
  /** Requests sent and answered by publishers. */
  published: number;
  /** Paced sends skipped because the window was full. */
  skipped: number;
  acked: number;
  replyErrors: Record<string, number>;
  /** Deliveries of bench messages (excluding a direct message's copy to its own sender). */
  delivered: number;
  /** Copies of direct messages delivered back to the sender's session. */
  echoes: number;
  latency: HistogramData;
  /** Publish → reply round trip. */
  ackLatency: HistogramData;
  /** Sampled messages: [publisher, seq, deliveries seen here, latest delivery latency ms]. */
  fanout: [number, number, number, number][];
  churn: { connects: number; disconnects: number; failures: Record<string, number>; connectTime: HistogramData };
  /** Connections of this worker that closed unexpectedly during the run, by reason. */
  dropped: Record<string, number>;
}

export type FromWorker =
  | { t: "prepared" }
  | { t: "progress"; ready: number; failed: number; delivered: number; published: number; churnConnects: number }
  | { t: "connected"; report: ConnectReport }
  | { t: "ran"; report: RunReport }
  | { t: "pinged"; latency: HistogramData; failed: number }
  | { t: "fatal"; message: string };
