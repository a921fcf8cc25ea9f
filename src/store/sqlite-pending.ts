/**
 * @module store/sqlite-pending
 * The SQLite store's write-behind tail: stream entries appended since the last flush, kept in
 * memory and written to the `entries` table in bulk.
 *
 * Why: `entries` is clustered by `(stream, off)` so history reads are one b-tree walk, but then
 * every commit dirties the tail page of every stream it touches, and on a busy node each such page
 * is one more WAL frame per commit (the dominant append cost). Each appended message already
 * records its `(stream, offset)` pairs in its own row (`messages.refs`, a sequential write), so the
 * entries can be flushed every few thousand messages, sorted by stream, touching each tail page
 * once. After a crash the store rebuilds them from `messages.refs` past the flush watermark.
 */

/** A stream touched since the last flush: its pending entries have offsets `first, first + 1, …`. */
export interface PendingStream {
  /** Offset of `seqs[0]`; `head + 1` of the flushed entries. */
  first: number;
  /** Message `seq` of each pending entry, in offset order. */
  seqs: number[];
}

/** Head (newest offset) of a pending stream. */
export const pendingHead = (p: PendingStream): number => p.first + p.seqs.length - 1;

/**
 * Pending entries per stream. Invariants: offsets of a stream's pending entries follow its flushed
 * entries without a gap; a stream listed here with no entries just caches its head; changes are
 * applied only after the transaction that wrote the messages committed.
 */
export class PendingEntries {
  readonly #streams = new Map<string, PendingStream>();
  #count = 0;

  /** Number of pending entries over all streams. */
  get count(): number {
    return this.#count;
  }

  /** The pending state of `stream`, if it was touched since the last flush (or cached). */
  get(stream: string): PendingStream | undefined {
    return this.#streams.get(stream);
  }

  /** Records committed entries: `seqs` appended to `stream` after offset `head`. */
  add(stream: string, head: number, seqs: readonly number[]): void {
    let p = this.#streams.get(stream);
    if (p === undefined) this.#streams.set(stream, (p = { first: head + 1, seqs: [] }));
    for (const seq of seqs) p.seqs.push(seq);
    this.#count += seqs.length;
  }

  /**
   * Every pending entry as `[stream, offset, seq]`, streams in key order, plus `extra` (a batch not
   * yet recorded) merged in; what a flush writes.
   */
  flushList(extra: ReadonlyMap<string, { head: number; seqs: number[] }>): [string, number, number][] {
    const keys = new Set([...this.#streams.keys(), ...extra.keys()]);
    const out: [string, number, number][] = [];
    for (const key of [...keys].sort()) {
      const p = this.#streams.get(key);
      const e = extra.get(key);
      let offset = p !== undefined ? p.first : e!.head + 1;
      for (const seq of p?.seqs ?? []) out.push([key, offset++, seq]);
      for (const seq of e?.seqs ?? []) out.push([key, offset++, seq]);
    }
    return out;
  }

  /**
   * After a flush committed: forgets the flushed entries but keeps, as a head cache, the streams
   * that had entries (idle ones are dropped so the map stays bounded by recent activity).
   */
  flushed(extra: ReadonlyMap<string, { head: number; seqs: number[] }>): void {
    for (const [key, e] of extra) this.add(key, e.head, e.seqs);
    for (const [key, p] of this.#streams) {
      if (p.seqs.length === 0) this.#streams.delete(key);
      else this.#streams.set(key, { first: pendingHead(p) + 1, seqs: [] });
    }
    this.#count = 0;
  }

  /** Forgets everything, head caches included (after a reset or retention changed streams). */
  clear(): void {
    this.#streams.clear();
    this.#count = 0;
  }
}
