/**
 * @module store/sqlite-schema
 * The SQLite store's schema as an ordered list of migrations, and the runner that applies them at
 * open. The schema version lives in `PRAGMA user_version`; migration N is applied, in its own
 * transaction together with setting `user_version = N`, only when the file is below version N.
 *
 * Rules for adding a migration: append it with the next version number, never edit or reorder a
 * released one, and keep it a pure function of the previous schema (it runs on live files).
 */

import type { Database } from "bun:sqlite";
import { StoreError } from "./port.ts";

/** One schema step. `version` numbers start at 1 and increase by one. */
export interface Migration {
  version: number;
  description: string;
  /** One or more SQL statements. */
  sql: string;
}

/**
 * Schema v1. An append writes only sequential rows (`messages`) and the streams' first rows; the
 * stream entries follow in bulk (`store/sqlite-pending.ts`).
 * - `meta`: `flushed_seq` = every message with a larger `seq` may still lack its `entries` rows,
 *   which are then rebuilt from `messages.refs` at open. `write_probe` (absent until first used) is
 *   a counter that `ping` increments to test that the file can be written again after a failure.
 * - `streams`: one row per stream key ever used; `epoch` changes on reset. `head` is a floor: the
 *   stream's head is `max(head, MAX(entries.off))` (plus pending entries); `head` is written only
 *   when retention or a reset removes entries. Rows are never deleted.
 * - `messages`: `seq` is an internal integer key assigned by the engine, increasing and never reused
 *   (`max(MAX(seq), flushed_seq) + 1`; references from `entries` stay append-only); `id` is
 *   the caller's unique id; `kind` 0 = room (`target` = room), 1 = direct (`target` = recipient);
 *   `refs` is the JSON `[[stream, offset], …]` the message was appended at, in append order (an
 *   entry counts only while `entries` still maps that pair to this message). `(sender, cmid)` is the
 *   durable copy of the client id; its lookup index lives in memory (`store/client-ids.ts`).
 * - `entries`: the streams' logs, clustered by `(stream, off)` so a range read is one b-tree walk.
 * - `cursors`: per-user named positions.
 * - `revocations`: the token deny-list, `jti` → until (ms since the epoch).
 */
const V1 = `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('flushed_seq', 0);

CREATE TABLE streams (
  key   TEXT PRIMARY KEY,
  epoch TEXT NOT NULL,
  head  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE messages (
  seq        INTEGER PRIMARY KEY,
  id         TEXT NOT NULL UNIQUE,
  kind       INTEGER NOT NULL,
  target     TEXT NOT NULL,
  sender     TEXT NOT NULL,
  time       INTEGER NOT NULL,
  payload    BLOB NOT NULL,
  state      INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER,
  cmid       TEXT,
  refs       TEXT NOT NULL
);

CREATE TABLE entries (
  stream TEXT NOT NULL,
  off    INTEGER NOT NULL,
  msg    INTEGER NOT NULL,
  PRIMARY KEY (stream, off)
) WITHOUT ROWID;

CREATE TABLE cursors (
  user  TEXT NOT NULL,
  name  TEXT NOT NULL,
  value INTEGER NOT NULL,
  PRIMARY KEY (user, name)
) WITHOUT ROWID;

CREATE TABLE revocations (
  jti   TEXT PRIMARY KEY,
  until INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** Every migration of the SQLite store, in order. The last one's version is {@link SCHEMA_VERSION}. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, description: "meta, streams, messages, entries, cursors, revocations", sql: V1 },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION: number = MIGRATIONS.length;

/** The file's schema version (`PRAGMA user_version`); 0 for a fresh file. */
export function schemaVersion(db: Database): number {
  const row = db.query<{ user_version: number }, []>("PRAGMA user_version").get();
  return row?.user_version ?? 0;
}

/**
 * Brings `db` up to the last of `migrations`, applying each missing one in its own transaction.
 * Idempotent: on an up-to-date file it only reads the version. Returns how many were applied.
 * Throws `StoreError("unavailable")` when the file was written by a newer build (refusing to guess),
 * and `Error` when `migrations` is not numbered 1, 2, 3, ….
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration #${i} has version ${m.version}, expected ${i + 1}`);
  });
  const current = schemaVersion(db);
  if (current > migrations.length) {
    throw new StoreError(
      "unavailable",
      `database schema version ${current} is newer than this build supports (${migrations.length})`,
    );
  }
  let applied = 0;
  for (const m of migrations.slice(current)) {
    db.transaction(() => {
      db.run(m.sql);
      db.run(`PRAGMA user_version = ${m.version}`);
    }).immediate();
    applied++;
  }
  return applied;
}
