/**
 * @module store/sqlite-statements
 * Every SQL statement the SQLite store runs, prepared once per connection, and the row shapes they
 * return. Schema: `store/sqlite-schema.ts`. Offsets are the `off` column (`offset` is an SQL keyword).
 */

import type { Database } from "bun:sqlite";
import type { StoredMessage, StoredState } from "./port.ts";

/** A `messages` row, with the offset of the entry it was read through (0 when none). */
export interface MessageRow {
  seq: number;
  id: string;
  kind: number;
  target: string;
  sender: string;
  time: number;
  payload: Uint8Array;
  state: number;
  updated_at: number | null;
  cmid: string | null;
  refs: string;
  off?: number;
}

/** The `(stream, offset)` pairs a message was appended at, from `messages.refs`. */
export type Refs = [stream: string, offset: number][];

export const parseRefs = (refs: string): Refs => JSON.parse(refs) as Refs;

/** Converts a row to the port's shape, with `offset` (default: the row's `off`, else 0). */
export function toStoredMessage(row: MessageRow, offset = row.off ?? 0): StoredMessage {
  const message: StoredMessage = {
    id: row.id,
    conversation: row.kind === 0 ? { kind: "room", room: row.target } : { kind: "direct", to: row.target },
    from: row.sender,
    time: row.time,
    payload: row.payload,
    state: row.state as StoredState,
    offset,
  };
  if (row.updated_at !== null) message.updatedAt = row.updated_at;
  if (row.cmid !== null) message.cmid = row.cmid;
  return message;
}

const MESSAGE_COLUMNS = "m.seq, m.id, m.kind, m.target, m.sender, m.time, m.payload, m.state, m.updated_at, m.cmid, m.refs";

/** Prepares every statement; call {@link finalizeStatements} before closing the connection. */
export function prepareStatements(db: Database) {
  return {
    // meta
    flushedSeq: db.prepare<{ value: number }, []>("SELECT value FROM meta WHERE key = 'flushed_seq'"),
    setFlushedSeq: db.prepare<never, [number]>("UPDATE meta SET value = ? WHERE key = 'flushed_seq'"),

    // streams
    /** Epoch, flushed head and oldest flushed offset (null when no entries) of an existing stream. */
    streamInfo: db.prepare<{ epoch: string; head: number; oldest: number | null }, [string]>(
      `SELECT s.epoch,
         MAX(s.head, IFNULL((SELECT MAX(off) FROM entries WHERE stream = s.key), 0)) AS head,
         (SELECT MIN(off) FROM entries WHERE stream = s.key) AS oldest
       FROM streams s WHERE s.key = ?`,
    ),
    /** Flushed head of an existing stream. */
    streamHead: db.prepare<{ head: number }, [string]>(
      "SELECT MAX(s.head, IFNULL((SELECT MAX(off) FROM entries WHERE stream = s.key), 0)) AS head FROM streams s WHERE s.key = ?",
    ),
    insertStream: db.prepare<never, [string, string]>("INSERT INTO streams (key, epoch, head) VALUES (?, ?, 0)"),
    setHead: db.prepare<never, [number, string]>("UPDATE streams SET head = ? WHERE key = ?"),
    resetStream: db.prepare<never, [string, string]>(
      "INSERT INTO streams (key, epoch, head) VALUES (?, ?, 0) ON CONFLICT (key) DO UPDATE SET epoch = excluded.epoch, head = 0",
    ),
    streamKeysFrom: db.prepare<{ key: string }, [string]>("SELECT key FROM streams WHERE key >= ? ORDER BY key"),

    // append and flush
    insertMessage: db.prepare<never, [number, string, number, string, string, number, Uint8Array, string | null, string]>(
      "INSERT INTO messages (seq, id, kind, target, sender, time, payload, cmid, refs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    insertEntry: db.prepare<never, [string, number, number]>("INSERT INTO entries (stream, off, msg) VALUES (?, ?, ?)"),
    /** Messages past the flush watermark, oldest first (crash recovery). */
    refsAfter: db.prepare<{ seq: number; refs: string }, [number]>(
      "SELECT seq, refs FROM messages WHERE seq > ? ORDER BY seq",
    ),
    lastSeq: db.prepare<{ seq: number | null }, []>("SELECT MAX(seq) AS seq FROM messages"),

    // reads
    readRange: db.prepare<MessageRow, [string, number, number]>(
      `SELECT e.off, ${MESSAGE_COLUMNS} FROM entries e JOIN messages m ON m.seq = e.msg
       WHERE e.stream = ? AND e.off >= ? AND e.off <= ? ORDER BY e.off`,
    ),
    messageBySeq: db.prepare<MessageRow, [number]>(`SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.seq = ?`),
    messageById: db.prepare<MessageRow, [string]>(`SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.id = ?`),
    entryAt: db.prepare<{ msg: number }, [string, number]>("SELECT msg FROM entries WHERE stream = ? AND off = ?"),
    countFrom: db.prepare<{ n: number }, [string, number, string]>(
      `SELECT COUNT(*) AS n FROM entries e JOIN messages m ON m.seq = e.msg
       WHERE e.stream = ? AND e.off > ? AND m.sender = ?`,
    ),
    senderOf: db.prepare<{ sender: string }, [number]>("SELECT sender FROM messages WHERE seq = ?"),

    // updates
    edit: db.prepare<never, [Uint8Array, number, number]>(
      "UPDATE messages SET state = 1, payload = ?, updated_at = ? WHERE seq = ?",
    ),
    recall: db.prepare<never, [number, number]>(
      "UPDATE messages SET state = 2, payload = x'', updated_at = ? WHERE seq = ?",
    ),

    // client ids
    /** Newest first, for rebuilding the client-id index at open. */
    clientIdsNewestFirst: db.prepare<{ seq: number; sender: string; cmid: string | null; time: number }, []>(
      "SELECT seq, sender, cmid, time FROM messages ORDER BY seq DESC",
    ),

    // cursors
    advanceCursor: db.prepare<{ value: number }, [string, string, number]>(
      `INSERT INTO cursors (user, name, value) VALUES (?, ?, ?)
       ON CONFLICT (user, name) DO UPDATE SET value = MAX(value, excluded.value) RETURNING value`,
    ),
    getCursor: db.prepare<{ value: number }, [string, string]>("SELECT value FROM cursors WHERE user = ? AND name = ?"),
    listCursors: db.prepare<{ name: string; value: number }, [string, string]>(
      "SELECT name, value FROM cursors WHERE user = ?1 AND name >= ?2 AND substr(name, 1, length(?2)) = ?2",
    ),

    // retention and reset
    timesFrom: db.prepare<{ off: number; time: number }, [string, number, number]>(
      `SELECT e.off, m.time FROM entries e JOIN messages m ON m.seq = e.msg
       WHERE e.stream = ? AND e.off > ? ORDER BY e.off LIMIT ?`,
    ),
    deleteEntriesUpTo: db.prepare<{ msg: number }, [string, number]>(
      "DELETE FROM entries WHERE stream = ? AND off <= ? RETURNING msg",
    ),
    refsOf: db.prepare<{ refs: string }, [number]>("SELECT refs FROM messages WHERE seq = ?"),
    deleteMessage: db.prepare<{ sender: string; cmid: string | null }, [number]>(
      "DELETE FROM messages WHERE seq = ? RETURNING sender, cmid",
    ),

    // token deny-list
    revoke: db.prepare<never, [string, number]>(
      "INSERT INTO revocations (jti, until) VALUES (?, ?) ON CONFLICT (jti) DO UPDATE SET until = MAX(until, excluded.until)",
    ),
    deleteLapsedRevocations: db.prepare<never, [number]>("DELETE FROM revocations WHERE until <= ?"),
    revocations: db.prepare<{ jti: string; until: number }, []>("SELECT jti, until FROM revocations"),

    ping: db.prepare<{ one: number }, []>("SELECT 1 AS one"),
    // A real write: the value must change, or SQLite leaves the page clean and writes nothing.
    probeWrite: db.prepare<never, []>(
      "INSERT INTO meta (key, value) VALUES ('write_probe', 1) ON CONFLICT (key) DO UPDATE SET value = value + 1",
    ),
  };
}

/** The prepared statements of one connection. */
export type Statements = ReturnType<typeof prepareStatements>;

/** Finalizes every statement of `statements` (safe to call twice). */
export function finalizeStatements(statements: Statements): void {
  for (const statement of Object.values(statements)) statement.finalize();
}
