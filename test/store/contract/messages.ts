/**
 * @module test/store/contract/messages
 * Message store contract: Single messages (get, edit, recall), client ids, cursors and counts.
 */

import { beforeEach, describe, expect, test } from "bun:test";
import { T0, bytes, roomMessage, directMessage, expectStoreError, type StoreRef } from "./helpers.ts";

export function describeMessages(store: StoreRef): void {
  describe("getMessage and updateMessage", () => {
    beforeEach(async () => {
      await store().append([roomMessage("pad", "a")]);
      await store().append([roomMessage("m1", "a", { cmid: "c1" }), directMessage("d1", "alice", "bob")]);
    });

    test("without a stream: offset 0; with one: the offset there", async () => {
      expect(await store().getMessage("m1")).toMatchObject({ id: "m1", offset: 0, state: 0 });
      expect(await store().getMessage("m1", "room:a")).toMatchObject({ id: "m1", offset: 2 });
      expect((await store().getMessage("d1", "inbox:alice"))!.offset).toBe(1);
      expect((await store().getMessage("d1", "inbox:bob"))!.offset).toBe(1);
    });

    test("unknown ids, and streams the message is not in, give undefined", async () => {
      expect(await store().getMessage("nope")).toBeUndefined();
      expect(await store().getMessage("nope", "room:a")).toBeUndefined();
      expect(await store().getMessage("m1", "room:b")).toBeUndefined();
      expect(await store().updateMessage("nope", { action: "recall", time: T0 })).toBeUndefined();
    });

    test("edit replaces the payload, sets state 1 and updatedAt, keeps the rest", async () => {
      const edited = await store().updateMessage("m1", { action: "edit", payload: bytes(9, 9), time: T0 + 50 });
      expect(edited).toMatchObject({ id: "m1", state: 1, payload: bytes(9, 9), updatedAt: T0 + 50, time: T0, cmid: "c1" });
      const again = await store().updateMessage("m1", { action: "edit", payload: bytes(8), time: T0 + 60 });
      expect(again).toMatchObject({ state: 1, payload: bytes(8), updatedAt: T0 + 60 });
      const [, read] = (await store().read("room:a", { limit: 10 })).messages;
      expect(read).toMatchObject({ id: "m1", offset: 2, state: 1, payload: bytes(8), updatedAt: T0 + 60 });
    });

    test("recall leaves a tombstone: state 2, empty payload, same offset", async () => {
      await store().updateMessage("m1", { action: "edit", payload: bytes(9), time: T0 + 10 });
      const recalled = await store().updateMessage("m1", { action: "recall", time: T0 + 20 });
      expect(recalled).toMatchObject({ id: "m1", state: 2, updatedAt: T0 + 20, from: "alice" });
      expect(recalled!.payload.length).toBe(0);
      const { messages } = await store().read("room:a", { limit: 10 });
      expect(messages.map((m) => [m.id, m.offset, m.state])).toEqual([["pad", 1, 0], ["m1", 2, 2]]);
      expect(messages[1]!.payload.length).toBe(0);
      expect(await store().getMessage("m1", "room:a")).toMatchObject({ state: 2, offset: 2 });
    });

    test("a recalled message cannot be edited; recalling it again changes nothing", async () => {
      await store().updateMessage("d1", { action: "recall", time: T0 + 20 });
      await expectStoreError(store().updateMessage("d1", { action: "edit", payload: bytes(1), time: T0 + 30 }), "invalid");
      const again = await store().updateMessage("d1", { action: "recall", time: T0 + 40 });
      expect(again).toMatchObject({ state: 2, updatedAt: T0 + 20 });
      expect(await store().getMessage("d1", "inbox:bob")).toMatchObject({ state: 2, updatedAt: T0 + 20 });
    });
  });
}

export function describeClientIds(store: StoreRef): void {
  describe("findByClientId", () => {
    test("finds the message with its streams and offsets in append order", async () => {
      await store().append([directMessage("pad", "bob", "carol")]);
      await store().append([
        directMessage("d1", "alice", "bob", { cmid: "c1", time: T0 + 5 }),
        directMessage("d2", "bob", "alice", { cmid: "c1", time: T0 + 6 }),
        roomMessage("r1", "a", { cmid: "c2" }),
      ]);
      expect(await store().findByClientId("alice", "c1", 0)).toEqual({
        id: "d1", time: T0 + 5, streams: ["inbox:alice", "inbox:bob"], offsets: [1, 2],
      });
      expect(await store().findByClientId("bob", "c1", 0)).toEqual({
        id: "d2", time: T0 + 6, streams: ["inbox:bob", "inbox:alice"], offsets: [3, 2],
      });
      expect(await store().findByClientId("alice", "c2", 0)).toEqual({
        id: "r1", time: T0, streams: ["room:a"], offsets: [1],
      });
    });

    test("only at or after sinceTime", async () => {
      await store().append([roomMessage("r1", "a", { cmid: "c1", time: T0 + 100 })]);
      expect((await store().findByClientId("alice", "c1", T0 + 100))!.id).toBe("r1");
      expect(await store().findByClientId("alice", "c1", T0 + 101)).toBeUndefined();
    });

    test("unknown pairs give undefined", async () => {
      await store().append([roomMessage("r1", "a", { cmid: "c1" }), roomMessage("r2", "a")]);
      expect(await store().findByClientId("alice", "c9", 0)).toBeUndefined();
      expect(await store().findByClientId("bob", "c1", 0)).toBeUndefined();
    });
  });
}

export function describeCursors(store: StoreRef): void {
  describe("cursors", () => {
    test("0 until set; advance never moves back", async () => {
      expect(await store().getCursor("alice", "ack")).toBe(0);
      expect(await store().advanceCursor("alice", "ack", 5)).toBe(5);
      expect(await store().advanceCursor("alice", "ack", 3)).toBe(5);
      expect(await store().getCursor("alice", "ack")).toBe(5);
      expect(await store().advanceCursor("alice", "ack", 9)).toBe(9);
      expect(await store().advanceCursor("alice", "ack", 9)).toBe(9);
      expect(await store().getCursor("bob", "ack")).toBe(0);
    });

    test("offsets must be integers >= 0", async () => {
      await expectStoreError(store().advanceCursor("alice", "ack", -1), "invalid");
      await expectStoreError(store().advanceCursor("alice", "ack", 1.5), "invalid");
      expect(await store().advanceCursor("alice", "ack", 0)).toBe(0);
    });

    test("listCursors returns one user's cursors whose name starts with the prefix", async () => {
      await store().advanceCursor("alice", "ack", 4);
      await store().advanceCursor("alice", "read:room:a", 2);
      await store().advanceCursor("alice", "read:room:b", 7);
      await store().advanceCursor("alice", "read_x", 1);
      await store().advanceCursor("alice", "read%", 1);
      await store().advanceCursor("bob", "read:room:a", 3);
      expect(await store().listCursors("alice", "read:")).toEqual(new Map([["read:room:a", 2], ["read:room:b", 7]]));
      expect(await store().listCursors("alice", "read:room:b")).toEqual(new Map([["read:room:b", 7]]));
      expect(await store().listCursors("alice", "READ:")).toEqual(new Map());
      expect((await store().listCursors("alice", "")).size).toBe(5);
      expect(await store().listCursors("carol", "")).toEqual(new Map());
    });
  });
}

export function describeCountAfter(store: StoreRef): void {
  describe("countAfter", () => {
    beforeEach(async () => {
      await store().append([
        roomMessage("1", "a"), roomMessage("2", "a", { from: "bob" }), roomMessage("3", "a"),
        roomMessage("4", "a", { from: "bob" }), roomMessage("5", "a", { from: "bob" }),
      ]);
    });

    test("counts offsets above `after`", async () => {
      expect(await store().countAfter("room:a", 0)).toBe(5);
      expect(await store().countAfter("room:a", 3)).toBe(2);
      expect(await store().countAfter("room:a", 5)).toBe(0);
      expect(await store().countAfter("room:a", 50)).toBe(0);
      expect(await store().countAfter("room:none", 0)).toBe(0);
    });

    test("with `from`, only that sender's messages", async () => {
      expect(await store().countAfter("room:a", 0, "bob")).toBe(3);
      expect(await store().countAfter("room:a", 2, "bob")).toBe(2);
      expect(await store().countAfter("room:a", 0, "alice")).toBe(2);
      expect(await store().countAfter("room:a", 0, "carol")).toBe(0);
    });

    test("counts only what is retained", async () => {
      await store().applyRetention([{ prefix: "room:", maxMessages: 2, maxAgeMs: 0 }], T0, 0);
      expect(await store().countAfter("room:a", 0)).toBe(2);
      expect(await store().countAfter("room:a", 4)).toBe(1);
      expect(await store().countAfter("room:a", 0, "alice")).toBe(0);
    });
  });
}
