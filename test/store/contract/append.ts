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


      test("a (from, cmid) pair repeated inside the batch", async () => {
        const batch = [roomMessage("new-1", "b", { cmid: "fresh" }), roomMessage("new-2", "a", { cmid: "fresh" })];
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

    test("the same cmid from different senders is fine", async () => {
      await store().append([roomMessage("a1", "a", { cmid: "c1" }), roomMessage("b1", "b", { from: "bob", cmid: "c1" })]);
      expect((await store().findByClientId("bob", "c1", 0))!.id).toBe("b1");
      expect((await store().findByClientId("alice", "c1", 0))!.id).toBe("a1");
    });

    test("a (from, cmid) pair remembered from an earlier append is taken over by the new message", async () => {
      await store().append([roomMessage("old", "a", { cmid: "c1", time: T0 }), roomMessage("other", "a", { cmid: "c2" })]);
      const [result] = await store().append([roomMessage("new", "b", { cmid: "c1", time: T0 + 10 })]);
      expect(result!.offsets).toEqual([1]);
      expect(await store().findByClientId("alice", "c1", 0)).toEqual({ id: "new", time: T0 + 10, streams: ["room:b"], offsets: [1] });
      expect(await store().findByClientId("alice", "c1", T0 + 11)).toBeUndefined();
      expect((await store().getMessage("old"))!.cmid).toBe("c1");
      // Removing the old message must not forget the pair, which now belongs to the new one.
      await store().resetStream("room:a");
      expect((await store().findByClientId("alice", "c1", 0))!.id).toBe("new");
    });
  });
}
