/**
 * The presence contract: every PresenceManager engine (memory now, Redis later) must pass it.
 * `open` returns a fresh, empty engine; the suite closes it after each test.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { PresenceManager } from "../../src/engines/presence.ts";

export function describePresenceContract(name: string, open: () => Promise<PresenceManager>): void {
  describe(`PresenceManager contract: ${name}`, () => {
    let p: PresenceManager;
    beforeEach(async () => {
      p = await open();
    });
    afterEach(async () => {
      await p.close();
    });

    test("a user is online while any session is; changed only on the first and last", async () => {
      expect(await p.connect("alice", "s1")).toEqual({ changed: true, users: 1, sessions: 1 });
      expect(await p.connect("alice", "s2")).toEqual({ changed: false, users: 1, sessions: 2 });
      expect(await p.connect("alice", "s2")).toEqual({ changed: false, users: 1, sessions: 2 });
      expect(await p.disconnect("alice", "s1", 1000)).toEqual({ changed: false, users: 1, sessions: 1 });
      expect(await p.status(["alice"])).toEqual([{ user: "alice", online: true }]);
      expect(await p.disconnect("alice", "s2", 2000)).toEqual({ changed: true, users: 0, sessions: 0 });
      expect(await p.disconnect("alice", "s2", 3000)).toEqual({ changed: false, users: 0, sessions: 0 });
      expect(await p.status(["alice", "nobody"])).toEqual([
        { user: "alice", online: false, lastSeen: 2000 },
        { user: "nobody", online: false },
      ]);
    });

    test("room membership counts users and sessions; removing an absent member is a no-op", async () => {
      expect(await p.join("r", "alice", "s1")).toEqual({ changed: true, users: 1, sessions: 1 });
      expect(await p.join("r", "alice", "s2")).toEqual({ changed: false, users: 1, sessions: 2 });
      expect(await p.join("r", "bob", "s3")).toEqual({ changed: true, users: 2, sessions: 3 });
      expect(await p.members("r")).toEqual([["alice", 2], ["bob", 1]]);
      expect(await p.counts("r")).toEqual({ users: 2, sessions: 3 });
      expect(await p.leave("r", "alice", "s1")).toEqual({ changed: false, users: 2, sessions: 2 });
      expect(await p.leave("r", "alice", "s9")).toEqual({ changed: false, users: 2, sessions: 2 });
      expect(await p.leave("r", "alice", "s2")).toEqual({ changed: true, users: 1, sessions: 1 });
      expect(await p.leave("nowhere", "x", "y")).toEqual({ changed: false, users: 0, sessions: 0 });
      expect(await p.rooms()).toEqual([["r", { users: 1, sessions: 1 }]]);
      await p.leave("r", "bob", "s3");
      expect(await p.rooms()).toEqual([]);
      expect(await p.members("r")).toEqual([]);
    });

    test("global counts and the online user list", async () => {
      await p.connect("carol", "a");
      await p.connect("alice", "b");
      await p.connect("bob", "c");
      await p.connect("bob", "d");
      expect(await p.counts()).toEqual({ users: 3, sessions: 4 });
      expect(await p.users(10)).toEqual(["alice", "bob", "carol"]);
      expect(await p.users(2)).toEqual(["alice", "bob"]);
    });
  });
}
