/**
 * @module test/store/sqlite
 * The SQLite engine against the message store contract (in memory and on a file), plus what only
 * SQLite has: reopening a file, schema migrations, pragmas, error mapping and crash durability.
 */

import { afterAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StoreError } from "../../src/store/port.ts";
import { MIGRATIONS, SCHEMA_VERSION, migrate, schemaVersion } from "../../src/store/sqlite-schema.ts";
import { openSqliteStore } from "../../src/store/sqlite.ts";
import {
  describeMessageStoreContract, directMessage, ids, offsets, roomMessage, roomMessages, T0,
} from "./contract.ts";

const dir = mkdtempSync(join(tmpdir(), "hubbub-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const freshPath = () => join(dir, `s${++fileNo}.db`);

describeMessageStoreContract("sqlite :memory:", async () => openSqliteStore(":memory:"));
describeMessageStoreContract("sqlite file", async () => openSqliteStore(freshPath()));
// Stream entries are written behind in bulk; these runs cover every entry flushed at once, and
// reads straddling flushed and pending entries.
describeMessageStoreContract("sqlite, entries flushed at every append", async () =>
  openSqliteStore(":memory:", { flushEntries: 1 }));
describeMessageStoreContract("sqlite, entries flushed every 3", async () =>
  openSqliteStore(":memory:", { flushEntries: 3, flushIntervalMs: 3_600_000 }));

describe("SQLite store on a file", () => {
  test("reopening keeps messages, epochs, heads, cursors, client ids and revocations", async () => {
    const path = freshPath();
    const first = openSqliteStore(path);
    await first.append([...roomMessages("a", 3), directMessage("d1", "alice", "bob", { cmid: "c1", time: Date.now() })]);
    await first.advanceCursor("bob", "ack", 1);
    await first.revoke("jti-1", T0 + 60_000);
    await first.updateMessage("a-2", { action: "recall", time: T0 + 1 });
    await first.applyRetention([{ prefix: "room:", maxMessages: 2, maxAgeMs: 0 }], T0, 0);
    const epoch = (await first.streamInfo("room:a")).epoch;
    const emptyEpoch = (await first.streamInfo("room:empty")).epoch;
    await first.close();

    const second = openSqliteStore(path);
    const read = await second.read("room:a", { limit: 10 });
    expect(read).toMatchObject({ epoch, head: 3, oldest: 2 });
    expect(read.messages.map((m) => [m.id, m.offset, m.state])).toEqual([["a-2", 2, 2], ["a-3", 3, 0]]);
    expect((await second.streamInfo("room:empty")).epoch).toBe(emptyEpoch);
    expect(await second.getCursor("bob", "ack")).toBe(1);
    expect(await second.listRevocations(T0)).toEqual(new Map([["jti-1", T0 + 60_000]]));
    expect((await second.findByClientId("alice", "c1", 0))!.offsets).toEqual([1, 1]);
    const [next] = await second.append([roomMessage("a-4", "a")]);
    expect(next!.offsets).toEqual([4]);
    await second.close();
  });

  test("the client-id index is rebuilt at open from the messages of the last clientIdWindowMs", async () => {
    const path = freshPath();
    const now = Date.now();
    const first = openSqliteStore(path);
    await first.append([
      roomMessage("old", "a", { cmid: "c-old", time: now - 120_000 }),
      roomMessage("new", "a", { cmid: "c-new", time: now - 1000 }),
    ]);
    await first.append([roomMessage("newer", "b", { cmid: "c-new", time: now - 500 }), roomMessage("plain", "a", { time: now })]);
    await first.close();

    const second = openSqliteStore(path, { clientIdWindowMs: 60_000 });
    expect(await second.findByClientId("alice", "c-old", 0)).toBeUndefined();
    expect(await second.findByClientId("alice", "c-new", 0)).toEqual({
      id: "newer", time: now - 500, streams: ["room:b"], offsets: [1],
    });
    await second.close();

    const third = openSqliteStore(path, { clientIdWindowMs: 3_600_000 });
    expect((await third.findByClientId("alice", "c-old", 0))!.id).toBe("old");
    await third.close();
  });

  test("past maxClientIds the oldest client ids are forgotten first", async () => {
    const store = openSqliteStore(":memory:", { maxClientIds: 2 });
    await store.append([1, 2, 3].map((i) => roomMessage(`m${i}`, "a", { cmid: `c${i}` })));
    expect(await store.findByClientId("alice", "c1", 0)).toBeUndefined();
    expect((await store.findByClientId("alice", "c2", 0))!.id).toBe("m2");
    expect((await store.findByClientId("alice", "c3", 0))!.id).toBe("m3");
    await store.close();
  });

  /** Runs a fixture that writes with entry flushing held back and then dies by SIGKILL. */
  async function crashAfter(path: string, scenario: string): Promise<void> {
    const child = Bun.spawn([process.execPath, join(import.meta.dir, "fixtures", "crash-after.ts"), path, scenario], { stdout: "ignore", stderr: "pipe" });
    await child.exited;
    expect(child.signalCode).toBe("SIGKILL");
  }

  test("entries still pending at a crash are rebuilt at the next open", async () => {
    const path = freshPath();
    await crashAfter(path, "pending");
    const reopened = openSqliteStore(path);
    const flushed = reopened.database.query("SELECT COUNT(*) AS n FROM entries").get() as { n: number };
    expect(flushed.n).toBe(8);
    expect(offsets((await reopened.read("room:a", { limit: 10 })).messages)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await reopened.getMessage("d1", "inbox:bob"))!.offset).toBe(1);
    expect((await reopened.append([roomMessage("a-7", "a")]))[0]!.offsets).toEqual([7]);
    await reopened.close();
  });

  test("message seqs are never reused, so recovery after a reset of the newest message finds everything", async () => {
    const path = freshPath();
    await crashAfter(path, "reset-newest"); // c1's entry was still pending at the kill
    const reopened = openSqliteStore(path);
    expect(ids((await reopened.read("room:c", { limit: 10 })).messages)).toEqual(["c1"]);
    expect(ids((await reopened.read("room:a", { limit: 10 })).messages)).toEqual(["a1"]);
    await reopened.close();
  });

  test("creates missing parent directories", async () => {
    const path = join(dir, "deep", "er", "store.db");
    const store = openSqliteStore(path);
    await store.close();
    expect(existsSync(path)).toBe(true);
  });

  test("WAL mode, synchronous NORMAL by default and FULL on request, busy timeout", async () => {
    const normal = openSqliteStore(freshPath(), { busyTimeoutMs: 1234 });
    const pragma = (name: string) => normal.database.query(`PRAGMA ${name}`).values()[0]![0];
    expect(pragma("journal_mode")).toBe("wal");
    expect(pragma("synchronous")).toBe(1);
    expect(pragma("busy_timeout")).toBe(1234);
    await normal.close();
    const full = openSqliteStore(freshPath(), { synchronous: "FULL" });
    expect(full.database.query("PRAGMA synchronous").values()[0]![0]).toBe(2);
    await full.close();
  });

  test("a file has one owner: a second open is refused as `unavailable` until the first closes", async () => {
    const path = freshPath();
    const store = openSqliteStore(path, { busyTimeoutMs: 20 });
    await store.append([roomMessage("r1", "a")]);
    const error = (() => {
      try {
        openSqliteStore(path, { busyTimeoutMs: 20 });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe("unavailable");
    expect((error as StoreError).message).toContain("another process");
    expect((await store.append([roomMessage("r2", "a")]))[0]!.offsets).toEqual([2]);
    await store.close();
    const again = openSqliteStore(path);
    expect((await again.streamInfo("room:a")).head).toBe(2);
    await again.close();
  });

  test("an unopenable path is `unavailable`", () => {
    const path = join(dir, "not-a-dir");
    writeFileSync(path, "x");
    expect(() => openSqliteStore(join(path, "store.db"))).toThrow(StoreError);
  });
});

describe("SQLite schema migrations", () => {
  test("a fresh file gets every migration; reopening applies none", async () => {
    const path = freshPath();
    await openSqliteStore(path).close();
    const db = new Database(path);
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
    expect(migrate(db)).toBe(0);
    db.close();
    const again = openSqliteStore(path);
    expect(schemaVersion(again.database)).toBe(SCHEMA_VERSION);
    await again.close();
  });

  test("applies only the missing migrations, in order, each with its version", () => {
    const db = new Database(":memory:");
    const steps = [
      { version: 1, description: "t", sql: "CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1)" },
      { version: 2, description: "t.b", sql: "ALTER TABLE t ADD COLUMN b INTEGER NOT NULL DEFAULT 2" },
    ];
    expect(migrate(db, steps.slice(0, 1))).toBe(1);
    expect(schemaVersion(db)).toBe(1);
    expect(migrate(db, steps)).toBe(1);
    expect(migrate(db, steps)).toBe(0);
    expect(schemaVersion(db)).toBe(2);
    expect(db.query("SELECT a, b FROM t").all()).toEqual([{ a: 1, b: 2 }]);
    db.close();
  });

  test("a failing migration leaves the file at the previous version", () => {
    const db = new Database(":memory:");
    const steps = [
      { version: 1, description: "t", sql: "CREATE TABLE t (a INTEGER)" },
      { version: 2, description: "broken", sql: "CREATE TABLE u (a INTEGER); CREATE TABLE t (a INTEGER)" },
    ];
    expect(() => migrate(db, steps)).toThrow();
    expect(schemaVersion(db)).toBe(1);
    expect(db.query("SELECT name FROM sqlite_master WHERE name = 'u'").all()).toEqual([]);
    db.close();
  });

  test("migrations must be numbered 1, 2, 3, …", () => {
    const db = new Database(":memory:");
    expect(() => migrate(db, [{ version: 2, description: "x", sql: "SELECT 1" }])).toThrow(/version 2/);
    db.close();
  });

  test("a file from a newer build is refused", async () => {
    const path = freshPath();
    const db = new Database(path);
    db.run(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    let error: unknown;
    try {
      openSqliteStore(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe("unavailable");
  });
});

describe("SQLite durability", () => {
  test("every acknowledged append survives SIGKILL of the writing process", async () => {
    const path = freshPath();
    const child = Bun.spawn([process.execPath, join(import.meta.dir, "fixtures", "kill-writer.ts"), path], {
      stdout: "pipe",
      stderr: "inherit",
    });
    let acked = 0;
    let buffer = "";
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) {
      buffer += decoder.decode(chunk);
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      for (const line of lines) acked = Number(line.split(" ")[1]);
      if (acked >= 20_000) break;
    }
    child.kill("SIGKILL");
    await child.exited;
    expect(child.signalCode).toBe("SIGKILL");

    const store = openSqliteStore(path);
    const info = await store.streamInfo("room:k");
    expect(info.head).toBeGreaterThanOrEqual(acked);
    const { messages } = await store.read("room:k", { before: acked + 1, limit: 3 });
    expect(messages.map((m) => m.id)).toEqual([`m${acked - 2}`, `m${acked - 1}`, `m${acked}`]);
    expect(await store.countAfter("room:k", 0)).toBe(info.head);
    await store.close();
  });
});
