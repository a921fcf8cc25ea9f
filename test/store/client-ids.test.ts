/**
 * @module test/store/client-ids
 * The in-memory client-id index shared by the engines: replacement, conditional forget, expiry
 * order, the memory bound and queue compaction.
 */

import { describe, expect, test } from "bun:test";
import { ClientIdIndex } from "../../src/store/client-ids.ts";

describe("ClientIdIndex", () => {
  test("a pair maps to the value added last; pairs are per sender", () => {
    const index = new ClientIdIndex<number>();
    index.add("alice", "c1", 1, 100);
    index.add("bob", "c1", 2, 100);
    index.add("alice", "c1", 3, 200);
    expect(index.get("alice", "c1")).toMatchObject({ value: 3, time: 200 });
    expect(index.get("bob", "c1")).toMatchObject({ value: 2, time: 100 });
    expect(index.get("alice", "c2")).toBeUndefined();
    expect(index.size).toBe(2);
  });

  test("sender and cmid cannot be confused by concatenation", () => {
    const index = new ClientIdIndex<number>();
    index.add("ab", "c", 1, 0);
    expect(index.get("a", "bc")).toBeUndefined();
  });

  test("forget only removes the pair while it still maps to that value", () => {
    const index = new ClientIdIndex<number>();
    index.add("alice", "c1", 1, 100);
    index.add("alice", "c1", 2, 200);
    index.forget("alice", "c1", 1);
    expect(index.get("alice", "c1")?.value).toBe(2);
    index.forget("alice", "c1", 2);
    expect(index.get("alice", "c1")).toBeUndefined();
  });

  test("forgetBefore walks from the oldest added and stops at the first younger one", () => {
    const index = new ClientIdIndex<number>();
    index.add("a", "1", 1, 100);
    index.add("a", "2", 2, 300); // younger, added before an older one
    index.add("a", "3", 3, 150);
    index.forgetBefore(200);
    expect(index.get("a", "1")).toBeUndefined();
    expect(index.get("a", "2")?.value).toBe(2);
    expect(index.get("a", "3")?.value).toBe(3); // kept a little longer, never dropped early
    index.forgetBefore(400);
    expect(index.size).toBe(0);
  });

  test("a pair taken over is not forgotten with the older record", () => {
    const index = new ClientIdIndex<number>();
    index.add("a", "1", 1, 100);
    index.add("a", "1", 2, 500);
    index.forgetBefore(200);
    expect(index.get("a", "1")?.value).toBe(2);
  });

  test("past maxEntries the oldest added are forgotten first", () => {
    const index = new ClientIdIndex<number>(3);
    for (let i = 1; i <= 5; i++) index.add("a", `c${i}`, i, i);
    expect(index.size).toBe(3);
    expect(index.get("a", "c2")).toBeUndefined();
    expect(index.get("a", "c3")?.value).toBe(3);
    expect(index.get("a", "c5")?.value).toBe(5);
  });

  test("stays correct across queue compactions", () => {
    const index = new ClientIdIndex<number>(50_000);
    for (let i = 0; i < 100_000; i++) index.add(`u${i % 7}`, `c${i}`, i, i);
    expect(index.size).toBe(50_000);
    index.forgetBefore(90_000);
    expect(index.size).toBe(10_000);
    expect(index.get("u0", "c89999")).toBeUndefined();
    expect(index.get(`u${90_000 % 7}`, "c90000")?.value).toBe(90_000);
    index.clear();
    expect(index.size).toBe(0);
  });
});
