/**
 * @module webhooks/clock
 * The time source of the webhook dispatcher and its presence hooks: event times, signature
 * timestamps, retry deadlines and the offline grace period all come from one injected clock, so a
 * test decides when a retry or an offline report happens instead of sleeping and hoping.
 */
export interface WebhookClock {
  /** Now, in ms since the Unix epoch. */
  now(): number;
  /** Calls `fn` once, `ms` ms from now (per this clock); the returned function cancels the call. */
  schedule(fn: () => void, ms: number): () => void;
}

/** Wall-clock time and `setTimeout`. */
export const systemClock: WebhookClock = {
  now: () => Date.now(),
  schedule(fn, ms) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};
