/**
 * @module test/store/throughput.bench
 * One question: how many room messages per second can the SQLite store make durable through
 * batched `append` calls (group commit)? Not run by `bun test` (the name does not end in `.test.ts`).
 *
 *   bun test/store/throughput.bench.ts [messages=200000] [batch=500]
 *
 * Workload: messages spread over 100 rooms, 100-byte payloads, a cmid on every message, real
 * time-sortable ids (`src/ids.ts`), default engine options. Timed: `append` calls only. Baseline
 * measured in the same run: the same rows as plain `INSERT INTO t (id, payload)` in the same
 * transactions, i.e. the floor SQLite itself sets on this disk. The machine is shared in CI, so
 * compare lines of one run rather than runs.
 */

import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { newMessageId } from "../../src/ids.ts";
import { MemoryStore } from "../../src/store/memory.ts";
import type { MessageStore, NewMessage } from "../../src/store/port.ts";
import { openSqliteStore } from "../../src/store/sqlite.ts";

const TOTAL = Number(process.argv[2] ?? 200_000);
const BATCH = Number(process.argv[3] ?? 500);
const ROOMS = 100;
const dir = mkdtempSync(join(tmpdir(), "hubbub-bench-"));

function batches(): NewMessage[][] {
  const payload = new Uint8Array(100).fill(0xa5);
  const out: NewMessage[][] = [];
  let n = 0;
  for (let b = 0; b < TOTAL / BATCH; b++) {
    const batch: NewMessage[] = [];
    for (let i = 0; i < BATCH; i++, n++) {
      const room = `bench:${n % ROOMS}`;
      const now = Date.now();
      batch.push({
        id: newMessageId(now), conversation: { kind: "room", room }, from: `user${n % 1000}`, time: now,
        payload, cmid: `c${n}`, streams: [`room:${room}`],
      });
    }
    out.push(batch);
  }
  return out;
}

function report(label: string, perBatchMs: number[]): void {
  const total = perBatchMs.reduce((a, b) => a + b, 0);
  const sorted = [...perBatchMs].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(2);
  const rate = Math.round((perBatchMs.length * BATCH) / (total / 1000));
  console.log(`${label.padEnd(34)} ${rate.toLocaleString("en").padStart(10)} msg/s   batch p50 ${pct(0.5)} ms  p99 ${pct(0.99)} ms`);
}

async function measure(label: string, store: MessageStore, work: NewMessage[][]): Promise<void> {
  const times: number[] = [];
  for (const batch of work) {
    const started = performance.now();
    await store.append(batch);
    times.push(performance.now() - started);
  }
  report(label, times);
  await store.close();
}

function baseline(work: NewMessage[][]): void {
  const db = new Database(join(dir, "baseline.db"), { create: true, strict: true });
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = NORMAL");
  db.run("CREATE TABLE t (id TEXT PRIMARY KEY, payload BLOB NOT NULL)");
  const insert = db.prepare<never, [string, Uint8Array]>("INSERT INTO t (id, payload) VALUES (?, ?)");
  const tx = db.transaction((batch: NewMessage[]) => {
    for (const m of batch) insert.run(m.id, m.payload);
  }).immediate;
  const times: number[] = [];
  for (const batch of work) {
    const started = performance.now();
    tx(batch);
    times.push(performance.now() - started);
  }
  report("baseline: plain INSERT, NORMAL", times);
  insert.finalize();
  db.close(true);
}

const cpu = cpus();
const version = new Database(":memory:").query<{ v: string }, []>("SELECT sqlite_version() AS v").get()!.v;
console.log(`${cpu[0]?.model ?? "?"} × ${cpu.length}, ${Math.round(totalmem() / 2 ** 30)} GiB, ` +
  `Bun ${Bun.version}, SQLite ${version}, ${process.platform}/${process.arch}`);
console.log(`${TOTAL.toLocaleString("en")} messages in batches of ${BATCH}, ${ROOMS} rooms, 100-byte payloads, cmid on each; db in ${dir}\n`);
try {
  baseline(batches());
  await measure("SqliteStore, synchronous NORMAL", openSqliteStore(join(dir, "normal.db")), batches());
  await measure("SqliteStore, synchronous FULL", openSqliteStore(join(dir, "full.db"), { synchronous: "FULL" }), batches());
  await measure("MemoryStore", new MemoryStore(), batches());
} finally {
  rmSync(dir, { recursive: true, force: true });
}
