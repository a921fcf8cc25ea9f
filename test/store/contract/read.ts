/**
 * @module test/store/contract/read
 * Message store contract: Reading ranges and paging; stream info, epochs and reset.
 */

import { beforeEach, describe, expect, test } from "bun:test";
import { T0, roomMessage, directMessage, roomMessages, expectStoreError, ids, offsets, type StoreRef } from "./helpers.ts";

export function describeRead(store: StoreRef): void {
  describe("read", () => {
    beforeEach(async () => {
      await store().append(roomMessages("r", 23));
    });

    test("without bounds: the newest `limit`, ascending", async () => {
      const result = await store().read("room:r", { limit: 5 });
      expect(offsets(result.messages)).toEqual([19, 20, 21, 22, 23]);
      expect(ids(result.messages)).toEqual(["r-19", "r-20", "r-21", "r-22", "r-23"]);
      expect(result.head).toBe(23);
      expect(result.oldest).toBe(1);
      expect(result.epoch).toBe((await store().streamInfo("room:r")).epoch);
    });

    test("with `before` only: the newest `limit` below it, ascending", async () => {
      expect(offsets((await store().read("room:r", { before: 10, limit: 3 })).messages)).toEqual([7, 8, 9]);
      expect(offsets((await store().read("room:r", { before: 3, limit: 5 })).messages)).toEqual([1, 2]);
      expect((await store().read("room:r", { before: 1, limit: 5 })).messages).toEqual([]);
      expect((await store().read("room:r", { before: 0, limit: 5 })).messages).toEqual([]);
    });

    test("with `after`: the oldest `limit` above it", async () => {
      expect(offsets((await store().read("room:r", { after: 0, limit: 3 })).messages)).toEqual([1, 2, 3]);
      expect(offsets((await store().read("room:r", { after: 20, limit: 5 })).messages)).toEqual([21, 22, 23]);
      expect((await store().read("room:r", { after: 23, limit: 5 })).messages).toEqual([]);
      expect((await store().read("room:r", { after: 99, limit: 5 })).messages).toEqual([]);
    });

    test("with `after` and `before`: the oldest `limit` strictly between", async () => {
      expect(offsets((await store().read("room:r", { after: 5, before: 12, limit: 3 })).messages)).toEqual([6, 7, 8]);
      expect(offsets((await store().read("room:r", { after: 5, before: 9, limit: 10 })).messages)).toEqual([6, 7, 8]);
      expect((await store().read("room:r", { after: 5, before: 6, limit: 10 })).messages).toEqual([]);
    });

    test("paging backwards yields every message exactly once", async () => {
      const seen: number[] = [];
      let before: number | undefined;
      for (let page = 0; page < 10; page++) {
        const { messages } = await store().read("room:r", before === undefined ? { limit: 5 } : { before, limit: 5 });
        if (messages.length === 0) break;
        seen.unshift(...offsets(messages));
        before = messages[0]!.offset;
      }
      expect(seen).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    });

    test("paging forwards yields every message exactly once", async () => {
      const seen: number[] = [];
      let after = 0;
      for (let page = 0; page < 10; page++) {
        const { messages } = await store().read("room:r", { after, limit: 4 });
        if (messages.length === 0) break;
        seen.push(...offsets(messages));
        after = messages[messages.length - 1]!.offset;
      }
      expect(seen).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    });

    test("limit must be an integer in 1..1000", async () => {
      for (const limit of [0, -1, 1001, 1.5, Number.NaN]) {
        await expectStoreError(store().read("room:r", { limit }), "invalid");
      }
      expect((await store().read("room:r", { limit: 1 })).messages.length).toBe(1);
      expect((await store().read("room:r", { limit: 1000 })).messages.length).toBe(23);
    });

    test("after and before must be integers >= 0", async () => {
      await expectStoreError(store().read("room:r", { after: -1, limit: 5 }), "invalid");
      await expectStoreError(store().read("room:r", { before: 2.5, limit: 5 }), "invalid");
    });

    test("a stream never written reads empty with head 0 and a stable epoch", async () => {
      const result = await store().read("room:nothing", { limit: 10 });
      expect(result).toMatchObject({ head: 0, oldest: 1, messages: [] });
      expect(typeof result.epoch).toBe("string");
      expect(result.epoch.length).toBeGreaterThan(0);
      await store().append([roomMessage("n1", "nothing")]);
      expect((await store().read("room:nothing", { limit: 10 })).epoch).toBe(result.epoch);
    });
  });
}

export function describeStreams(store: StoreRef): void {
  describe("streamInfo and resetStream", () => {
    test("a stream never written: head 0, oldest 1, an epoch that stays the same", async () => {
      const info = await store().streamInfo("room:new");
      expect(info.head).toBe(0);
      expect(info.oldest).toBe(1);
      expect(info.epoch.length).toBeGreaterThan(0);
      expect(await store().streamInfo("room:new")).toEqual(info);
    });

    test("the epoch is stable across appends and differs between streams", async () => {
      const before = await store().streamInfo("room:a");
      await store().append(roomMessages("a", 3));
      await store().append([roomMessage("b1", "b")]);
      const a = await store().streamInfo("room:a");
      expect(a).toEqual({ epoch: before.epoch, head: 3, oldest: 1 });
      expect((await store().streamInfo("room:b")).epoch).not.toBe(a.epoch);
    });

    test("reset gives a new epoch, head 0, and offsets start again at 1", async () => {
      await store().append(roomMessages("a", 3));
      await store().append([roomMessage("b1", "b")]);
      const before = await store().streamInfo("room:a");
      const reset = await store().resetStream("room:a");
      expect(reset.epoch).not.toBe(before.epoch);
      expect(reset).toMatchObject({ head: 0, oldest: 1 });
      expect(await store().streamInfo("room:a")).toEqual(reset);
      expect((await store().read("room:a", { limit: 10 })).messages).toEqual([]);
      const [result] = await store().append([roomMessage("a-new", "a")]);
      expect(result!.offsets).toEqual([1]);
      expect((await store().streamInfo("room:a")).epoch).toBe(reset.epoch);
      expect((await store().read("room:b", { limit: 10 })).messages.length).toBe(1);
    });

    test("reset deletes messages left without entries, keeps those still in another stream", async () => {
      await store().append([roomMessage("r1", "a", { cmid: "c1" }), directMessage("d1", "alice", "bob", { cmid: "c2" })]);
      await store().resetStream("room:a");
      await store().resetStream("inbox:alice");
      expect(await store().getMessage("r1")).toBeUndefined();
      expect(await store().findByClientId("alice", "c1", 0)).toBeUndefined();
      expect((await store().getMessage("d1", "inbox:bob"))!.offset).toBe(1);
      expect(await store().findByClientId("alice", "c2", 0)).toEqual({
        id: "d1", time: T0, streams: ["inbox:bob"], offsets: [1],
      });
    });

    test("reset of a stream never written gives it an epoch", async () => {
      const reset = await store().resetStream("room:never");
      expect(reset).toMatchObject({ head: 0, oldest: 1 });
      expect((await store().streamInfo("room:never")).epoch).toBe(reset.epoch);
    });
  });
}
