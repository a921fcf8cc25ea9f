/**
 * Webhook test helpers.
 * - {@link startWebhookReceiver}: a real HTTP receiver that verifies `Hubbub-Signature`, records
 *   every request and every accepted event, and can fail the first requests or hold requests open
 *   (a hanging receiver) until the test releases them.
 * - {@link observe}: follows a dispatcher through its observer hooks.
 * Tests await what they expect (an event received, an attempt reported); nothing sleeps.
 */
import { signWebhook, type WebhookAttempt, type WebhookDispatcher, type WebhookJobInfo } from "../../src/webhooks/dispatcher.ts";

export interface ReceivedWebhook {
  id: string;
  type: string;
  time: number;
  data: Record<string, unknown>;
  /** The `Hubbub-Event-Id` header. */
  headerId: string;
}

export interface WebhookReceiverOptions {
  /** Answer the first this many (correctly signed) requests with 503. */
  failFirst?: number;
  /** Hold every request open until {@link WebhookReceiver.release}. */
  hang?: boolean;
}

export interface WebhookReceiver extends Disposable {
  readonly url: string;
  /** Accepted events, in arrival order. */
  readonly events: ReceivedWebhook[];
  /** `Hubbub-Event-Id` of every request that reached the receiver, accepted or not. */
  readonly requestIds: string[];
  /** Requests held open right now. */
  readonly held: number;
  /** Answers the requests held now with `status` (200 = accepted) and keeps holding new ones. */
  answerHeld(status: number): void;
  /** Stops hanging: held requests are answered `status` (200 = accepted), later ones handled normally. */
  release(status?: number): void;
  /** Resolves with the first accepted event matching `match` (already received or yet to come). */
  waitFor(match: (event: ReceivedWebhook) => boolean, timeoutMs?: number): Promise<ReceivedWebhook>;
  /** Resolves once `check` holds, re-checked on every request and every response. */
  until(check: () => boolean, timeoutMs?: number): Promise<void>;
}

export function startWebhookReceiver(secret: string, options: WebhookReceiverOptions = {}): WebhookReceiver {
  const events: ReceivedWebhook[] = [];
  const requestIds: string[] = [];
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of [...listeners]) listener();
  };
  let failures = options.failFirst ?? 0;
  let hanging = options.hang ?? false;
  const held = new Set<(status: number) => void>();

  const accept = (body: string, headerId: string): Response => {
    if (failures > 0) {
      failures--;
      return new Response("try later", { status: 503 });
    }
    events.push({ ...JSON.parse(body), headerId });
    return new Response("ok");
  };

  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(req) {
      const body = await req.text();
      const header = req.headers.get("hubbub-signature") ?? "";
      const headerId = req.headers.get("hubbub-event-id") ?? "";
      requestIds.push(headerId);
      const t = Number(/t=(\d+)/.exec(header)?.[1]);
      let response: Response;
      if (signWebhook(secret, t, body) !== header || Math.abs(Date.now() - t) > 60_000) {
        response = new Response("bad signature", { status: 401 });
      } else if (hanging) {
        const released = new Promise<number>((resolve) => held.add(resolve));
        changed();
        const status = await released;
        response = status === 200 ? accept(body, headerId) : new Response("released", { status });
      } else {
        response = accept(body, headerId);
      }
      changed();
      return response;
    },
  });

  const waitUntil = (check: () => boolean, timeoutMs: number, what: string): Promise<void> =>
    untilNotified(listeners, check, timeoutMs, () => `webhook receiver: ${what} not seen in ${timeoutMs} ms (${events.length} events, ${requestIds.length} requests)`);

  return {
    url: `http://127.0.0.1:${server.port}/hook`,
    events,
    requestIds,
    get held() {
      return held.size;
    },
    answerHeld(status) {
      const waiting = [...held];
      held.clear();
      for (const resolve of waiting) resolve(status);
    },
    release(status = 200) {
      hanging = false;
      this.answerHeld(status);
    },
    async waitFor(match, timeoutMs = 5000) {
      await waitUntil(() => events.some(match), timeoutMs, "a matching event");
      return events.find(match)!;
    },
    until(check, timeoutMs = 5000) {
      return waitUntil(check, timeoutMs, "the condition");
    },
    [Symbol.dispose]() {
      this.release(503);
      server.stop(true);
    },
  };
}

export type Observed =
  | { kind: "queued"; job: WebhookJobInfo; queuedBytes: number }
  | { kind: "dropped"; job: WebhookJobInfo; reason: "user" | "queue"; queuedBytes: number }
  | { kind: "attempted"; job: WebhookJobInfo; attempt: WebhookAttempt; queuedBytes: number };

/** Records what a dispatcher reports (with its queued bytes right after each change). */
export function observe(dispatcher: WebhookDispatcher) {
  const log: Observed[] = [];
  const listeners = new Set<() => void>();
  let maxQueuedBytes = 0;
  const record = (entry: Observed) => {
    log.push(entry);
    maxQueuedBytes = Math.max(maxQueuedBytes, entry.queuedBytes);
    for (const listener of [...listeners]) listener();
  };
  const bytes = () => dispatcher.stats.queuedBytes;
  dispatcher.observer.queued = (job) => record({ kind: "queued", job, queuedBytes: bytes() });
  dispatcher.observer.dropped = (job, reason) => record({ kind: "dropped", job, reason, queuedBytes: bytes() });
  dispatcher.observer.attempted = (job, attempt) => record({ kind: "attempted", job, attempt, queuedBytes: bytes() });
  return {
    log,
    /** The most queued bytes seen after any change. */
    get maxQueuedBytes() {
      return maxQueuedBytes;
    },
    of<K extends Observed["kind"]>(kind: K): Extract<Observed, { kind: K }>[] {
      return log.filter((e): e is Extract<Observed, { kind: K }> => e.kind === kind);
    },
    /** Resolves once `check` holds, re-checked after every report. */
    until(check: () => boolean, timeoutMs = 5000): Promise<void> {
      return untilNotified(listeners, check, timeoutMs, () => `dispatcher: condition not met in ${timeoutMs} ms (${log.length} reports)`);
    },
    /** Resolves with the `n`th attempt outcome (1-based), waiting for it if needed. */
    async attempt(n: number, timeoutMs = 5000) {
      await this.until(() => this.of("attempted").length >= n, timeoutMs);
      return this.of("attempted")[n - 1]!;
    },
  };
}

/**
 * Resolves once `check` holds, re-checked whenever a listener in `listeners` is called; rejects with
 * `problem()` after `timeoutMs`.
 */
function untilNotified(listeners: Set<() => void>, check: () => boolean, timeoutMs: number, problem: () => string): Promise<void> {
  if (check()) return Promise.resolve();
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  const listener = () => {
    if (!check()) return;
    listeners.delete(listener);
    clearTimeout(deadline);
    resolve();
  };
  const deadline = setTimeout(() => {
    listeners.delete(listener);
    reject(new Error(problem()));
  }, timeoutMs);
  listeners.add(listener);
  return promise;
}
