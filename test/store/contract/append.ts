/**
 * @module test/store/contract/append
 * Message store contract: Appending: dense offsets, batch order, direct messages in two inboxes, round-trips, atomicity.
 */

import { beforeEach, describe, expect, test } from "bun:test";
import { T0, bytes, roomMessage, directMessage, roomMessages, expectStoreError, ids, type StoreRef } from "./helpers.ts";

export function describeAppend(store: StoreRef): void {
  describe("append", () => {
    test("offsets are dense from 1 and continue across calls", async () => {
      const first = await store().append(roomMessages("a", 3));
      expect(first.map((r) => r.offsets)).toEqual([[1], [2], [3]]);
      const second = await store().append([roomMessage("a-4", "a"), roomMessage("a-5", "a")]);
      expect(second.map((r) => r.offsets)).toEqual([[4], [5]]);
      expect((await store().streamInfo("room:a")).head).toBe(5);
    });

    test("a batch gets offsets in the order given, per stream", async () => {
      const batch = [
        roomMessage("x1", "x"), roomMessage("y1", "y"), roomMessage("x2", "x"),
        roomMessage("x3", "x"), roomMessage("y2", "y"),
      ];
      const results = await store().append(batch);
      expect(results.map((r) => r.offsets[0])).toEqual([1, 1, 2, 3, 2]);
      expect(ids((await store().read("room:x", { limit: 10 })).messages)).toEqual(["x1", "x2", "x3"]);
      expect(ids((await store().read("room:y", { limit: 10 })).messages)).toEqual(["y1", "y2"]);
    });

    test("an empty batch is a no-op", async () => {
      expect(await store().append([])).toEqual([]);
    });

    test("a direct message sits in both inboxes, each at its own offset", async () => {
      await store().append([directMessage("d0", "carol", "bob"), directMessage("d1", "carol", "bob")]);
      const [result] = await store().append([directMessage("d2", "alice", "bob")]);
      expect(result!.offsets).toEqual([1, 3]);
      const alice = await store().read("inbox:alice", { limit: 10 });
      const bob = await store().read("inbox:bob", { limit: 10 });
      expect(alice.messages.map((m) => [m.id, m.offset])).toEqual([["d2", 1]]);
      expect(bob.messages.map((m) => [m.id, m.offset])).toEqual([["d0", 1], ["d1", 2], ["d2", 3]]);
      expect(bob.messages[2]!.conversation).toEqual({ kind: "direct", to: "bob" });
    });

    test("fields round-trip exactly", async () => {
      const payload = bytes(0, 255, 128, 7, 0);
      await store().append([
        roomMessage("r1", "lobby", { from: "zoë", time: T0 + 123, payload, cmid: "c-1" }),
        roomMessage("r2", "lobby", { payload: new Uint8Array(0) }),
      ]);
      const [m1, m2] = (await store().read("room:lobby", { limit: 10 })).messages;
      expect(m1).toEqual({
        id: "r1", conversation: { kind: "room", room: "lobby" }, from: "zoë", time: T0 + 123,
        payload, state: 0, cmid: "c-1", offset: 1,
      });
      expect(m1!.payload).toBeInstanceOf(Uint8Array);
      expect(m1!.updatedAt).toBeUndefined();
      expect(m2!.cmid).toBeUndefined();
      expect(m2!.payload.length).toBe(0);
    });

    test("mutating the payload after append does not change the stored message", async () => {
      const payload = bytes(1, 2, 3);
      await store().append([roomMessage("m", "a", { payload })]);
      payload[0] = 9;
      expect((await store().getMessage("m"))!.payload).toEqual(bytes(1, 2, 3));
    });

    describe("is atomic: an invalid batch writes nothing", () => {
      const expectNothingWritten = async () => {
        expect((await store().streamInfo("room:a")).head).toBe(1);
        expect((await store().streamInfo("room:b")).head).toBe(0);
        expect(await store().getMessage("new-1")).toBeUndefined();
        expect(await store().findByClientId("alice", "fresh", 0)).toBeUndefined();
      };
      beforeEach(async () => {
        await store().append([roomMessage("old", "a", { cmid: "taken" })]);
      });

      test("an id already stored", async () => {
        const batch = [roomMessage("new-1", "b", { cmid: "fresh" }), roomMessage("old", "a")];
        await expectStoreError(store().append(batch), "invalid");
        await expectNothingWritten();
      });

      test("an id repeated inside the batch", async () => {
        const batch = [roomMessage("new-1", "b", { cmid: "fresh" }), roomMessage("new-1", "a")];
        await expectStoreError(store().append(batch), "invalid");
        await expectNothingWritten();
      });


      test("a message without streams, or with a stream twice", async () => {
        await expectStoreError(store().append([roomMessage("new-1", "b"), roomMessage("new-2", "a", { streams: [] })]), "invalid");
        await expectStoreError(
          store().append([roomMessage("new-1", "b", { streams: ["room:b", "room:b"] })]),
          "invalid",
        );
        await expectNothingWritten();
      });

    });

    test("a message id already stored fails the batch even beside a duplicate", async () => {
      await store().append([roomMessage("old", "a", { cmid: "c1" })]);
      await expectStoreError(store().append([roomMessage("dup", "a", { cmid: "c1" }), roomMessage("old", "b")]), "invalid");
      expect((await store().streamInfo("room:b")).head).toBe(0);
    });
  });

  describe("de-duplicates client ids inside the append (window 10 minutes by default)", () => {
    const WINDOW = 600_000;

    test("the same (from, cmid) in two appends is stored once; the second gets the first's result", async () => {
      const [first] = await store().append([roomMessage("m1", "a", { cmid: "c1" })]);
      expect(first).toEqual({ offsets: [1] });
      const [second, other] = await store().append([
        roomMessage("m2", "b", { cmid: "c1", time: T0 + 5000 }),
        roomMessage("m3", "a", { cmid: "c2", time: T0 + 5000 }),
      ]);
      expect(second).toEqual({ offsets: [1], duplicate: { id: "m1", time: T0, streams: ["room:a"], offsets: [1] } });
      expect(other).toEqual({ offsets: [2] });
      expect(await store().getMessage("m2")).toBeUndefined();
      expect((await store().streamInfo("room:b")).head).toBe(0);
      expect(ids((await store().read("room:a", { limit: 10 })).messages)).toEqual(["m1", "m3"]);
    });

    test("the same (from, cmid) twice in one batch: the first is stored, the second points at it", async () => {
      const results = await store().append([
        directMessage("d1", "alice", "bob", { cmid: "c1" }),
        roomMessage("r1", "a"),
        directMessage("d2", "alice", "carol", { cmid: "c1" }),
      ]);
      expect(results).toEqual([
        { offsets: [1, 1] },
        { offsets: [1] },
        { offsets: [1, 1], duplicate: { id: "d1", time: T0, streams: ["inbox:alice", "inbox:bob"], offsets: [1, 1] } },
      ]);
      expect(await store().getMessage("d2")).toBeUndefined();
      expect((await store().streamInfo("inbox:alice")).head).toBe(1);
      expect((await store().streamInfo("inbox:carol")).head).toBe(0);
    });

    test("a batch of duplicates only writes nothing and the next append continues the offsets", async () => {
      await store().append([roomMessage("m1", "a", { cmid: "c1" })]);
      const results = await store().append([roomMessage("m2", "a", { cmid: "c1" }), roomMessage("m3", "a", { cmid: "c1" })]);
      expect(results.map((r) => r.duplicate?.id)).toEqual(["m1", "m1"]);
      expect((await store().append([roomMessage("m4", "a")]))[0]!.offsets).toEqual([2]);
    });

    test("the same cmid from different senders is stored for each", async () => {
      const results = await store().append([roomMessage("a1", "a", { cmid: "c1" }), roomMessage("b1", "a", { from: "bob", cmid: "c1" })]);
      expect(results).toEqual([{ offsets: [1] }, { offsets: [2] }]);
      const [later] = await store().append([roomMessage("b2", "a", { from: "bob", cmid: "c1" })]);
      expect(later!.duplicate!.id).toBe("b1");
    });

    test("a pair stored exactly one window earlier is still a duplicate", async () => {
      await store().append([roomMessage("m1", "a", { cmid: "c1" })]);
      const [edge] = await store().append([roomMessage("m2", "a", { cmid: "c1", time: T0 + WINDOW })]);
      expect(edge!.duplicate!.id).toBe("m1");
    });

    test("outside the window the pair is stored again and from then on means the new message", async () => {
      await store().append([roomMessage("m1", "a", { cmid: "c1" })]);
      const [late] = await store().append([roomMessage("m2", "a", { cmid: "c1", time: T0 + WINDOW + 1 })]);
      expect(late).toEqual({ offsets: [2] });
      const [again] = await store().append([roomMessage("m3", "a", { cmid: "c1", time: T0 + WINDOW + 2 })]);
      expect(again!.duplicate).toEqual({ id: "m2", time: T0 + WINDOW + 1, streams: ["room:a"], offsets: [2] });
      expect((await store().getMessage("m1"))!.cmid).toBe("c1");
    });

    test("once the original is gone (reset, retention) the pair is stored again", async () => {
      await store().append([roomMessage("m1", "a", { cmid: "c1" })]);
      await store().resetStream("room:a");
      const [result] = await store().append([roomMessage("m2", "a", { cmid: "c1", time: T0 + 1 })]);
      expect(result).toEqual({ offsets: [1] });
    });

    test("a duplicate reports only the original's entries still retained", async () => {
      await store().append([directMessage("d1", "alice", "bob", { cmid: "c1" })]);
      await store().resetStream("inbox:bob");
      const [result] = await store().append([directMessage("d2", "alice", "bob", { cmid: "c1" })]);
      expect(result).toEqual({ offsets: [1], duplicate: { id: "d1", time: T0, streams: ["inbox:alice"], offsets: [1] } });
    });
  });

  describe("client ids across appends", () => {
    test("the same cmid from different senders is fine", async () => {
      await store().append([roomMessage("a1", "a", { cmid: "c1" }), roomMessage("b1", "b", { from: "bob", cmid: "c1" })]);
      expect((await store().findByClientId("bob", "c1", 0))!.id).toBe("b1");
      expect((await store().findByClientId("alice", "c1", 0))!.id).toBe("a1");
    });

    test("a (from, cmid) pair stored again outside the window is taken over by the new message", async () => {
      const late = T0 + 600_001;
      await store().append([roomMessage("old", "a", { cmid: "c1", time: T0 }), roomMessage("other", "a", { cmid: "c2" })]);
      const [result] = await store().append([roomMessage("new", "b", { cmid: "c1", time: late })]);
      expect(result!.offsets).toEqual([1]);
      expect(await store().findByClientId("alice", "c1", 0)).toEqual({ id: "new", time: late, streams: ["room:b"], offsets: [1] });
      expect(await store().findByClientId("alice", "c1", late + 1)).toBeUndefined();
      expect((await store().getMessage("old"))!.cmid).toBe("c1");
      // Removing the old message must not forget the pair, which now belongs to the new one.
      await store().resetStream("room:a");
      expect((await store().findByClientId("alice", "c1", 0))!.id).toBe("new");
    });
  });
}
