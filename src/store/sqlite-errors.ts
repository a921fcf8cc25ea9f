/**
 * @module store/sqlite-errors
 * Maps `bun:sqlite` errors to {@link StoreError}: constraint violations are `invalid` (the request
 * is wrong), locking, I/O and file errors are `unavailable` (retry later), anything else is a bug
 * and passes through unchanged.
 */

import { StoreError } from "./port.ts";

/** SQLite result codes (prefixes of `SQLiteError.code`) that mean "retry later" rather than a bug. */
const UNAVAILABLE_CODES = [
  "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_CANTOPEN",
  "SQLITE_READONLY", "SQLITE_PROTOCOL", "SQLITE_NOMEM", "SQLITE_CORRUPT", "SQLITE_NOTADB",
];

/** `error` as a {@link StoreError} when it is an SQLite error with a known meaning, else unchanged. */
export function toStoreError(error: unknown): unknown {
  if (error instanceof StoreError || !(error instanceof Error) || error.name !== "SQLiteError") return error;
  const code = (error as Error & { code?: string }).code ?? "";
  if (code.startsWith("SQLITE_CONSTRAINT")) return new StoreError("invalid", error.message);
  if (UNAVAILABLE_CODES.some((prefix) => code.startsWith(prefix))) return new StoreError("unavailable", error.message);
  return error;
}
