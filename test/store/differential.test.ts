/**
 * @module test/store/differential
 * Random operation sequences run against the memory engine (the reference) and the SQLite engine
 * with different flush settings; every result must match. Catches what hand-written cases miss,
 * e.g. reads straddling flushed and pending entries after retention and resets.
 */

import { describe, expect, test } from "bun:test";
import { MemoryStore } from "../../src/store/memory.ts";
import type { MessageStore, NewMessage, StreamInfo } from "../../src/store/port.ts";
import { openSqliteStore } from "../../src/store/sqlite.ts";
import { T0 } from "./contract.ts";

/** mulberry32: a small seeded PRNG, so a failure can be replayed from its seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    /** Mostly one of the last 10 items, sometimes any. */
    recent: <T>(items: readonly T[]): T =>
      items[next() < 0.7 ? Math.max(0, items.length - 1 - Math.floor(next() * 10)) : Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p,
  };
}

const USERS = ["ann", "bob", "cat", "dan"];
const ROOMS = ["a", "b", "game:x", "game:y"];
const STREAMS = [...ROOMS.map((r) => `room:${r}`), ...USERS.map((u) => `inbox:${u}`), "room:never"];

/** Replaces epochs by whether they changed since the last time this engine showed that stream. */
class EpochTracker {
  readonly #last = new Map<string, string>();
  see(stream: string, info: StreamInfo): StreamInfo & { epochChanged: boolean } {
    const changed = this.#last.has(stream) && this.#last.get(stream) !== info.epoch;
    this.#last.set(stream, info.epoch);
    return { ...info, epoch: "", epochChanged: changed };
  }
}

/** Runs `fn` and returns its result or the error code it threw, for comparison. */
async function outcome<T>(fn: () => Promise<T>): Promise<T | { error: string }> {
  try {
    return await fn();
  } catch (error) {
    return { error: (error as { code?: string }).code ?? String(error) };
  }
}

async function run(seed: number, steps: number, engine: MessageStore): Promise<unknown[]> {
  const r = prng(seed);
  const epochs = new EpochTracker();
  const log: unknown[] = [];
  const ids: string[] = [];
  const cmids: [string, string][] = [];
  let n = 0;
  let clock = T0;
  for (let step = 0; step < steps; step++) {
    clock += r.int(2000);
    const op = r.int(100);
    if (op < 35) {
      const batch: NewMessage[] = [];
      const used = new Set<string>();
      for (let i = r.int(6) + 1; i > 0; i--) {
        const from = r.pick(USERS);
        const id = r.chance(0.03) && ids.length > 0 ? r.pick(ids) : `m${++n}`;
        let cmid: string | undefined;
        if (r.chance(0.6)) cmid = r.chance(0.2) && cmids.length > 0 ? r.pick(cmids)[1] : `c${n}`;
        if (cmid !== undefined && used.has(`${from}/${cmid}`)) cmid = undefined;
        if (cmid !== undefined) used.add(`${from}/${cmid}`);
        const time = clock - (r.chance(0.1) ? r.int(5000) : 0);
        const payload = new Uint8Array([n & 255, r.int(256)]);
        const message: NewMessage = r.chance(0.6)
          ? { id, conversation: { kind: "room", room: r.pick(ROOMS) }, from, time, payload, streams: [] }
          : { id, conversation: { kind: "direct", to: r.pick(USERS.filter((u) => u !== from)) }, from, time, payload, streams: [] };
        message.streams = message.conversation.kind === "room"
          ? [`room:${message.conversation.room}`]
          : [`inbox:${from}`, `inbox:${message.conversation.to}`];
        if (cmid !== undefined) message.cmid = cmid;
        batch.push(message);
      }
      const result = await outcome(() => engine.append(batch));
      log.push(["append", result]);
      if (!("error" in result)) {
        for (const m of batch) {
          ids.push(m.id);
          if (m.cmid !== undefined) cmids.push([m.from, m.cmid]);
        }
      }
    } else if (op < 55) {
      const stream = r.pick(STREAMS);
      const after = r.chance(0.5) ? r.int(40) : undefined;
      const before = r.chance(0.5) ? r.int(50) : undefined;
      const result = await outcome(() => engine.read(stream, { after, before, limit: r.int(12) + 1 }));
      log.push(["read", stream, after, before, "error" in result ? result : { ...epochs.see(stream, result), messages: result.messages }]);
    } else if (op < 62) {
      const id = ids.length > 0 ? r.recent(ids) : "none";
      const stream = r.chance(0.5) ? r.pick(STREAMS) : undefined;
      log.push(["get", id, stream, await outcome(() => engine.getMessage(id, stream))]);
    } else if (op < 68) {
      const id = ids.length > 0 ? r.pick(ids) : "none";
      const update = r.chance(0.5)
        ? { action: "edit" as const, payload: new Uint8Array([r.int(256)]), time: clock }
        : { action: "recall" as const, time: clock };
      log.push(["update", id, await outcome(() => engine.updateMessage(id, update))]);
    } else if (op < 76) {
      const [from, cmid] = cmids.length > 0 ? r.recent(cmids) : ["ann", "none"];
      const since = clock - r.int(20_000);
      log.push(["findByClientId", from, cmid, await outcome(() => engine.findByClientId(from, cmid, since))]);
    } else if (op < 84) {
      const stream = r.pick(STREAMS);
      const from = r.chance(0.5) ? r.pick(USERS) : undefined;
      const after = r.int(30);
      log.push(["countAfter", stream, after, from, await outcome(() => engine.countAfter(stream, after, from))]);
    } else if (op < 90) {
      const stream = r.pick(STREAMS);
      const info = await engine.streamInfo(stream);
      log.push(["info", stream, epochs.see(stream, info)]);
    } else if (op < 96) {
      const rules = [
        { prefix: "room:", maxMessages: r.int(30), maxAgeMs: r.chance(0.5) ? r.int(30_000) : 0 },
        { prefix: "room:game:", maxMessages: r.int(5), maxAgeMs: 0 },
        { prefix: "inbox:", maxMessages: r.chance(0.5) ? r.int(20) : 0, maxAgeMs: r.chance(0.3) ? r.int(60_000) : 0 },
      ].filter(() => r.chance(0.7));
      const removed = await outcome(() => engine.applyRetention(rules, clock, clock - r.int(30_000)));
      log.push(["retention", rules, removed]);
    } else {
      const stream = r.pick(STREAMS);
      const info = await engine.resetStream(stream);
      log.push(["reset", stream, epochs.see(stream, info)]);
    }
  }
  return log;
}

const engines: [string, () => MessageStore][] = [
  ["sqlite, default flushing", () => openSqliteStore(":memory:")],
  ["sqlite, flush at every append", () => openSqliteStore(":memory:", { flushEntries: 1 })],
  ["sqlite, flush every 5 entries", () => openSqliteStore(":memory:", { flushEntries: 5, flushIntervalMs: 3_600_000 })],
];

describe("SQLite engine matches the memory engine on random operation sequences", () => {
  for (const [name, open] of engines) {
    test(name, async () => {
      for (let seed = 1; seed <= 8; seed++) {
        const reference = new MemoryStore();
        const engine = open();
        const expected = await run(seed, 400, reference);
        const actual = await run(seed, 400, engine);
        await reference.close();
        await engine.close();
        for (let i = 0; i < expected.length; i++) {
          if (!Bun.deepEquals(actual[i], expected[i])) {
            expect({ seed, step: i, op: actual[i] }).toEqual({ seed, step: i, op: expected[i] });
          }
        }
      }
    });
  }
});
