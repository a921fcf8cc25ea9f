/**
 * @module store/memory
 * A message store kept in process memory: nothing survives a restart. For ephemeral deployments
 * and tests; same semantics as the SQLite engine (both pass `test/store/contract.ts`).
 */

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

/** A stored message without a stream offset, plus the offsets it holds in each of its streams. */
interface MemMessage extends Omit<StoredMessage, "offset"> {
  /** Stream → offset of the entries that reference it, in append order. */
  refs: Map<string, number>;
}

/** A stream's log: `items[i]` sits at offset `oldest + i`; retained offsets are `[oldest, head]`. */
interface MemStream {
  epoch: string;
  head: number;
  oldest: number;
  items: MemMessage[];
}

function toStored(m: MemMessage, offset: number): StoredMessage {
  const out: StoredMessage = {
    id: m.id,
    conversation: m.conversation,
    from: m.from,
    time: m.time,
    payload: m.payload,
    state: m.state,
    offset,
  };
  if (m.updatedAt !== undefined) out.updatedAt = m.updatedAt;
  if (m.cmid !== undefined) out.cmid = m.cmid;
  return out;
}

/**
 * {@link MessageStore} in memory. Payloads are copied on the way in; returned payloads and
 * conversations are shared with the store and must not be mutated.
 */
export class MemoryStore implements MessageStore {
  readonly #streams = new Map<string, MemStream>();
  readonly #messages = new Map<string, MemMessage>();
  /** (sender, cmid) → message id. */
  readonly #clientIds = new ClientIdIndex<string>();
  /** Token deny-list: jti → until. */
  readonly #revocations = new Map<string, number>();
  /** user → cursor name → value. */
  readonly #cursors = new Map<string, Map<string, number>>();
  #closed = false;

  #check(): void {
    if (this.#closed) throw closedError();
  }

  #stream(key: string): MemStream {
    let s = this.#streams.get(key);
    if (s === undefined) this.#streams.set(key, (s = { epoch: newEpoch(), head: 0, oldest: 1, items: [] }));
    return s;
  }

  /** Drops `stream`'s reference from each message and deletes those left unreferenced. */
  #unref(stream: string, removed: readonly MemMessage[]): void {
    for (const m of removed) {
      m.refs.delete(stream);
      if (m.refs.size > 0) continue;
      this.#messages.delete(m.id);
      if (m.cmid !== undefined) this.#clientIds.forget(m.from, m.cmid, m.id);
    }
  }

  /** Writes nothing and throws `invalid` when an id is already stored (see the port for the rest). */
  async append(messages: NewMessage[]): Promise<AppendResult[]> {
    this.#check();
    checkBatch(messages);
    for (const m of messages) {
      if (this.#messages.has(m.id)) throw new StoreError("invalid", `message id ${m.id} already exists`);
    }
    return messages.map((m) => {
      const stored: MemMessage = {
        id: m.id,
        conversation: m.conversation.kind === "room"
          ? { kind: "room", room: m.conversation.room }
          : { kind: "direct", to: m.conversation.to },
        from: m.from,
        time: m.time,
        payload: m.payload.slice(),
        state: 0,
        refs: new Map(),
      };
      if (m.cmid !== undefined) {
        stored.cmid = m.cmid;
        this.#clientIds.add(m.from, m.cmid, m.id, m.time);
      }
      this.#messages.set(m.id, stored);
      const offsets = m.streams.map((key) => {
        const s = this.#stream(key);
        s.items.push(stored);
        s.head++;
        stored.refs.set(key, s.head);
        return s.head;
      });
      return { offsets };
    });
  }

  async read(stream: string, query: ReadQuery): Promise<ReadResult> {
    if (query.peer !== undefined) return readConversation((st, q) => this.read(st, q), stream, query);
    this.#check();
    checkReadQuery(query);
    const s = this.#stream(stream);
    const lo = Math.max(s.oldest, (query.after ?? 0) + 1);
    const hi = Math.min(s.head, (query.before ?? Number.MAX_SAFE_INTEGER) - 1);
    let from = lo;
    let to = hi;
    if (query.after !== undefined) to = Math.min(hi, lo + query.limit - 1);
    else from = Math.max(lo, hi - query.limit + 1);
    const messages: StoredMessage[] = [];
    for (let offset = from; offset <= to; offset++) messages.push(toStored(s.items[offset - s.oldest]!, offset));
    return { epoch: s.epoch, head: s.head, oldest: s.oldest, messages };
  }

  async peekHead(stream: string): Promise<number> {
    this.#check();
    return this.#streams.get(stream)?.head ?? 0;
  }

  async streamInfo(stream: string): Promise<StreamInfo> {
    this.#check();
    const s = this.#stream(stream);
    return { epoch: s.epoch, head: s.head, oldest: s.oldest };
  }

  async getMessage(id: string, stream?: string): Promise<StoredMessage | undefined> {
    this.#check();
    const m = this.#messages.get(id);
    if (m === undefined) return undefined;
    if (stream === undefined) return toStored(m, 0);
    const offset = m.refs.get(stream);
    return offset === undefined ? undefined : toStored(m, offset);
  }

  async updateMessage(id: string, update: MessageUpdate): Promise<StoredMessage | undefined> {
    this.#check();
    const m = this.#messages.get(id);
    if (m === undefined) return undefined;
    if (m.state === 2) {
      if (update.action === "edit") throw new StoreError("invalid", "message was recalled");
      return toStored(m, 0);
    }
    if (update.action === "edit") {
      m.state = 1;
      m.payload = update.payload.slice();
    } else {
      m.state = 2;
      m.payload = new Uint8Array(0);
    }
    m.updatedAt = update.time;
    return toStored(m, 0);
  }

  async findByClientId(from: string, cmid: string, sinceTime: number): Promise<IdempotentHit | undefined> {
    this.#check();
    const hit = this.#clientIds.get(from, cmid);
    if (hit === undefined || hit.time < sinceTime) return undefined;
    const m = this.#messages.get(hit.value);
    if (m === undefined) return undefined;
    return { id: m.id, time: hit.time, streams: [...m.refs.keys()], offsets: [...m.refs.values()] };
  }

  async advanceCursor(user: string, cursor: string, offset: number): Promise<number> {
    this.#check();
    checkOffset(offset, "cursor offset");
    let cursors = this.#cursors.get(user);
    if (cursors === undefined) this.#cursors.set(user, (cursors = new Map()));
    const value = Math.max(cursors.get(cursor) ?? 0, offset);
    cursors.set(cursor, value);
    return value;
  }

  async getCursor(user: string, cursor: string): Promise<number> {
    this.#check();
    return this.#cursors.get(user)?.get(cursor) ?? 0;
  }

  async listCursors(user: string, prefix: string): Promise<Map<string, number>> {
    this.#check();
    const out = new Map<string, number>();
    for (const [name, value] of this.#cursors.get(user) ?? []) if (name.startsWith(prefix)) out.set(name, value);
    return out;
  }

  async countAfter(stream: string, after: number, from?: string): Promise<number> {
    this.#check();
    checkOffset(after, "after");
    const s = this.#streams.get(stream);
    if (s === undefined) return 0;
    const first = Math.max(after + 1, s.oldest);
    if (from === undefined) return Math.max(0, s.head - first + 1);
    let n = 0;
    for (let i = first - s.oldest; i < s.items.length; i++) if (s.items[i]!.from === from) n++;
    return n;
  }

  /** Longest prefix wins; the age limit removes only the oldest run of expired messages (no gaps). */
  async applyRetention(rules: RetentionRule[], now: number, clientIdsBefore: number): Promise<number> {
    this.#check();
    let removed = 0;
    for (const [key, s] of this.#streams) {
      const rule = ruleFor(rules, key);
      if (rule === undefined) continue;
      let cut = countCutoff(rule, s.head, s.oldest);
      if (rule.maxAgeMs > 0) {
        const expired = now - rule.maxAgeMs;
        while (cut < s.head && s.items[cut + 1 - s.oldest]!.time < expired) cut++;
      }
      const n = cut - s.oldest + 1;
      if (n <= 0) continue;
      this.#unref(key, s.items.splice(0, n));
      s.oldest += n;
      removed += n;
    }
    this.#clientIds.forgetBefore(clientIdsBefore);
    return removed;
  }

  async resetStream(stream: string): Promise<StreamInfo> {
    this.#check();
    const s = this.#stream(stream);
    this.#unref(stream, s.items);
    Object.assign(s, { epoch: newEpoch(), head: 0, oldest: 1, items: [] });
    return { epoch: s.epoch, head: 0, oldest: 1 };
  }

  async revoke(jti: string, untilMs: number): Promise<void> {
    this.#check();
    this.#revocations.set(jti, Math.max(untilMs, this.#revocations.get(jti) ?? Number.NEGATIVE_INFINITY));
  }

  /** Deletes lapsed entries (`until <= now`) and returns the others. */
  async listRevocations(now: number): Promise<Map<string, number>> {
    this.#check();
    for (const [jti, until] of this.#revocations) if (until <= now) this.#revocations.delete(jti);
    return new Map(this.#revocations);
  }

  async ping(): Promise<boolean> {
    this.#check();
    return true;
  }

  /** Idempotent; drops all data. Every later call rejects with `unavailable`. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#streams.clear();
    this.#messages.clear();
    this.#clientIds.clear();
    this.#cursors.clear();
    this.#revocations.clear();
  }
}
