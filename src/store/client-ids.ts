/**
 * @module store/client-ids
 * The in-memory index of remembered client message ids: `(from, cmid)` → the message that last
 * used the pair, with the message time, in insertion order so expiry is a walk from the front.
 *
 * Engines keep the pair durably with the message itself (SQLite: `messages.sender`/`cmid`) and
 * rebuild this index at open; keeping the lookup structure in memory avoids one random b-tree
 * insert per message, which is what limits an embedded store's append rate.
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
 * oldest added are forgotten first.
 */
export class ClientIdIndex<V> {
  readonly #map = new Map<string, Remembered<V>>();
  /** Every added record, oldest first, from `#head`; records replaced or forgotten stay until passed. */
  #queue: Remembered<V>[] = [];
  #head = 0;

  /** @param maxEntries most pairs remembered at once (memory bound, about 150 bytes per pair). */
  constructor(readonly maxEntries = Number.POSITIVE_INFINITY) {}

  /** Pairs currently remembered. */
  get size(): number {
    return this.#map.size;
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
    while (this.#map.size > this.maxEntries) this.#dropFront();
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
  }

  #dropFront(): void {
    const record = this.#queue[this.#head++];
    if (record !== undefined && this.#map.get(record.key) === record) this.#map.delete(record.key);
    if (this.#head >= 4096) this.#compact();
  }

  /** Releases the passed part of the queue once it is a large share of it. */
  #compact(): void {
    if (this.#head > 0 && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
