/**
 * A clock that moves only when a test says so (implements the webhooks' `WebhookClock`). Timers run
 * inside {@link ManualClock.advance}, in due order; tests await a timer being scheduled or cancelled
 * instead of sleeping.
 */
import type { WebhookClock } from "../../src/webhooks/clock.ts";

export class ManualClock implements WebhookClock {
  private time: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  private readonly listeners = new Set<() => void>();

  /** Starts at the wall-clock time by default, so signatures made with it look fresh to a receiver. */
  constructor(start = Date.now()) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  schedule(fn: () => void, ms: number): () => void {
    const id = ++this.seq;
    this.timers.set(id, { at: this.time + ms, fn });
    this.changed();
    return () => {
      if (this.timers.delete(id)) this.changed();
    };
  }

  /** Delays of the timers not yet run, ms from now, soonest first. */
  get pending(): number[] {
    return [...this.timers.values()].map((t) => t.at - this.time).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, running every timer that falls due (also ones scheduled meanwhile). */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      let dueId = -1;
      let due: { at: number; fn: () => void } | undefined;
      for (const [id, timer] of this.timers) if (timer.at <= target && (!due || timer.at < due.at)) [dueId, due] = [id, timer];
      if (!due) break;
      this.timers.delete(dueId);
      this.time = Math.max(this.time, due.at);
      due.fn();
    }
    this.time = target;
    this.changed();
  }

  /** Resolves once `check` holds, re-checked whenever a timer is scheduled, cancelled or time moves. */
  until(check: () => boolean, timeoutMs = 5000): Promise<void> {
    if (check()) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const listener = () => {
      if (!check()) return;
      this.listeners.delete(listener);
      clearTimeout(deadline);
      resolve();
    };
    const deadline = setTimeout(() => {
      this.listeners.delete(listener);
      reject(new Error("ManualClock.until: condition not met in time"));
    }, timeoutMs);
    this.listeners.add(listener);
    return promise;
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
