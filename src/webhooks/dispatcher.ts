/**
 * @module webhooks/dispatcher
 * Outbound webhooks: signed HTTP POSTs to one configured URL, with retries and a bounded queue.
 *
 * Each request carries a JSON body `{id, type, time, data}` and the headers
 * - `Hubbub-Event-Id: <id>` (the same on every retry, so receivers can de-duplicate),
 * - `Hubbub-Signature: t=<unix ms>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 * A receiver recomputes the HMAC over the timestamp, a dot and the raw body, compares in constant
 * time, and rejects timestamps too far from its clock.
 *
 * Delivery: at most `concurrency` requests in flight; a non-2xx answer or a network error is
 * retried with exponential backoff (base × 2^attempt, capped, with jitter) up to `maxAttempts`.
 * When the queue is full the oldest pending event is dropped (and counted).
 */
import { newMessageId } from "../ids.ts";
import type { Logger } from "../log.ts";

export type WebhookType = "user.online" | "user.offline" | "message.offline";

export interface WebhookEvent {
  id: string;
  type: WebhookType;
  /** When the event happened, ms since the Unix epoch. */
  time: number;
  data: Record<string, unknown>;
}

export interface WebhookOptions {
  url: string;
  secret: string;
  maxQueue: number;
  maxAttempts: number;
  timeoutMs: number;
  /** First retry delay, ms; doubles each attempt. */
  backoffBaseMs: number;
  /** Longest retry delay, ms. */
  backoffMaxMs: number;
  concurrency: number;
}

/** Counters exported as metrics. */
export interface WebhookStats {
  delivered: number;
  /** Attempts that failed (each retry counts). */
  failedAttempts: number;
  /** Events given up after maxAttempts. */
  abandoned: number;
  /** Events dropped because the queue was full. */
  dropped: number;
}

interface Job {
  event: WebhookEvent;
  body: string;
  attempt: number;
  notBefore: number;
}

/** Computes the `Hubbub-Signature` header value for a body at time `t` (ms). */
export function signWebhook(secret: string, t: number, body: string): string {
  const mac = new Bun.CryptoHasher("sha256", secret).update(`${t}.${body}`).digest("hex");
  return `t=${t},v1=${mac}`;
}

export class WebhookDispatcher {
  readonly stats: WebhookStats = { delivered: 0, failedAttempts: 0, abandoned: 0, dropped: 0 };
  private readonly queue: Job[] = [];
  private inFlight = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly options: WebhookOptions,
    private readonly log: Logger,
  ) {}

  /** Queues an event for delivery. */
  emit(type: WebhookType, data: Record<string, unknown>, time = Date.now()): void {
    if (this.closed) return;
    const event: WebhookEvent = { id: newMessageId(time), type, time, data };
    if (this.queue.length >= this.options.maxQueue) {
      this.queue.shift();
      this.stats.dropped++;
    }
    this.queue.push({ event, body: JSON.stringify(event, bytesAsBase64), attempt: 0, notBefore: 0 });
    this.pump();
  }

  /** Events waiting or in flight. */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const now = Date.now();
    while (this.inFlight < this.options.concurrency) {
      const index = this.queue.findIndex((job) => job.notBefore <= now);
      if (index < 0) break;
      const [job] = this.queue.splice(index, 1);
      this.inFlight++;
      void this.attempt(job!).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
    if (this.queue.length > 0 && this.inFlight < this.options.concurrency) {
      const next = Math.min(...this.queue.map((j) => j.notBefore));
      this.timer = setTimeout(() => this.pump(), Math.max(1, next - now));
    }
    if (this.pending === 0) for (const resolve of this.idle) resolve();
  }

  private async attempt(job: Job): Promise<void> {
    const t = Date.now();
    let ok = false;
    let problem = "";
    try {
      const response = await fetch(this.options.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "hubbub-event-id": job.event.id,
          "hubbub-signature": signWebhook(this.options.secret, t, job.body),
        },
        body: job.body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      ok = response.status >= 200 && response.status < 300;
      problem = `HTTP ${response.status}`;
      await response.arrayBuffer().catch(() => undefined);
    } catch (err) {
      problem = err instanceof Error ? err.message : String(err);
    }
    if (ok) {
      this.stats.delivered++;
      return;
    }
    this.stats.failedAttempts++;
    job.attempt++;
    if (job.attempt >= this.options.maxAttempts || this.closed) {
      this.stats.abandoned++;
      this.log.warn("webhook abandoned", { event: job.event.id, type: job.event.type, attempts: job.attempt, problem });
      return;
    }
    const delay = Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** (job.attempt - 1));
    job.notBefore = Date.now() + delay / 2 + Math.random() * (delay / 2);
    this.log.debug("webhook retry scheduled", { event: job.event.id, attempt: job.attempt, problem });
    this.queue.push(job);
  }

  /** Resolves when nothing is queued or in flight, or after `timeoutMs`. */
  async flush(timeoutMs: number): Promise<void> {
    if (this.pending === 0) return;
    await Promise.race([new Promise<void>((resolve) => this.idle.add(resolve)), Bun.sleep(timeoutMs)]);
  }

  /** Stops retrying; pending first attempts still go out during {@link flush}. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

function bytesAsBase64(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bin: Buffer.from(value).toString("base64") };
  return value;
}
