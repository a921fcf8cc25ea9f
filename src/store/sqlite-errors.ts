/**
 * @module store/sqlite-errors
 * Maps `bun:sqlite` errors to {@link StoreError}: constraint violations are `invalid` (the request
 * is wrong), locking, I/O and file errors are `unavailable` (retry later), anything else is a bug
 * and passes through unchanged. Also names the errors that mean "the store cannot write" (for
 * readiness) and words file-system errors for start-up messages.
 */

import { StoreError } from "./port.ts";

/** SQLite result codes (prefixes of `SQLiteError.code`) that mean "retry later" rather than a bug. */
const UNAVAILABLE_CODES = [
  "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_CANTOPEN",
  "SQLITE_READONLY", "SQLITE_PROTOCOL", "SQLITE_NOMEM", "SQLITE_CORRUPT", "SQLITE_NOTADB",
];

/**
 * SQLite result codes (prefixes) after which the store must be presumed unable to write until a
 * write succeeds again: disk full, read-only file or file system, I/O error, file not openable.
 */
const WRITE_FAILURE_CODES = ["SQLITE_FULL", "SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_CANTOPEN"];

function sqliteCode(error: unknown): string | undefined {
  if (!(error instanceof Error) || error.name !== "SQLiteError") return undefined;
  return (error as Error & { code?: string }).code ?? "";
}

/** `error` as a {@link StoreError} when it is an SQLite error with a known meaning, else unchanged. */
export function toStoreError(error: unknown): unknown {
  const code = sqliteCode(error);
  if (code === undefined || error instanceof StoreError) return error;
  const message = (error as Error).message;
  if (code.startsWith("SQLITE_CONSTRAINT")) return new StoreError("invalid", message);
  if (UNAVAILABLE_CODES.some((prefix) => code.startsWith(prefix))) return new StoreError("unavailable", message);
  return error;
}

/**
 * When `error` is an SQLite error meaning the store cannot write (see {@link WRITE_FAILURE_CODES}),
 * its description: SQLite's message and code, e.g. `database or disk is full (SQLITE_FULL)`.
 * Undefined for any other error. Never contains a file path.
 */
export function writeFailureOf(error: unknown): string | undefined {
  const code = sqliteCode(error);
  if (code === undefined || !WRITE_FAILURE_CODES.some((prefix) => code.startsWith(prefix))) return undefined;
  return `${(error as Error).message} (${code})`;
}

/** Wording of the errno codes a data file or directory most often fails with. */
const ERRNO_TEXT: Record<string, string> = {
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  ENOTDIR: "not a directory",
  EISDIR: "is a directory",
  ENOENT: "no such file or directory",
  EIO: "input/output error",
};

/**
 * The cause of a `node:fs` error in a few lowercase words without the path, e.g. `read-only file
 * system` for `EROFS`; for an unlisted code, the words of its message (`"ECODE: words, syscall …"`).
 */
export function fsCause(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && ERRNO_TEXT[code] !== undefined) return ERRNO_TEXT[code];
  const message = error instanceof Error ? error.message : String(error);
  return /^[A-Z0-9]+: ([^,]+)/.exec(message)?.[1] ?? message;
}
