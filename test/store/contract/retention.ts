/**
 * @module test/store/contract/retention
 * Message store contract: Retention by count and age, client-id expiry, token revocations, ping and close.
 */

import { describe, expect, test } from "bun:test";
import { T0, roomMessage, directMessage, roomMessages, expectStoreError, offsets, type StoreRef } from "./helpers.ts";

export function describeRetention(store: StoreRef): void {
  describe("applyRetention", () => {
    const rule = (prefix: string, maxMessages: number, maxAgeMs = 0) => ({ prefix, maxMessages, maxAgeMs });

    test("by count: keeps the newest, offsets unchanged, oldest moves, removed messages are gone", async () => {
      await store().append(roomMessages("a", 10));
      const epoch = (await store().streamInfo("room:a")).epoch;
      expect(await store().applyRetention([rule("room:", 3)], T0, 0)).toBe(7);
      const result = await store().read("room:a", { limit: 100 });
      expect(result).toMatchObject({ epoch, head: 10, oldest: 8 });
      expect(result.messages.map((m) => [m.id, m.offset])).toEqual([["a-8", 8], ["a-9", 9], ["a-10", 10]]);
      expect(await store().getMessage("a-7")).toBeUndefined();
      expect(await store().applyRetention([rule("room:", 3)], T0, 0)).toBe(0);
      const [next] = await store().append([roomMessage("a-11", "a")]);
      expect(next!.offsets).toEqual([11]);
      expect(offsets((await store().read("room:a", { after: 0, limit: 2 })).messages)).toEqual([8, 9]);
    });

    test("by age: removes messages with time < now - maxAgeMs", async () => {
      await store().append(roomMessages("a", 10)); // times T0 .. T0 + 9000
      expect(await store().applyRetention([rule("room:", 0, 5000)], T0 + 9000, 0)).toBe(4);
      expect(await store().streamInfo("room:a")).toMatchObject({ head: 10, oldest: 5 });
      expect(await store().getMessage("a-4")).toBeUndefined();
      expect((await store().getMessage("a-5", "room:a"))!.offset).toBe(5);
      expect(await store().applyRetention([rule("room:", 0, 5000)], T0 + 100_000, 0)).toBe(6);
      expect(await store().streamInfo("room:a")).toMatchObject({ head: 10, oldest: 11 });
      expect((await store().read("room:a", { limit: 10 })).messages).toEqual([]);
    });

    test("by age: stops at the first younger message, so no gap opens", async () => {
      await store().append([
        roomMessage("old1", "a", { time: T0 }), roomMessage("young", "a", { time: T0 + 10_000 }),
        roomMessage("old2", "a", { time: T0 }),
      ]);
      expect(await store().applyRetention([rule("room:", 0, 5000)], T0 + 10_000, 0)).toBe(1);
      expect(offsets((await store().read("room:a", { limit: 10 })).messages)).toEqual([2, 3]);
    });

    test("count and age together: the stricter wins", async () => {
      await store().append(roomMessages("a", 10));
      expect(await store().applyRetention([rule("room:", 8, 3000)], T0 + 9000, 0)).toBe(6);
      expect(await store().streamInfo("room:a")).toMatchObject({ oldest: 7 });
      await store().append(roomMessages("b", 10));
      expect(await store().applyRetention([rule("room:b", 2, 3000)], T0 + 9000, 0)).toBe(8);
    });

    test("the longest matching prefix wins; unmatched streams are kept", async () => {
      await store().append([...roomMessages("game:x", 5), ...roomMessages("keep:y", 5), ...roomMessages("z", 5)]);
      await store().append([directMessage("d1", "alice", "bob"), directMessage("d2", "alice", "bob")]);
      const removed = await store().applyRetention([rule("room:", 4), rule("room:game:", 1), rule("room:keep:", 0)], T0, 0);
      expect(removed).toBe(4 + 1);
      expect((await store().streamInfo("room:game:x")).oldest).toBe(5);
      expect((await store().streamInfo("room:keep:y")).oldest).toBe(1);
      expect((await store().streamInfo("room:z")).oldest).toBe(2);
      expect((await store().streamInfo("inbox:alice")).oldest).toBe(1);
    });

    test("a direct message stays while one inbox still holds it", async () => {
      await store().append([directMessage("d1", "alice", "bob"), directMessage("d2", "alice", "carol")]);
      expect(await store().applyRetention([rule("inbox:alice", 1)], T0, 0)).toBe(1);
      expect(await store().getMessage("d1", "inbox:alice")).toBeUndefined();
      expect((await store().getMessage("d1", "inbox:bob"))!.offset).toBe(1);
      expect(await store().applyRetention([rule("inbox:", 1), rule("inbox:bob", 0, 1)], T0 + 10, 0)).toBe(1);
      expect(await store().getMessage("d1")).toBeUndefined();
      expect((await store().getMessage("d2", "inbox:carol"))!.offset).toBe(1);
    });

    test("client ids expire before clientIdsBefore, and the cmid can be used again", async () => {
      await store().append([
        roomMessage("r1", "a", { cmid: "c1", time: T0 }),
        roomMessage("r2", "a", { cmid: "c2", time: T0 + 1000 }),
      ]);
      expect(await store().applyRetention([], T0 + 5000, T0 + 1000)).toBe(0);
      expect(await store().findByClientId("alice", "c1", 0)).toBeUndefined();
      expect((await store().findByClientId("alice", "c2", 0))!.id).toBe("r2");
      expect((await store().getMessage("r1"))!.cmid).toBe("c1");
      await store().append([roomMessage("r3", "a", { cmid: "c1", time: T0 + 5000 })]);
      expect((await store().findByClientId("alice", "c1", 0))!.id).toBe("r3");
    });

    test("a message removed by retention forgets its client id", async () => {
      await store().append([roomMessage("r1", "a", { cmid: "c1" }), roomMessage("r2", "a")]);
      await store().applyRetention([rule("room:a", 1)], T0, 0);
      expect(await store().findByClientId("alice", "c1", 0)).toBeUndefined();
      await store().append([roomMessage("r3", "a", { cmid: "c1" })]);
      expect((await store().findByClientId("alice", "c1", 0))!.id).toBe("r3");
    });

    test("a partly retained direct message reports only its remaining entries", async () => {
      await store().append([directMessage("d1", "alice", "bob", { cmid: "c1" }), directMessage("d2", "carol", "alice")]);
      await store().applyRetention([rule("inbox:alice", 1)], T0, 0);
      expect(await store().findByClientId("alice", "c1", 0)).toEqual({
        id: "d1", time: T0, streams: ["inbox:bob"], offsets: [1],
      });
    });
  });
}

export function describeRevocations(store: StoreRef): void {
  describe("token revocations", () => {
    test("listRevocations returns the entries still in force (until > now)", async () => {
      expect(await store().listRevocations(T0)).toEqual(new Map());
      await store().revoke("j1", T0 + 1000);
      await store().revoke("j2", T0 + 10);
      await store().revoke("j3", T0 + 5000);
      expect(await store().listRevocations(T0)).toEqual(new Map([["j1", T0 + 1000], ["j2", T0 + 10], ["j3", T0 + 5000]]));
      expect(await store().listRevocations(T0 + 1000)).toEqual(new Map([["j3", T0 + 5000]]));
    });

    test("revoking twice keeps the later entry", async () => {
      await store().revoke("j1", T0 + 1000);
      await store().revoke("j1", T0 + 500);
      expect(await store().listRevocations(T0)).toEqual(new Map([["j1", T0 + 1000]]));
      await store().revoke("j1", T0 + 2000);
      expect(await store().listRevocations(T0)).toEqual(new Map([["j1", T0 + 2000]]));
    });
  });
}

export function describeLifecycle(store: StoreRef): void {
  describe("ping and close", () => {
    test("ping is true while open", async () => {
      expect(await store().ping()).toBe(true);
    });

    test("after close every call rejects with unavailable; close again is a no-op", async () => {
      await store().append([roomMessage("r1", "a", { cmid: "c1" })]);
      await store().close();
      await store().close();
      const calls: (() => Promise<unknown>)[] = [
        () => store().append([roomMessage("r2", "a")]),
        () => store().read("room:a", { limit: 10 }),
        () => store().streamInfo("room:a"),
        () => store().getMessage("r1"),
        () => store().updateMessage("r1", { action: "recall", time: T0 }),
        () => store().findByClientId("alice", "c1", 0),
        () => store().advanceCursor("alice", "ack", 1),
        () => store().getCursor("alice", "ack"),
        () => store().listCursors("alice", ""),
        () => store().countAfter("room:a", 0),
        () => store().applyRetention([], T0, 0),
        () => store().resetStream("room:a"),
        () => store().revoke("j1", T0),
        () => store().listRevocations(T0),
        () => store().ping(),
      ];
      for (const call of calls) await expectStoreError(call(), "unavailable");
    });
  });
}
