/**
 * @module test/store/contract/conversation
 * Message store contract: reading one direct conversation out of an inbox (`peer`).
 */

import { beforeEach, describe, expect, test } from "bun:test";
import { MAX_READ_LIMIT } from "../../../src/store/common.ts";
import { T0, directMessage, ids, type StoreRef } from "./helpers.ts";

export function describeConversation(store: StoreRef): void {
  describe("read with peer", () => {
    beforeEach(async () => {
      // bob's inbox interleaves conversations with alice and carol, both directions.
      const batch = [];
      for (let i = 1; i <= 30; i++) {
        const who = i % 3 === 0 ? "carol" : "alice";
        batch.push(i % 2 === 0 ? directMessage(`m${i}`, "bob", who, { time: T0 + i }) : directMessage(`m${i}`, who, "bob", { time: T0 + i }));
      }
      await store().append(batch);
    });

    const expected = (peer: string) =>
      Array.from({ length: 30 }, (_, i) => i + 1)
        .filter((i) => (i % 3 === 0 ? "carol" : "alice") === peer)
        .map((i) => `m${i}`);

    test("newest first page, then older pages with before, never another conversation", async () => {
      const all = expected("alice");
      const newest = await store().read("inbox:bob", { peer: "alice", limit: 5 });
      expect(ids(newest.messages)).toEqual(all.slice(-5));
      expect(newest.head).toBe(30);
      const older = await store().read("inbox:bob", { peer: "alice", limit: 5, before: newest.messages[0]!.offset });
      expect(ids(older.messages)).toEqual(all.slice(-10, -5));
      expect(ids((await store().read("inbox:bob", { peer: "carol", limit: 100 })).messages)).toEqual(expected("carol"));
    });

    test("after pages forward; paging through yields each message once", async () => {
      const seen: string[] = [];
      let after = 0;
      for (;;) {
        const page = await store().read("inbox:bob", { peer: "alice", after, limit: 4 });
        seen.push(...ids(page.messages));
        if (page.messages.length < 4) break;
        after = page.messages[page.messages.length - 1]!.offset;
      }
      expect(seen).toEqual(expected("alice"));
    });

    test("the same conversation read from the other side", async () => {
      expect(ids((await store().read("inbox:alice", { peer: "bob", limit: MAX_READ_LIMIT })).messages)).toEqual(expected("alice"));
      expect((await store().read("inbox:alice", { peer: "carol", limit: 10 })).messages).toEqual([]);
    });
  });

  describe("peekHead", () => {
    test("0 for a stream never written, the head after appends, and it creates nothing", async () => {
      expect(await store().peekHead("inbox:nobody")).toBe(0);
      await store().append([directMessage("p1", "alice", "bob"), directMessage("p2", "carol", "bob")]);
      expect(await store().peekHead("inbox:bob")).toBe(2);
      expect(await store().peekHead("inbox:alice")).toBe(1);
      expect(await store().peekHead("inbox:nobody")).toBe(0);
    });
  });
}
