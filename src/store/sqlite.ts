/**
 * @module store/sqlite
 * The embedded message store: one SQLite file through `bun:sqlite`, in WAL mode, owned by one
 * process. This module opens it; the engine is `store/sqlite-store.ts`.
 *
 * Durability: `append` resolves after its transaction committed. In WAL mode a commit has written
 * its frames to the WAL file (through the OS page cache) before the call returns, so:
 * - `synchronous = NORMAL` (default; the server's `durability = "process"`): an acknowledged batch
 *   survives a crash or SIGKILL of the process. The WAL is fsynced only when a checkpoint runs
 *   (when it reaches `walAutocheckpointPages` pages), so an OS crash or power loss can roll back
 *   the transactions committed since the last checkpoint. What survives is a prefix of the commit
 *   order (WAL frames are checksummed in a chain) and the file stays consistent.
 * - `synchronous = FULL` (`durability = "power"`): each commit also fsyncs the WAL before it
 *   returns (one fsync per transaction, i.e. per group-commit batch), so an acknowledged batch
 *   also survives an OS crash or power loss, provided the storage honours the flush (no volatile
 *   write cache that ignores it). On Linux, SQLite syncs the directory too when it creates the WAL.
 * What an append commits is the message rows, each with the `(stream, offset)` pairs it got; stream
 * entries written behind in bulk are rebuilt from those rows at the next open, so the promise holds
 * for them too.
 *
 * Writability is checked at open, before SQLite touches the file: a read-only file, WAL or directory
 * fails with `unavailable` and a message naming the path and the cause (`cannot write
 * /x/hubbub.db: read-only file system`) instead of SQLite's generic I/O error. A write that fails
 * later (disk full, I/O error) is remembered by the store and reported by `ping` until a write
 * succeeds again (see `SqliteStore.ping`).
 *
 * One process (one `SqliteStore`) owns a file at a time: the engine caches stream heads, so the
 * store holds SQLite's exclusive lock until it is closed, and a second open fails with
 * `unavailable` ("in use by another process"). Back up with the `/api` history routes or by
 * copying the file while the server is stopped.
 */

import { Database } from "bun:sqlite";
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { StoreError } from "./port.ts";
import { fsCause, toStoreError } from "./sqlite-errors.ts";
import { migrate } from "./sqlite-schema.ts";
import { SqliteStore, type SqliteEngineOptions } from "./sqlite-store.ts";

export { SqliteStore } from "./sqlite-store.ts";

/** Options of {@link openSqliteStore}, each optional. */
export interface SqliteStoreOptions extends SqliteEngineOptions {
  /**
   * `NORMAL` (default): acknowledged appends survive a process crash (SIGKILL); an OS crash or power
   * loss can roll back those since the last checkpoint. `FULL`: fsync the WAL at every commit;
   * acknowledged appends also survive an OS crash or power loss (if the storage honours fsync).
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
 * Throws `StoreError("unavailable", "cannot write <path>: <cause>")` unless the data file (when it
 * exists), its WAL (when it exists) and its directory (created if missing) can be written. As root
 * the permission bits do not stop writes, and these checks agree; a read-only mount stops both.
 */
function checkWritable(path: string): void {
  const dir = dirname(path);
  const fail = (error: unknown, what: string, context = ""): never => {
    throw new StoreError("unavailable", `cannot write ${what}: ${fsCause(error)}${context}`);
  };
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    fail(error, path, ` (creating directory ${dir})`);
  }
  for (const file of [path, `${path}-wal`]) {
    if (!existsSync(file)) continue;
    try {
      closeSync(openSync(file, "r+"));
    } catch (error) {
      fail(error, file);
    }
  }
  try {
    // SQLite creates `<file>-wal` (and the file itself) in the directory.
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    fail(error, path, ` (directory ${dir})`);
  }
}

/**
 * Opens (creating it and its parent directory if missing) the store at `path`, sets the pragmas,
 * applies pending schema migrations and recovers entries not flushed before a crash. `:memory:`
 * gives a private in-memory database (no WAL). Throws `StoreError("unavailable")` when the file,
 * its WAL or its directory cannot be written (naming the path and the cause), when the file cannot
 * be opened, or when it was written by a newer build.
 */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  try {
    if (path !== ":memory:" && path !== "" && !path.startsWith("file:")) checkWritable(path);
    const db = new Database(path, { create: true, strict: true });
    try {
      // Until the lock is ours, wait at most a second (for a previous owner that is just exiting).
      const busyTimeoutMs = Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000));
      db.run(`PRAGMA busy_timeout = ${Math.min(busyTimeoutMs, 1000)}`);
      if (path !== ":memory:" && path !== "") {
        // One writer per file: the engine caches stream heads. Hold the file lock for the store's
        // lifetime so a second process fails at open with a clear error instead of corrupting offsets.
        db.run("PRAGMA locking_mode = EXCLUSIVE");
      }
      db.run("PRAGMA journal_mode = WAL");
      db.run(`PRAGMA synchronous = ${options.synchronous === "FULL" ? "FULL" : "NORMAL"}`);
      db.run(`PRAGMA cache_size = -${Math.max(256, Math.trunc(options.cacheKiB ?? 65536))}`);
      db.run(`PRAGMA wal_autocheckpoint = ${Math.max(100, Math.trunc(options.walAutocheckpointPages ?? 1000))}`);
      db.run("PRAGMA journal_size_limit = 67108864");
      db.run("BEGIN IMMEDIATE"); // takes the (exclusive) lock now rather than at the first append
      db.run("COMMIT");
      db.run(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
      migrate(db);
      return new SqliteStore(db, options);
    } catch (error) {
      db.close(true);
      if (/database is locked|SQLITE_BUSY/i.test(String((error as Error).message))) {
        throw new StoreError("unavailable", `message store ${path} is in use by another process (one server per data file)`);
      }
      throw error;
    }
  } catch (error) {
    const mapped = toStoreError(error);
    if (mapped instanceof StoreError) throw mapped;
    throw new StoreError("unavailable", `cannot open message store ${path}: ${(error as Error).message}`);
  }
}
