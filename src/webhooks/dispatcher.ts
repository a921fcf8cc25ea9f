/**
 * @module webhooks/dispatcher
 * Outbound webhooks: signed HTTP POSTs to one configured URL, with retries and a queue bounded in
 * events and in bytes, of which no single user may take more than a share.
 *
 * Each request carries a JSON body `{id, type, time, data}` and the headers
 * - `Hubbub-Event-Id: <id>` (the same on every retry, so receivers can de-duplicate),
 * - `Hubbub-Signature: t=<unix ms>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 * A receiver recomputes the HMAC over the timestamp, a dot and the raw body, compares in constant
 * time, and rejects timestamps too far from its clock.
 *
 * Delivery: at most `concurrency` requests in flight; a non-2xx answer or a network error is
 * retried with exponential backoff (base × 2^attempt, capped, with jitter) up to `maxAttempts`.
 *
 * Memory: an event is held as its encoded request body from {@link WebhookDispatcher.emit} until it
 * is delivered, given up or dropped. The *queue* is the events waiting for an attempt — a first one
 * or a retry — and is bounded by `maxQueue` events and `maxQueueBytes` body bytes (the at most
 * `concurrency` bodies in flight come on top). Every event is charged to a user, and one user's
 * queued events may take at most `userShare` of each bound. Admitting an event (new, or back from a
 * failed attempt) that would break a bound drops the oldest queued events first: the user's own
 * oldest when the user's share is full, then anyone's oldest while the queue is over a bound. Every
 * drop is counted. So a user flooding the queue only ever displaces their own events, and the
 * queue never holds more than `maxQueueBytes` body bytes.
 */
import { newMessageId } from "../ids.ts";
import type { Logger } from "../log.ts";
import { systemClock, type WebhookClock } from "./clock.ts";
import { DeadlineHeap } from "./deadline-heap.ts";
import { LinkedList, type ListEntry } from "./linked-list.ts";

export type WebhookType = "user.online" | "user.offline" | "message.offline";

export interface WebhookEvent {
  id: string;
  type: WebhookType;
  /** When the event happened, ms since the Unix epoch. */
  time: number;
  data: Record<string, unknown>;
}

/** One user's events may hold at most this fraction of `maxQueue` and of `maxQueueBytes` (default). */
export const DEFAULT_USER_SHARE = 1 / 8;

export interface WebhookOptions {
  url: string;
  secret: string;
  /** Most events queued (waiting for a first attempt or a retry); beyond it the oldest are dropped. */
  maxQueue: number;
  /** Most request-body bytes queued (UTF-8 JSON, as sent); beyond it the oldest events are dropped. */
  maxQueueBytes: number;
  /**
   * Fraction of `maxQueue` and of `maxQueueBytes` one user's queued events may take, in (0, 1];
   * default {@link DEFAULT_USER_SHARE}. An event larger than the user's byte share is dropped at once.
   */
  userShare?: number;
  maxAttempts: number;
  timeoutMs: number;
  /** First retry delay, ms; doubles each attempt. */
  backoffBaseMs: number;
  /** Longest retry delay, ms. */
  backoffMaxMs: number;
  concurrency: number;
}

/** Counters and gauges exported as metrics (read at scrape time). */
export interface WebhookStats {
  delivered: number;
  /** Attempts that failed (each retry counts). */
  failedAttempts: number;
  /** Events given up after maxAttempts. */
  abandoned: number;
  /** Events dropped undelivered because the queue or their user's share of it was full (all drops). */
  dropped: number;
  /** Of {@link WebhookStats.dropped}: events dropped because their user's share was full. */
  droppedUserShare: number;
  /** Gauge: events queued (waiting for a first attempt or a retry; not those in flight). */
  queued: number;
  /** Gauge: request-body bytes of the queued events; never above `maxQueueBytes`. */
  queuedBytes: number;
}

/** What identifies a queued event in {@link WebhookObserver} calls. */
export interface WebhookJobInfo {
  id: string;
  type: WebhookType;
  /** The user the event is charged to. */
  user: string;
  /** Request-body bytes. */
  bytes: number;
}

/** The outcome of one attempt. */
export interface WebhookAttempt {
  /** Attempts made so far, this one included. */
  attempt: number;
  result: "delivered" | "retry" | "abandoned";
  /** With `retry`: the next attempt is due this many ms from now (per the dispatcher's clock). */
  retryInMs?: number;
  /** Why it failed (`HTTP 503`, a network error), when it did. */
  problem?: string;
}

/**
 * What the dispatcher reports (tests and instrumentation). Called synchronously, after the queue
 * and {@link WebhookStats} reflect the change; must not throw.
 */
export interface WebhookObserver {
  /** An event entered the queue. */
  queued?(job: WebhookJobInfo): void;
  /** An event left the queue undelivered: `user` = its user's share was full, `queue` = a bound was. */
  dropped?(job: WebhookJobInfo, reason: "user" | "queue"): void;
  /**
   * An attempt finished, and the dispatcher has acted on it: the next attempts are started and,
   * for a retry, its timer is armed on the clock (a retry that found no room in the queue is
   * reported {@link WebhookObserver.dropped} right after).
   */
  attempted?(job: WebhookJobInfo, attempt: WebhookAttempt): void;
}

interface Job extends WebhookJobInfo {
  /** Emit order: a lower `seq` is an older event. */
  seq: number;
  /** The request body; emptied when the job is dropped. */
  body: Uint8Array<ArrayBuffer>;
  attempt: number;
  /** With state `waiting`: when the retry is due (clock ms). */
  notBefore: number;
  state: "ready" | "waiting" | "sending" | "done";
  /** Handles into {@link WebhookDispatcher}'s lists (all jobs, the user's jobs, ready jobs). */
  inAll: ListEntry<Job> | undefined;
  inUser: ListEntry<Job> | undefined;
  inReady: ListEntry<Job> | undefined;
}

/** One user's part of the queue; exists while the user has a job held (queued or in flight). */
interface UserShare {
  jobs: LinkedList<Job>;
  /** Queued (not in-flight) jobs and their body bytes. */
  queued: number;
  bytes: number;
}

const encoder = new TextEncoder();

/** Computes the `Hubbub-Signature` header value for a body at time `t` (ms). */
export function signWebhook(secret: string, t: number, body: string | Uint8Array): string {
  const mac = new Bun.CryptoHasher("sha256", secret).update(`${t}.`).update(body).digest("hex");
  return `t=${t},v1=${mac}`;
}

/**
 * Queues, signs and sends webhooks within the bounds above. Created by `startServer` (one per node),
 * fed by `attachWebhooks`; its {@link WebhookStats} are read by the metrics and `/api/stats`.
 */
export class WebhookDispatcher {
  readonly stats: WebhookStats = { delivered: 0, failedAttempts: 0, abandoned: 0, dropped: 0, droppedUserShare: 0, queued: 0, queuedBytes: 0 };
  /** Set by whoever wants to follow the queue (see {@link WebhookObserver}). */
  readonly observer: WebhookObserver = {};
  /** Every held job (queued or in flight), oldest first. */
  private readonly all = new LinkedList<Job>();
  /** Jobs due for an attempt, in the order they became due. */
  private readonly ready = new LinkedList<Job>();
  /** Jobs waiting for a retry, by due time; dropped ones stay until popped or compacted. */
  private readonly waiting = new DeadlineHeap<Job>((job) => job.notBefore);
  private readonly users = new Map<string, UserShare>();
  private readonly userMaxQueued: number;
  private readonly userMaxBytes: number;
  private inFlight = 0;
  private seq = 0;
  private cancelTimer: (() => void) | undefined;
  private timerAt = 0;
  private closed = false;
  private readonly idle = new Set<() => void>();
  private currentClock: WebhookClock;

  constructor(
    private readonly options: WebhookOptions,
    private readonly log: Logger,
    clock: WebhookClock = systemClock,
  ) {
    const share = options.userShare ?? DEFAULT_USER_SHARE;
    if (!(share > 0 && share <= 1)) throw new RangeError(`userShare must be in (0, 1], got ${share}`);
    this.userMaxQueued = Math.max(1, Math.floor(options.maxQueue * share));
    this.userMaxBytes = Math.max(1, Math.floor(options.maxQueueBytes * share));
    this.currentClock = clock;
  }

  /** The time source for event times, signatures and retries (the presence hooks use it too). */
  get clock(): WebhookClock {
    return this.currentClock;
  }

  /** Replaces the clock (tests); only while nothing is held, so no deadline mixes two clocks. */
  useClock(clock: WebhookClock): void {
    if (this.all.size > 0) throw new Error("useClock: the dispatcher is not idle");
    this.currentClock = clock;
  }

  /** The most bytes and events one user's queued events may take. */
  get userLimits(): { bytes: number; events: number } {
    return { bytes: this.userMaxBytes, events: this.userMaxQueued };
  }

  /** Queues an event charged to `user` (the sender of a message, the user who came online...). */
  emit(type: WebhookType, user: string, data: Record<string, unknown>, time = this.clock.now()): void {
    if (this.closed) return;
    const event: WebhookEvent = { id: newMessageId(time), type, time, data };
    const body = encoder.encode(JSON.stringify(event, bytesAsBase64));
    const job: Job = {
      id: event.id, type, user, bytes: body.byteLength, body, seq: ++this.seq, attempt: 0, notBefore: 0, state: "ready",
      inAll: undefined, inUser: undefined, inReady: undefined,
    };
    let share = this.users.get(user);
    if (!share) this.users.set(user, (share = { jobs: new LinkedList(), queued: 0, bytes: 0 }));
    const refused = this.makeRoom(job, share);
    if (refused) {
      if (share.jobs.size === 0) this.users.delete(user);
      job.state = "done";
      this.countDrop(job, refused);
      return;
    }
    job.inAll = this.all.push(job);
    job.inUser = share.jobs.push(job);
    job.inReady = this.ready.push(job);
    this.account(job, share, 1);
    this.observer.queued?.(info(job));
    this.pump();
  }

  /** Events queued or in flight. */
  get pending(): number {
    return this.stats.queued + this.inFlight;
  }

  /** Starts attempts while there is capacity, and arms the timer for the next retry. */
  private pump(): void {
    while (!this.closed && this.inFlight < this.options.concurrency) {
      const job = this.ready.first()?.value;
      if (!job) break;
      this.ready.remove(job.inReady!);
      job.inReady = undefined;
      this.account(job, this.users.get(job.user)!, -1);
      job.state = "sending";
      this.inFlight++;
      void this.send(job).then((problem) => this.settle(job, problem));
    }
    this.arm();
    if (this.pending === 0) for (const resolve of this.idle) resolve();
  }

  /** Schedules {@link wake} for the earliest retry, unless already scheduled for it. */
  private arm(): void {
    let next = this.waiting.peek();
    while (next && next.state !== "waiting") {
      this.waiting.pop();
      next = this.waiting.peek();
    }
    if (!next || this.closed) {
      this.cancelTimer?.();
      this.cancelTimer = undefined;
      return;
    }
    if (this.cancelTimer && this.timerAt === next.notBefore) return;
    this.cancelTimer?.();
    this.timerAt = next.notBefore;
    this.cancelTimer = this.clock.schedule(() => {
      this.cancelTimer = undefined;
      this.wake();
    }, Math.max(0, next.notBefore - this.clock.now()));
  }

  /** Moves the retries that are due to the ready list. */
  private wake(): void {
    const now = this.clock.now();
    for (let job = this.waiting.peek(); job && job.notBefore <= now; job = this.waiting.peek()) {
      this.waiting.pop();
      if (job.state !== "waiting") continue;
      job.state = "ready";
      job.inReady = this.ready.push(job);
    }
    this.pump();
  }

  /** Makes one attempt; resolves with why it failed, or undefined when it was delivered. Never rejects. */
  private async send(job: Job): Promise<string | undefined> {
    const t = this.clock.now();
    try {
      const response = await fetch(this.options.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "hubbub-event-id": job.id,
          "hubbub-signature": signWebhook(this.options.secret, t, job.body),
        },
        body: job.body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      return response.status >= 200 && response.status < 300 ? undefined : `HTTP ${response.status}`;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  /**
   * Takes an attempt's outcome: delivered, given up, or back to the queue to wait for a retry. The
   * observer hears of it last, once the next attempts are started and the retry timer is armed.
   */
  private settle(job: Job, problem: string | undefined): void {
    this.inFlight--;
    job.attempt++;
    let outcome: WebhookAttempt;
    let refused: "user" | "queue" | undefined;
    if (problem === undefined) {
      this.stats.delivered++;
      this.release(job);
      outcome = { attempt: job.attempt, result: "delivered" };
    } else if (job.attempt >= this.options.maxAttempts || this.closed) {
      this.stats.failedAttempts++;
      this.stats.abandoned++;
      this.release(job);
      this.log.warn("webhook abandoned", { event: job.id, type: job.type, attempts: job.attempt, problem });
      outcome = { attempt: job.attempt, result: "abandoned", problem };
    } else {
      this.stats.failedAttempts++;
      const delay = Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** (job.attempt - 1));
      const wait = Math.round(delay / 2 + Math.random() * (delay / 2)); // whole ms: exact deadlines
      outcome = { attempt: job.attempt, result: "retry", retryInMs: wait, problem };
      this.log.debug("webhook retry scheduled", { event: job.id, attempt: job.attempt, problem });
      // Back to the queue, the job competes for room like a new one (and, being older, goes first).
      const share = this.users.get(job.user)!;
      refused = this.makeRoom(job, share);
      if (refused) {
        this.release(job);
      } else {
        job.notBefore = this.clock.now() + wait;
        job.state = "waiting";
        this.waiting.push(job);
        this.account(job, share, 1);
      }
    }
    this.pump();
    this.observer.attempted?.(info(job), outcome);
    if (refused) this.countDrop(job, refused);
  }

  /**
   * Drops queued jobs, oldest first, until `job` fits in its user's share and in the queue.
   * Returns why `job` itself must go instead, when it is older than every job left to drop.
   */
  private makeRoom(job: Job, share: UserShare): "user" | "queue" | undefined {
    if (job.bytes > this.userMaxBytes) return "user";
    while (share.queued + 1 > this.userMaxQueued || share.bytes + job.bytes > this.userMaxBytes) {
      const victim = share.jobs.find(isQueued);
      if (!victim || victim.seq > job.seq) return "user";
      this.drop(victim, "user");
    }
    while (this.stats.queued + 1 > this.options.maxQueue || this.stats.queuedBytes + job.bytes > this.options.maxQueueBytes) {
      // Skips at most `concurrency` in-flight jobs.
      const victim = this.all.find(isQueued);
      if (!victim || victim.seq > job.seq) return "queue";
      this.drop(victim, "queue");
    }
    if (this.waiting.size > 1024 && this.waiting.size > 2 * (this.stats.queued - this.ready.size)) {
      this.waiting.compact((waiting) => waiting.state === "waiting");
    }
    return undefined;
  }

  private drop(job: Job, reason: "user" | "queue"): void {
    this.account(job, this.users.get(job.user)!, -1);
    if (job.inReady) this.ready.remove(job.inReady);
    job.inReady = undefined;
    this.release(job);
    this.countDrop(job, reason);
  }

  private countDrop(job: Job, reason: "user" | "queue"): void {
    this.stats.dropped++;
    if (reason === "user") this.stats.droppedUserShare++;
    this.observer.dropped?.(info(job), reason);
  }

  /** Forgets a job that was delivered, given up or dropped (and was already taken off the queue). */
  private release(job: Job): void {
    job.state = "done";
    job.body = EMPTY;
    if (job.inAll) this.all.remove(job.inAll);
    const share = this.users.get(job.user);
    if (share && job.inUser) {
      share.jobs.remove(job.inUser);
      if (share.jobs.size === 0) this.users.delete(job.user);
    }
    job.inAll = job.inUser = undefined;
  }

  /** Adds (`sign` 1) or removes (-1) a queued job to or from the counts. */
  private account(job: Job, share: UserShare, sign: 1 | -1): void {
    this.stats.queued += sign;
    this.stats.queuedBytes += sign * job.bytes;
    share.queued += sign;
    share.bytes += sign * job.bytes;
  }

  /** Resolves when nothing is queued or in flight, or after `timeoutMs` of wall-clock time. */
  async flush(timeoutMs: number): Promise<void> {
    if (this.pending === 0) return;
    let resolveIdle!: () => void;
    const idle = new Promise<void>((resolve) => this.idle.add((resolveIdle = resolve)));
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([idle, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.idle.delete(resolveIdle);
  }

  /**
   * Stops: no new attempt starts and failed ones are not retried; what is still queued is
   * discarded (logged). Call {@link flush} first to give pending events a last chance.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    const discarded = this.stats.queued;
    for (let job = this.all.find(isQueued); job; job = this.all.find(isQueued)) {
      this.account(job, this.users.get(job.user)!, -1);
      if (job.inReady) this.ready.remove(job.inReady);
      job.inReady = undefined;
      this.release(job);
    }
    this.waiting.compact(() => false);
    if (discarded > 0) this.log.warn("webhooks discarded on close", { events: discarded });
  }
}

const EMPTY: Uint8Array<ArrayBuffer> = new Uint8Array(0);

function isQueued(job: Job): boolean {
  return job.state === "ready" || job.state === "waiting";
}

function info(job: Job): WebhookJobInfo {
  return { id: job.id, type: job.type, user: job.user, bytes: job.bytes };
}

/**
 * JSON replacer: bytes become `{$bin: "<base64>"}` (as in the protocol's JSON codec). It reads the
 * holder's own value because `JSON.stringify` applies `toJSON` first, and a Buffer (what the
 * msgpack decoder returns for binary) would otherwise arrive as `{type: "Buffer", data: [1, 2, …]}`,
 * up to 4 bytes of JSON per payload byte.
 */
function bytesAsBase64(this: unknown, key: string, value: unknown): unknown {
  const original = (this as Record<string, unknown>)[key];
  if (original instanceof Uint8Array) return { $bin: Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString("base64") };
  return value;
}
