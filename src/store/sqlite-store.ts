/**
 * @module store/sqlite-store
 * The SQLite engine of {@link MessageStore}. Open it with `openSqliteStore` (`store/sqlite.ts`).
 * Every method runs synchronously inside (the promise is already settled when returned).
 *
 * Append path: one transaction per batch writes the message rows (each with the `(stream, offset)`
 * pairs it got) and nothing per message elsewhere; stream entries stay pending in memory
 * (`store/sqlite-pending.ts`) and are flushed in bulk. Client ids are indexed in memory
 * (`store/client-ids.ts`). Both are rebuilt from the message rows at open.
 */

import type { Database } from "bun:sqlite";
import { ClientIdIndex } from "./client-ids.ts";
import { checkBatch, checkOffset, checkReadQuery, closedError, countCutoff, newEpoch, readConversation, ruleFor } from "./common.ts";
import type {
  AppendResult,
  IdempotentHit,
  MessageStore,
  MessageUpdate,
  NewMessage,
  ReadQuery,
  ReadResult,
  RetentionRule,
  StoredMessage,
  StreamInfo,
} from "./port.ts";
import { StoreError } from "./port.ts";
import { toStoreError, writeFailureOf } from "./sqlite-errors.ts";
import { PendingEntries, pendingHead } from "./sqlite-pending.ts";
import {
  finalizeStatements,
  parseRefs,
  prepareStatements,
  toStoredMessage,
  type MessageRow,
  type Statements,
} from "./sqlite-statements.ts";

/** Engine options (the file-level ones are in `SqliteStoreOptions`). */
export interface SqliteEngineOptions {
  /**
   * How far back, ms, the client-id index is rebuilt from stored messages at open; set it to the
   * node's idempotency window. Default 600000 (10 minutes).
   */
  clientIdWindowMs?: number;
  /**
   * Most client ids remembered in memory (about 150 bytes each); past it the oldest are forgotten
   * early, shortening the idempotency window under sustained extreme load. Default 1000000.
   */
  maxClientIds?: number;
  /** Flush pending stream entries once this many are pending. Default 8192. */
  flushEntries?: number;
  /** … or when the last flush is older than this, ms (checked at each append). Default 1000. */
  flushIntervalMs?: number;
}

/** A message a transaction deleted, to forget its client id once the transaction committed. */
interface Dropped {
  seq: number;
  sender: string;
  cmid: string | null;
}

/** Entries of one append batch per stream: `seqs` follow offset `head`. */
type Staged = Map<string, { head: number; seqs: number[] }>;

/**
 * {@link MessageStore} on SQLite. Invariants beyond the port's: the file is written by this
 * connection only (heads are cached); stream rows are never deleted; a stream's flushed entries
 * form the contiguous range `[oldest, flushed head]` and its pending ones continue it; memory
 * state (pending entries, client ids) changes only after the transaction behind it committed.
 *
 * Write failures: when a call fails because the file cannot be written (disk full, read-only, I/O
 * error), the store remembers it; from then on `ping` makes a small real write and rejects until
 * one succeeds (or an `append` does), so readiness follows the store's ability to write.
 */
export class SqliteStore implements MessageStore {
  readonly #db: Database;
  readonly #s: Statements;
  readonly #clientIds: ClientIdIndex<number>;
  readonly #pending = new PendingEntries();
  readonly #flushEntries: number;
  readonly #flushIntervalMs: number;
  readonly #appendBatch: (batch: readonly NewMessage[], flush: boolean) => { results: AppendResult[]; seqs: number[]; staged: Staged };
  readonly #flushTx: () => void;
  readonly #trim: (stream: string, rule: RetentionRule, now: number) => { entries: number; dropped: Dropped[] };
  readonly #reset: (stream: string) => { info: StreamInfo; dropped: Dropped[] };
  #lastFlush = Date.now();
  #lastSeq = 0;
  #closed = false;
  /** Why the last write failed (SQLite's message and code), until a write succeeds again. */
  #writeFailure: string | undefined;

  /** Use `openSqliteStore`; `db` must already be migrated. Recovers unflushed entries. */
  constructor(db: Database, options: SqliteEngineOptions = {}) {
    this.#db = db;
    this.#s = prepareStatements(db);
    this.#clientIds = new ClientIdIndex(options.maxClientIds ?? 1_000_000);
    this.#flushEntries = Math.max(1, options.flushEntries ?? 8192);
    this.#flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.#appendBatch = db.transaction(this.#appendTx).immediate;
    this.#flushTx = db.transaction(this.#flushPendingTx).immediate;
    this.#trim = db.transaction(this.#trimTx).immediate;
    this.#reset = db.transaction(this.#resetTx).immediate;
    this.#recover();
    this.#rebuildClientIds(Date.now() - (options.clientIdWindowMs ?? 600_000));
  }

  /** The underlying connection, for SQLite-specific tests and tools. */
  get database(): Database {
    return this.#db;
  }

  /** Writes the entries of messages past the flush watermark (left pending by a crash). */
  #recover(): void {
    const s = this.#s;
    const flushed = s.flushedSeq.get()!.value;
    // Deletions happen only after a flush, so seqs above `flushed` were never used: no reuse.
    this.#lastSeq = Math.max(flushed, s.lastSeq.get()?.seq ?? 0);
    if (this.#lastSeq === flushed) return;
    this.#db.transaction(() => {
      for (const { seq, refs } of s.refsAfter.all(flushed)) {
        for (const [stream, offset] of parseRefs(refs)) s.insertEntry.run(stream, offset, seq);
      }
      s.setFlushedSeq.run(this.#lastSeq);
    }).immediate();
  }

  /** Loads the client ids of messages with `time >= since`, newest first until a minute older than that. */
  #rebuildClientIds(since: number): void {
    const found: { seq: number; sender: string; cmid: string; time: number }[] = [];
    for (const row of this.#s.clientIdsNewestFirst.iterate()) {
      if (row.time < since - 60_000 || found.length >= this.#clientIds.maxEntries) break;
      if (row.cmid !== null && row.time >= since) found.push({ ...row, cmid: row.cmid });
    }
    for (let i = found.length - 1; i >= 0; i--) {
      const r = found[i]!;
      this.#clientIds.add(r.sender, r.cmid, r.seq, r.time);
    }
  }

  /**
   * Runs `fn` unless closed, mapping SQLite errors to {@link StoreError} and remembering those that
   * mean the file cannot be written.
   */
  #use<T>(fn: () => T): T {
    if (this.#closed) throw closedError();
    try {
      return fn();
    } catch (error) {
      this.#writeFailure = writeFailureOf(error) ?? this.#writeFailure;
      throw toStoreError(error);
    }
  }

  /** Epoch, head and oldest of an existing stream, pending entries included; undefined if never used. */
  #infoOf(stream: string): StreamInfo | undefined {
    const row = this.#s.streamInfo.get(stream);
    if (row === null) return undefined;
    const p = this.#pending.get(stream);
    if (p === undefined || p.seqs.length === 0) return { epoch: row.epoch, head: row.head, oldest: row.oldest ?? row.head + 1 };
    return { epoch: row.epoch, head: pendingHead(p), oldest: row.oldest ?? p.first };
  }

  /** Like {@link #infoOf}, creating the stream (and its epoch) on first use. */
  #info(stream: string): StreamInfo {
    const info = this.#infoOf(stream);
    if (info !== undefined) return info;
    const epoch = newEpoch();
    this.#s.insertStream.run(stream, epoch);
    return { epoch, head: 0, oldest: 1 };
  }

  /** True when `stream` still maps `offset` to message `seq` (pending or flushed). */
  #holds(stream: string, offset: number, seq: number): boolean {
    const p = this.#pending.get(stream);
    if (p !== undefined && offset >= p.first) return p.seqs[offset - p.first] === seq;
    return this.#s.entryAt.get(stream, offset)?.msg === seq;
  }

  /** The retained `(stream, offset)` pairs of a message row, in append order. */
  #retainedRefs(row: Pick<MessageRow, "seq" | "refs">) {
    return parseRefs(row.refs).filter(([stream, offset]) => this.#holds(stream, offset, row.seq));
  }

  readonly #appendTx = (batch: readonly NewMessage[], flush: boolean) => {
    const s = this.#s;
    const staged: Staged = new Map();
    const results: AppendResult[] = [];
    const seqs: number[] = [];
    let seq = this.#lastSeq;
    for (const m of batch) {
      const streams = m.streams.map((key) => {
        let st = staged.get(key);
        if (st === undefined) {
          const p = this.#pending.get(key);
          let head: number;
          if (p !== undefined) head = pendingHead(p);
          else {
            const row = s.streamHead.get(key);
            if (row === null) s.insertStream.run(key, newEpoch());
            head = row?.head ?? 0;
          }
          staged.set(key, (st = { head, seqs: [] }));
        }
        return st;
      });
      const offsets = streams.map((st) => st.head + st.seqs.length + 1);
      const c = m.conversation;
      s.insertMessage.run(++seq, m.id, c.kind === "room" ? 0 : 1, c.kind === "room" ? c.room : c.to, m.from, m.time,
        m.payload, m.cmid ?? null, JSON.stringify(m.streams.map((key, i) => [key, offsets[i]])));
      for (const st of streams) st.seqs.push(seq);
      results.push({ offsets });
      seqs.push(seq);
    }
    if (flush) {
      for (const [stream, offset, seq] of this.#pending.flushList(staged)) s.insertEntry.run(stream, offset, seq);
      s.setFlushedSeq.run(seqs[seqs.length - 1]!);
    }
    return { results, seqs, staged };
  };

  /**
   * One transaction for the whole batch. A message id already stored, or a batch that repeats an id
   * or a `(from, cmid)` pair, throws `invalid` and writes nothing.
   */
  async append(messages: NewMessage[]): Promise<AppendResult[]> {
    return this.#use(() => {
      checkBatch(messages);
      if (messages.length === 0) return [];
      const now = Date.now();
      let entries = this.#pending.count;
      for (const m of messages) entries += m.streams.length;
      const flush = entries >= this.#flushEntries || now - this.#lastFlush >= this.#flushIntervalMs;
      const { results, seqs, staged } = this.#appendBatch(messages, flush);
      if (flush) {
        this.#pending.flushed(staged);
        this.#lastFlush = now;
      } else {
        for (const [stream, st] of staged) this.#pending.add(stream, st.head, st.seqs);
      }
      this.#lastSeq = seqs[seqs.length - 1]!;
      messages.forEach((m, i) => {
        if (m.cmid !== undefined) this.#clientIds.add(m.from, m.cmid, seqs[i]!, m.time);
      });
      this.#writeFailure = undefined;
      return results;
    });
  }

  readonly #flushPendingTx = (): void => {
    for (const [stream, offset, seq] of this.#pending.flushList(new Map())) this.#s.insertEntry.run(stream, offset, seq);
    this.#s.setFlushedSeq.run(this.#lastSeq);
  };

  /** Writes every pending entry and forgets the head caches (before retention, reset, close). */
  #flushAll(): void {
    if (this.#pending.count > 0) this.#flushTx();
    this.#pending.clear();
    this.#lastFlush = Date.now();
  }

  async read(stream: string, query: ReadQuery): Promise<ReadResult> {
    if (query.peer !== undefined) return readConversation((st, q) => this.read(st, q), stream, query);
    return this.#use(() => {
      checkReadQuery(query);
      const info = this.#info(stream);
      const lo = Math.max(info.oldest, (query.after ?? 0) + 1);
      const hi = Math.min(info.head, (query.before ?? Number.MAX_SAFE_INTEGER) - 1);
      const from = query.after !== undefined ? lo : Math.max(lo, hi - query.limit + 1);
      const to = query.after !== undefined ? Math.min(hi, lo + query.limit - 1) : hi;
      const messages: StoredMessage[] = [];
      if (from <= to) {
        const p = this.#pending.get(stream);
        const pendingFirst = p !== undefined && p.seqs.length > 0 ? p.first : Number.POSITIVE_INFINITY;
        if (from < pendingFirst) {
          for (const row of this.#s.readRange.all(stream, from, Math.min(to, pendingFirst - 1))) {
            messages.push(toStoredMessage(row));
          }
        }
        for (let offset = Math.max(from, pendingFirst); offset <= to; offset++) {
          const row = this.#s.messageBySeq.get(p!.seqs[offset - p!.first]!);
          if (row !== null) messages.push(toStoredMessage(row, offset));
        }
      }
      return { ...info, messages };
    });
  }

  async peekHead(stream: string): Promise<number> {
    return this.#use(() => this.#infoOf(stream)?.head ?? 0);
  }

  async streamInfo(stream: string): Promise<StreamInfo> {
    return this.#use(() => this.#info(stream));
  }

  async getMessage(id: string, stream?: string): Promise<StoredMessage | undefined> {
    return this.#use(() => {
      const row = this.#s.messageById.get(id);
      if (row === null) return undefined;
      if (stream === undefined) return toStoredMessage(row, 0);
      const ref = parseRefs(row.refs).find(([key]) => key === stream);
      if (ref === undefined || !this.#holds(stream, ref[1], row.seq)) return undefined;
      return toStoredMessage(row, ref[1]);
    });
  }

  async updateMessage(id: string, update: MessageUpdate): Promise<StoredMessage | undefined> {
    return this.#use(() => {
      const row = this.#s.messageById.get(id);
      if (row === null) return undefined;
      if (row.state === 2) {
        if (update.action === "edit") throw new StoreError("invalid", "message was recalled");
        return toStoredMessage(row, 0);
      }
      if (update.action === "edit") {
        this.#s.edit.run(update.payload, update.time, row.seq);
        return toStoredMessage({ ...row, state: 1, payload: update.payload.slice(), updated_at: update.time }, 0);
      }
      this.#s.recall.run(update.time, row.seq);
      return toStoredMessage({ ...row, state: 2, payload: new Uint8Array(0), updated_at: update.time }, 0);
    });
  }

  async findByClientId(from: string, cmid: string, sinceTime: number): Promise<IdempotentHit | undefined> {
    return this.#use(() => {
      const hit = this.#clientIds.get(from, cmid);
      if (hit === undefined || hit.time < sinceTime) return undefined;
      const row = this.#s.messageBySeq.get(hit.value);
      if (row === null) return undefined;
      const refs = this.#retainedRefs(row);
      return { id: row.id, time: row.time, streams: refs.map((r) => r[0]), offsets: refs.map((r) => r[1]) };
    });
  }

  async advanceCursor(user: string, cursor: string, offset: number): Promise<number> {
    return this.#use(() => {
      checkOffset(offset, "cursor offset");
      return this.#s.advanceCursor.get(user, cursor, offset)!.value;
    });
  }

  async getCursor(user: string, cursor: string): Promise<number> {
    return this.#use(() => this.#s.getCursor.get(user, cursor)?.value ?? 0);
  }

  async listCursors(user: string, prefix: string): Promise<Map<string, number>> {
    return this.#use(() => new Map(this.#s.listCursors.all(user, prefix).map((r) => [r.name, r.value])));
  }

  async countAfter(stream: string, after: number, from?: string): Promise<number> {
    return this.#use(() => {
      checkOffset(after, "after");
      const info = this.#infoOf(stream);
      if (info === undefined) return 0;
      // Retained entries are exactly [oldest, head], so without `from` no scan is needed.
      if (from === undefined) return Math.max(0, info.head - Math.max(after, info.oldest - 1));
      let n = this.#s.countFrom.get(stream, after, from)!.n;
      const p = this.#pending.get(stream);
      if (p !== undefined) {
        for (let i = Math.max(0, after + 1 - p.first); i < p.seqs.length; i++) {
          if (this.#s.senderOf.get(p.seqs[i]!)?.sender === from) n++;
        }
      }
      return n;
    });
  }

  /** Deletes the messages among `rows` that no entry references any more (nothing pending). */
  #dropOrphans(rows: { msg: number }[]): Dropped[] {
    const dropped: Dropped[] = [];
    for (const { msg } of rows) {
      const row = this.#s.refsOf.get(msg);
      if (row === null || this.#retainedRefs({ seq: msg, refs: row.refs }).length > 0) continue;
      const gone = this.#s.deleteMessage.get(msg);
      if (gone !== null) dropped.push({ seq: msg, ...gone });
    }
    return dropped;
  }

  #forget(dropped: readonly Dropped[]): void {
    for (const d of dropped) if (d.cmid !== null) this.#clientIds.forget(d.sender, d.cmid, d.seq);
  }

  /** Removes the entries `rule` no longer keeps from one stream, in one transaction. */
  readonly #trimTx = (stream: string, rule: RetentionRule, now: number) => {
    const s = this.#s;
    const nothing = { entries: 0, dropped: [] };
    const row = s.streamInfo.get(stream);
    if (row === null || row.oldest === null) return nothing;
    const { head, oldest } = row;
    let cut = countCutoff(rule, head, oldest);
    if (rule.maxAgeMs > 0) {
      // Only the oldest run of expired messages goes, so the retained range has no gap.
      const expired = now - rule.maxAgeMs;
      const page = 256;
      for (;;) {
        const rows = s.timesFrom.all(stream, cut, page);
        const young = rows.findIndex((r) => r.time >= expired);
        if (young >= 0) {
          if (young > 0) cut = rows[young - 1]!.off;
          break;
        }
        if (rows.length === 0) break;
        cut = rows[rows.length - 1]!.off;
        if (rows.length < page) break;
      }
    }
    if (cut < oldest) return nothing;
    s.setHead.run(head, stream); // the head must survive its entries
    const removed = s.deleteEntriesUpTo.all(stream, cut);
    return { entries: removed.length, dropped: this.#dropOrphans(removed) };
  };

  /**
   * Longest prefix wins per stream; each stream is trimmed in its own transaction, so a long run
   * never holds the write lock for long. Messages left without entries are deleted.
   */
  async applyRetention(rules: RetentionRule[], now: number, clientIdsBefore: number): Promise<number> {
    return this.#use(() => {
      this.#flushAll();
      const targets = new Map<string, RetentionRule>();
      for (const rule of rules) {
        for (const { key } of this.#s.streamKeysFrom.iterate(rule.prefix)) {
          if (!key.startsWith(rule.prefix)) break;
          if (targets.has(key)) continue;
          const best = ruleFor(rules, key)!;
          if (best.maxMessages > 0 || best.maxAgeMs > 0) targets.set(key, best);
        }
      }
      let removed = 0;
      for (const [stream, rule] of targets) {
        const { entries, dropped } = this.#trim(stream, rule, now);
        this.#forget(dropped);
        removed += entries;
      }
      this.#clientIds.forgetBefore(clientIdsBefore);
      return removed;
    });
  }

  readonly #resetTx = (stream: string) => {
    const dropped = this.#dropOrphans(this.#s.deleteEntriesUpTo.all(stream, Number.MAX_SAFE_INTEGER));
    const epoch = newEpoch();
    this.#s.resetStream.run(stream, epoch);
    return { info: { epoch, head: 0, oldest: 1 }, dropped };
  };

  async resetStream(stream: string): Promise<StreamInfo> {
    return this.#use(() => {
      this.#flushAll();
      const { info, dropped } = this.#reset(stream);
      this.#forget(dropped);
      return info;
    });
  }

  async revoke(jti: string, untilMs: number): Promise<void> {
    this.#use(() => this.#s.revoke.run(jti, untilMs));
  }

  /** Deletes lapsed entries (`until <= now`) and returns the others. */
  async listRevocations(now: number): Promise<Map<string, number>> {
    return this.#use(() => {
      this.#s.deleteLapsedRevocations.run(now);
      return new Map(this.#s.revocations.all().map((r) => [r.jti, r.until]));
    });
  }

  /**
   * True when the store can serve requests. After a failed write (see the class comment) it first
   * makes a small real write (one row of `meta`, one WAL frame, fsynced under `synchronous=FULL`);
   * while that fails it rejects with `unavailable`: "message store cannot write: <SQLite's reason>".
   */
  async ping(): Promise<boolean> {
    return this.#use(() => {
      if (this.#writeFailure !== undefined) {
        try {
          this.#s.probeWrite.run();
        } catch (error) {
          const failure = writeFailureOf(error);
          if (failure === undefined) throw error;
          this.#writeFailure = failure;
          throw new StoreError("unavailable", `message store cannot write: ${failure}`);
        }
        this.#writeFailure = undefined;
      }
      return this.#s.ping.get()?.one === 1;
    });
  }

  /** Idempotent. Flushes pending entries, checkpoints the WAL and closes the file; later calls reject. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      this.#flushAll();
      this.#db.run("PRAGMA optimize");
    } catch {
      // best effort: unflushed entries are recovered at the next open
    }
    this.#closed = true;
    this.#clientIds.clear();
    finalizeStatements(this.#s);
    this.#db.close(true);
  }
}
