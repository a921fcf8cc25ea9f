/**
 * @module node/committer
 * Group commit: publishes that arrive within one tick are appended to the store in one
 * transaction; each publisher's promise resolves only after its message is durable. Batches are
 * committed one after another, so messages keep their arrival order; `onCommitted` runs for each
 * message in offset order before any publisher hears back (fan-out happens before the ack).
 *
 * Client message ids: a message whose (sender, cmid) was already stored within the idempotency
 * window, or repeats one earlier in the same batch, is not appended again; its publisher gets the
 * original's result with `duplicate: true`.
 */
import type { MessageStore, NewMessage } from "../store/port.ts";

export interface CommitOutcome {
  id: string;
  time: number;
  /** Offsets in the message's streams, same order as `streams`. */
  offsets: number[];
  streams: string[];
  duplicate: boolean;
}

interface Pending<M extends NewMessage> {
  message: M;
  resolve: (outcome: CommitOutcome) => void;
  reject: (error: unknown) => void;
}

export interface CommitterStats {
  batches: number;
  messages: number;
  lastBatchSize: number;
  /** Sum of store append durations, ms. */
  appendMs: number;
}

export class GroupCommitter<M extends NewMessage = NewMessage> {
  private queue: Pending<M>[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> | undefined;
  readonly stats: CommitterStats = { batches: 0, messages: 0, lastBatchSize: 0, appendMs: 0 };

  constructor(
    private readonly store: MessageStore,
    private readonly intervalMs: number,
    private readonly idempotencyWindowMs: number,
    private readonly onCommitted: (message: M, offsets: number[]) => void,
    private readonly maxBatch = 4096,
  ) {}

  /** Queues a message; resolves when it is durable (or was a duplicate). */
  submit(message: M): Promise<CommitOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ message, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.kick(0);
      else this.kick(this.intervalMs);
    });
  }

  private kick(delay: number): void {
    if (this.flushing) return; // the running flush reschedules when it ends
    if (this.timer && delay > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flushAll().finally(() => {
        this.flushing = undefined;
        if (this.queue.length > 0) this.kick(this.intervalMs);
      });
    }, delay);
  }

  private async flushAll(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      await this.commit(batch);
    }
  }

  /** Commits everything queued now; resolves when it is durable. Used at shutdown. */
  async drain(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.flushing) await this.flushing;
    await this.flushAll();
  }

  private async commit(batch: Pending<M>[]): Promise<void> {
    const fresh: Pending<M>[] = [];
    const duplicates: Array<{ pending: Pending<M>; of: Pending<M> }> = [];
    const seen = new Map<string, Pending<M>>();
    try {
      const since = Date.now() - this.idempotencyWindowMs;
      for (const pending of batch) {
        const { cmid, from } = pending.message;
        if (cmid === undefined) {
          fresh.push(pending);
          continue;
        }
        const key = `${from}\u0000${cmid}`;
        const earlier = seen.get(key);
        if (earlier) {
          duplicates.push({ pending, of: earlier });
          continue;
        }
        const hit = await this.store.findByClientId(from, cmid, since);
        if (hit) {
          pending.resolve({ id: hit.id, time: hit.time, offsets: hit.offsets, streams: hit.streams, duplicate: true });
          continue;
        }
        seen.set(key, pending);
        fresh.push(pending);
      }
      const started = performance.now();
      const results = fresh.length > 0 ? await this.store.append(fresh.map((p) => p.message)) : [];
      this.stats.appendMs += performance.now() - started;
      this.stats.batches++;
      this.stats.messages += fresh.length;
      this.stats.lastBatchSize = fresh.length;
      const outcomes = new Map<Pending<M>, CommitOutcome>();
      fresh.forEach((pending, i) => {
        const offsets = results[i]!.offsets;
        const { message } = pending;
        this.onCommitted(message, offsets);
        outcomes.set(pending, { id: message.id, time: message.time, offsets, streams: message.streams, duplicate: false });
      });
      for (const pending of fresh) pending.resolve(outcomes.get(pending)!);
      for (const { pending, of } of duplicates) pending.resolve({ ...outcomes.get(of)!, duplicate: true });
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }
}
