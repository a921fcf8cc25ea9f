/**
 * @module store/client-ids
 * The in-memory index of remembered client message ids: `(from, cmid)` → the message that last
 * used the pair, with the message time, in insertion order so expiry is a walk from the front.
 *
 * Engines keep the pair durably with the message itself (SQLite: `messages.sender`/`cmid`) and
 * rebuild this index at open; the memory index answers the common case without a b-tree walk. Past
 * its bound it forgets the oldest pairs early and says until when (`forgottenThrough`), so the
 * engine can look further back in its durable index and keep the idempotency window exact.
 */

/** One remembered pair, in the order they were added. */
interface Remembered<V> {
  key: string;
  value: V;
  time: number;
}

const keyOf = (from: string, cmid: string) => `${from}\u0000${cmid}`;

/**
 * `(from, cmid)` → `V` (a message reference). Invariants: a pair maps to the value added last;
 * `forgetBefore(t)` forgets pairs added with a time < t, walking from the oldest added and stopping
 * at the first younger one (times are the node's clock, nearly monotonic, so a pair with an
 * out-of-order time may be kept a little longer, never forgotten early); past `maxEntries` the
 * oldest added are forgotten first, and `forgottenThrough` is raised to the latest time so
 * forgotten: a miss for a window starting after it is a true miss.
 */
export class ClientIdIndex<V> {
  readonly #map = new Map<string, Remembered<V>>();
  /** Every added record, oldest first, from `#head`; records replaced or forgotten stay until passed. */
  #queue: Remembered<V>[] = [];
  #head = 0;
  #forgottenThrough = Number.NEGATIVE_INFINITY;

  /** @param maxEntries most pairs remembered at once (memory bound, about 150 bytes per pair). */
  constructor(readonly maxEntries = Number.POSITIVE_INFINITY) {}

  /** Pairs currently remembered. */
  get size(): number {
    return this.#map.size;
  }

  /**
   * The latest time of a pair forgotten early (by the bound, or not loaded: `markForgotten`);
   * −∞ if none. A lookup with `sinceTime > forgottenThrough` that misses is a true miss.
   */
  get forgottenThrough(): number {
    return this.#forgottenThrough;
  }

  /** Records that pairs with times up to `time` may be missing (an engine loaded only part of them). */
  markForgotten(time: number): void {
    this.#forgottenThrough = Math.max(this.#forgottenThrough, time);
  }

  /** The value and time remembered for the pair, if any. */
  get(from: string, cmid: string): { value: V; time: number } | undefined {
    return this.#map.get(keyOf(from, cmid));
  }

  /** Remembers the pair for `value`, replacing what it mapped to. */
  add(from: string, cmid: string, value: V, time: number): void {
    const record = { key: keyOf(from, cmid), value, time };
    this.#map.set(record.key, record);
    this.#queue.push(record);
    while (this.#map.size > this.maxEntries) {
      const dropped = this.#dropFront();
      if (dropped !== undefined) this.markForgotten(dropped.time);
    }
  }

  /** Forgets the pair if it still maps to `value` (its message was deleted). */
  forget(from: string, cmid: string, value: V): void {
    const key = keyOf(from, cmid);
    if (this.#map.get(key)?.value === value) this.#map.delete(key);
  }

  /** Forgets pairs added with a time before `time`, oldest first (see the class invariants). */
  forgetBefore(time: number): void {
    while (this.#head < this.#queue.length && this.#queue[this.#head]!.time < time) this.#dropFront();
    this.#compact();
  }

  /** Forgets everything. */
  clear(): void {
    this.#map.clear();
    this.#queue = [];
    this.#head = 0;
    this.#forgottenThrough = Number.NEGATIVE_INFINITY;
  }

  /** Passes the oldest record; returns it if it was still remembered (and is now forgotten). */
  #dropFront(): Remembered<V> | undefined {
    const record = this.#queue[this.#head++];
    let dropped: Remembered<V> | undefined;
    if (record !== undefined && this.#map.get(record.key) === record) {
      this.#map.delete(record.key);
      dropped = record;
    }
    if (this.#head >= 4096) this.#compact();
    return dropped;
  }

  /** Releases the passed part of the queue once it is a large share of it. */
  #compact(): void {
    if (this.#head > 0 && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
