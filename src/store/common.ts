/**
 * @module store/common
 * Checks and helpers shared by every message store engine, so that all engines reject the same
 * requests with the same {@link StoreError} and pick retention rules the same way.
 */

import { StoreError, type NewMessage, type ReadQuery, type ReadResult, type RetentionRule, type StoredMessage } from "./port.ts";

/** Largest `limit` accepted by `read`. */
export const MAX_READ_LIMIT = 1000;

/** A fresh random stream epoch: 8 random bytes as 16 lowercase hex characters. */
export function newEpoch(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** The error every engine throws once it has been closed. */
export function closedError(): StoreError {
  return new StoreError("unavailable", "message store is closed");
}

/** Throws `invalid` unless `value` is a safe integer ≥ 0 (an offset or a cursor position). */
export function checkOffset(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new StoreError("invalid", `${what} must be an integer >= 0, got ${value}`);
  }
}

/** Validates a read query: `limit` in 1..{@link MAX_READ_LIMIT}, `after`/`before` offsets when given. */
export function checkReadQuery(query: ReadQuery): void {
  const { limit, after, before } = query;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_READ_LIMIT) {
    throw new StoreError("invalid", `limit must be an integer in 1..${MAX_READ_LIMIT}, got ${limit}`);
  }
  if (after !== undefined) checkOffset(after, "after");
  if (before !== undefined) checkOffset(before, "before");
}

/**
 * Rejects what an engine cannot detect cheaply itself and that would otherwise half-apply a batch:
 * a message without streams or with a repeated stream, and two messages of the batch sharing an id
 * or a `(from, cmid)` pair. Throws `invalid`; nothing has been written at that point.
 */
export function checkBatch(messages: readonly NewMessage[]): void {
  const ids = new Set<string>();
  const pairs = new Set<string>();
  for (const m of messages) {
    const { streams } = m;
    if (streams.length === 0) throw new StoreError("invalid", `message ${m.id} has no streams`);
    if (streams.length > 1 && (streams.length === 2 ? streams[0] === streams[1] : new Set(streams).size !== streams.length)) {
      throw new StoreError("invalid", `message ${m.id} lists a stream twice`);
    }
    const size = ids.size;
    if (ids.add(m.id).size === size) throw new StoreError("invalid", `message id ${m.id} appears twice in the batch`);
    if (m.cmid === undefined) continue;
    const pairsBefore = pairs.size;
    if (pairs.add(`${m.from}\u0000${m.cmid}`).size === pairsBefore) {
      throw new StoreError("invalid", `client id ${m.cmid} of ${m.from} appears twice in the batch`);
    }
  }
}

/** The rule whose prefix is the longest prefix of `stream`, if any (ties: the first listed). */
export function ruleFor(rules: readonly RetentionRule[], stream: string): RetentionRule | undefined {
  let best: RetentionRule | undefined;
  for (const rule of rules) {
    if (stream.startsWith(rule.prefix) && (best === undefined || rule.prefix.length > best.prefix.length)) {
      best = rule;
    }
  }
  return best;
}

/**
 * The highest offset retention removes from a stream whose retained range is `[oldest, head]`,
 * considering only the count limit (the age limit needs message times, see the engines).
 * Returns `oldest - 1` when nothing goes.
 */
export function countCutoff(rule: RetentionRule, head: number, oldest: number): number {
  if (rule.maxMessages <= 0) return oldest - 1;
  return Math.max(oldest - 1, head - rule.maxMessages);
}

/** True when `m` is a direct message between `owner` and `peer` (either direction). */
export function isBetween(m: StoredMessage, owner: string, peer: string): boolean {
  if (m.conversation.kind !== "direct") return false;
  const to = m.conversation.to;
  return (m.from === peer && to === owner) || (m.from === owner && to === peer);
}

/**
 * A `read` with `peer` set, built on the engine's unfiltered read: walks the stream in windows in
 * the query's direction and keeps the messages between the stream owner (`inbox:<owner>`) and the
 * peer, until `limit` are found or the range is exhausted. Same paging semantics as an
 * unfiltered read; only sparser.
 */
export async function readConversation(
  read: (stream: string, query: ReadQuery) => Promise<ReadResult>,
  stream: string,
  query: ReadQuery,
): Promise<ReadResult> {
  const peer = query.peer!;
  const owner = stream.startsWith("inbox:") ? stream.slice("inbox:".length) : "";
  const found: StoredMessage[] = [];
  let info: ReadResult | undefined;
  if (query.after !== undefined) {
    let after = query.after;
    for (;;) {
      const page = await read(stream, { after, limit: MAX_READ_LIMIT, ...(query.before !== undefined ? { before: query.before } : {}) });
      info ??= page;
      for (const m of page.messages) if (found.length < query.limit && isBetween(m, owner, peer)) found.push(m);
      if (found.length >= query.limit || page.messages.length < MAX_READ_LIMIT) break;
      after = page.messages[page.messages.length - 1]!.offset;
    }
    return { epoch: info.epoch, head: info.head, oldest: info.oldest, messages: found };
  }
  let before = query.before;
  for (;;) {
    const page = await read(stream, { limit: MAX_READ_LIMIT, ...(before !== undefined ? { before } : {}) });
    info ??= page;
    const matching = page.messages.filter((m) => isBetween(m, owner, peer));
    found.unshift(...matching.slice(Math.max(0, matching.length - (query.limit - found.length))));
    if (found.length >= query.limit || page.messages.length < MAX_READ_LIMIT) break;
    before = page.messages[0]!.offset;
  }
  return { epoch: info.epoch, head: info.head, oldest: info.oldest, messages: found };
}
