/**
 * @module store/sqlite
 * The embedded message store: one SQLite file through `bun:sqlite`, in WAL mode, owned by one
 * process. This module opens it; the engine is `store/sqlite-store.ts`.
 *
 * Durability: `append` resolves after its transaction committed. In WAL mode a commit is written to
 * the WAL file before the call returns, so with the default `synchronous = NORMAL` an acknowledged
 * batch survives a crash or SIGKILL of the process; only an OS crash or power loss can lose the last
 * transactions before the next checkpoint (the file stays consistent either way). Use
 * `synchronous: "FULL"` to also fsync the WAL at every commit (survives power loss; one fsync per
 * batch, which group commit amortises). What an append commits is the message rows, each with the
 * `(stream, offset)` pairs it got; stream entries written behind in bulk are rebuilt from those
 * rows at the next open, so the promise holds for them too.
 *
 * One process (one `SqliteStore`) writes a file at a time: the engine caches stream heads. Other
 * connections may read it (WAL), e.g. for backups; a second writer would make appends fail.
 */

import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { StoreError } from "./port.ts";
import { toStoreError } from "./sqlite-errors.ts";
import { migrate } from "./sqlite-schema.ts";
import { SqliteStore, type SqliteEngineOptions } from "./sqlite-store.ts";

export { SqliteStore } from "./sqlite-store.ts";

/** Options of {@link openSqliteStore}, each optional. */
export interface SqliteStoreOptions extends SqliteEngineOptions {
  /**
   * `NORMAL` (default): acknowledged appends survive a process crash (SIGKILL), not an OS crash.
   * `FULL`: fsync the WAL at every commit; acknowledged appends also survive an OS crash.
   */
  synchronous?: "NORMAL" | "FULL";
  /** How long a statement waits for a lock held by another connection before failing, ms. Default 5000. */
  busyTimeoutMs?: number;
  /** Page cache size, KiB. Default 65536 (64 MiB). */
  cacheKiB?: number;
  /** WAL size, pages, at which a commit also checkpoints (SQLite's `wal_autocheckpoint`). Default 1000. */
  walAutocheckpointPages?: number;
}

/**
 * Opens (creating it and its parent directory if missing) the store at `path`, sets the pragmas,
 * applies pending schema migrations and recovers entries not flushed before a crash. `:memory:`
 * gives a private in-memory database (no WAL). Throws `StoreError("unavailable")` when the file
 * cannot be opened or was written by a newer build.
 */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  try {
    if (path !== ":memory:" && path !== "" && !path.startsWith("file:")) mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path, { create: true, strict: true });
    try {
      db.run(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
      db.run("PRAGMA journal_mode = WAL");
      db.run(`PRAGMA synchronous = ${options.synchronous === "FULL" ? "FULL" : "NORMAL"}`);
      db.run(`PRAGMA cache_size = -${Math.max(256, Math.trunc(options.cacheKiB ?? 65536))}`);
      db.run(`PRAGMA wal_autocheckpoint = ${Math.max(100, Math.trunc(options.walAutocheckpointPages ?? 1000))}`);
      db.run("PRAGMA journal_size_limit = 67108864");
      migrate(db);
      return new SqliteStore(db, options);
    } catch (error) {
      db.close(true);
      throw error;
    }
  } catch (error) {
    const mapped = toStoreError(error);
    if (mapped instanceof StoreError) throw mapped;
    throw new StoreError("unavailable", `cannot open message store ${path}: ${(error as Error).message}`);
  }
}
