/**
 * @module store/port
 * The message store port: durable streams of messages. The embedded default is SQLite
 * (`store/sqlite.ts`); a PostgreSQL engine must pass the same contract suite (`test/store/contract.ts`).
 *
 * Model:
 * - A **message** has a unique id, a sender, a server time, an opaque payload (msgpack bytes), a
 *   state (normal / edited / recalled) and the conversation it belongs to (a room, or a direct
 *   conversation `from → to`).
 * - A **stream** is an ordered log of message references with dense offsets starting at 1:
 *   `room:<name>` for a room, `inbox:<user>` for a user's direct messages (both sender's and
 *   recipient's inboxes hold a direct message, each at its own offset).
 * - Each stream has an **epoch** (a random string) that changes when its history is reset or lost,
 *   so a client can tell that its remembered offset no longer means the same thing.
 * - **Cursors** are per-user positions: the inbox ack (`ack`) and read positions per channel.
 * - **Client ids** (`from`, `cmid`) are remembered so that a resend is recognised.
 *
 * All methods are async so networked engines fit; the SQLite engine completes synchronously inside.
 * Every method may throw {@link StoreError} with `code: "unavailable"` when the engine is unreachable.
 */

/** The conversation a message belongs to. */
export type Conversation = { kind: "room"; room: string } | { kind: "direct"; to: string };

/** Message state, same numbers as the protocol's MessageState. */
export type StoredState = 0 | 1 | 2;

/** A message to append. `id` and `time` are assigned by the caller (the node). */
export interface NewMessage {
  id: string;
  conversation: Conversation;
  from: string;
  /** Server time, ms since the Unix epoch. */
  time: number;
  /** Opaque payload bytes (the msgpack encoding of the application value). */
  payload: Uint8Array;
  /** Client message id, for idempotent resends; unique per sender while remembered. */
  cmid?: string;
  /** Streams to append the message to, in order (one for a room, two inboxes for a direct message). */
  streams: string[];
}

/** A message as read back from a stream. */
export interface StoredMessage {
  id: string;
  conversation: Conversation;
  from: string;
  time: number;
  /** Payload bytes; empty for a recalled message. */
  payload: Uint8Array;
  state: StoredState;
  /** When it was last edited or recalled, ms since the Unix epoch. */
  updatedAt?: number;
  cmid?: string;
  /** Offset in the stream it was read from. */
  offset: number;
}

/** The position and bounds of a stream. A stream that was never written has head 0. */
export interface StreamInfo {
  epoch: string;
  /** Offset of the newest message, 0 if none. */
  head: number;
  /** Offset of the oldest retained message; head + 1 when the stream holds none. */
  oldest: number;
}

/** Result of one appended message: its offset in each of its streams, same order as `streams`. */
export interface AppendResult {
  offsets: number[];
}

export interface ReadQuery {
  /** Only offsets strictly greater than this. */
  after?: number;
  /** Only offsets strictly less than this. */
  before?: number;
  /** At most this many messages (1..1000). With `before` and no `after`, the newest ones. */
  limit: number;
  /**
   * Only direct messages between the stream's owner and this user (for `inbox:<owner>` streams:
   * messages whose sender is `peer`, or whose sender is the owner and recipient is `peer`).
   * Offsets keep their stream meaning; pages are simply sparser.
   */
  peer?: string;
}

export interface ReadResult extends StreamInfo {
  /** Ascending by offset. */
  messages: StoredMessage[];
}

/** A message remembered under its sender's client id. */
export interface IdempotentHit {
  id: string;
  time: number;
  /** Offsets in the message's streams, same order as they were appended. */
  offsets: number[];
  streams: string[];
}

/** Retention for a group of streams (room namespace or inboxes). 0 means unlimited. */
export interface RetentionRule {
  /** Stream key prefix this rule applies to, e.g. `room:game:` or `inbox:`. */
  prefix: string;
  maxMessages: number;
  /** Maximum age in ms. */
  maxAgeMs: number;
}

export type MessageUpdate =
  | { action: "edit"; payload: Uint8Array; time: number }
  | { action: "recall"; time: number };

/** Thrown by store engines. `unavailable`: retry later; `invalid`: the request is wrong. */
export class StoreError extends Error {
  override readonly name = "StoreError";
  constructor(
    readonly code: "unavailable" | "invalid" | "not_found",
    message: string,
  ) {
    super(message);
  }
}

/**
 * The durable message store.
 *
 * Invariants every engine keeps (checked by the contract suite):
 * - `append` is atomic per call: all messages and all their stream entries are durable when the
 *   promise resolves, or none are. Offsets within a stream are dense and increase by one.
 * - Messages appended in one call get offsets in the order given.
 * - `read` never returns a gap inside what is retained: a stream's retained offsets are exactly
 *   `[oldest, head]`. Recalled messages stay (state 2, empty payload).
 * - A message whose last entry is removed (retention, reset) is deleted, with its client id.
 * - `resetStream` deletes a stream's entries and gives it a new epoch; its head goes back to 0.
 * - Cursors never move backwards through `advanceCursor`.
 */
export interface MessageStore {
  /**
   * Appends messages in one transaction (group commit). Throws `invalid` and writes nothing when a
   * message has no streams or lists one twice, when the batch repeats an id or a `(from, cmid)` pair
   * (callers de-duplicate a batch first), or when an id is already stored. A `(from, cmid)` pair
   * still remembered from an earlier append is taken over by the new message: callers decide what
   * is a resend with `findByClientId` and their own window.
   */
  append(messages: NewMessage[]): Promise<AppendResult[]>;
  /** Reads a stream's messages in a range (creates the epoch on first use, like `streamInfo`). `after`/`before` are integers >= 0. */
  read(stream: string, query: ReadQuery): Promise<ReadResult>;
  /** A stream's head (0 if never written) without creating it: a cheap "anything there?" check. */
  peekHead(stream: string): Promise<number>;
  /** A stream's epoch, head and oldest retained offset (creates the epoch on first use). */
  streamInfo(stream: string): Promise<StreamInfo>;
  /** One message by id, with its offset in `stream` if given (else 0); undefined if it has no retained entry in `stream`. */
  getMessage(id: string, stream?: string): Promise<StoredMessage | undefined>;
  /**
   * Edits or recalls a message. Returns the updated message (offset 0), or undefined if it does not
   * exist. Editing a recalled message throws `invalid`; recalling it again returns it unchanged.
   */
  updateMessage(id: string, update: MessageUpdate): Promise<StoredMessage | undefined>;
  /**
   * The message a sender last appended with `cmid`, if remembered and its time is at or after
   * `sinceTime`; `streams` and `offsets` list its entries still retained. A pair is forgotten by
   * `applyRetention` (`clientIdsBefore`) or when its message is removed.
   */
  findByClientId(from: string, cmid: string, sinceTime: number): Promise<IdempotentHit | undefined>;
  /** Moves a user's cursor forward (never back; `offset` an integer >= 0). Returns the cursor's value after the call. */
  advanceCursor(user: string, cursor: string, offset: number): Promise<number>;
  /** A user's cursor, 0 if never set. */
  getCursor(user: string, cursor: string): Promise<number>;
  /** All cursors of a user whose name starts with `prefix`. */
  listCursors(user: string, prefix: string): Promise<Map<string, number>>;
  /** Counts messages in `stream` with offset > `after`, optionally only those whose sender is `from`. */
  countAfter(stream: string, after: number, from?: string): Promise<number>;
  /**
   * Drops entries the rules no longer keep, and client-id memory older than `clientIdsBefore`.
   * Returns entries removed. The longest matching prefix decides a stream's rule. The count limit
   * keeps the newest `maxMessages`; the age limit removes the oldest run of messages with
   * `time < now - maxAgeMs` (stopping at the first younger one, so no gap opens).
   */
  applyRetention(rules: RetentionRule[], now: number, clientIdsBefore: number): Promise<number>;
  /** Deletes a stream's history and gives it a new epoch. */
  resetStream(stream: string): Promise<StreamInfo>;
  /** Puts a token id on the deny-list until `untilMs` (keeps the later of two entries). */
  revoke(jti: string, untilMs: number): Promise<void>;
  /** Deny-list entries still in force at `now`; lapsed ones may be deleted. */
  listRevocations(now: number): Promise<Map<string, number>>;
  /**
   * True when the engine can serve requests, writes included (what `/readyz` reports). Rejects with
   * `unavailable` when it cannot, the message saying why in words safe to show an operator (no
   * paths, no secrets): closed, unreachable, or — after a write failed — still unable to write
   * (engines that remember a failed write test with a real write here).
   */
  ping(): Promise<boolean>;
  /** Flushes and releases the engine. Idempotent; every other call afterwards rejects with `unavailable`. */
  close(): Promise<void>;
}
