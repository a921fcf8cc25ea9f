import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HubbubClient, type ChatMessage, type RoomJoined } from "../../client/index.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { FAST, record, until } from "./helpers.ts";

/** A port that was free a moment ago. */
function freePort(): number {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

/** Starts a server on a fixed port, retrying briefly while the previous one releases it. */
async function startOn(port: number, dataPath: string): Promise<TestServer> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await startTestServer({ port, dataPath });
    } catch (err) {
      if (attempt > 50) throw err;
      await Bun.sleep(20);
    }
  }
}

const ROOM = "public:restart";

test("a server restart in the middle of a conversation loses nothing and duplicates nothing, including sends queued during the outage", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hubbub-client-restart-"));
  const dataPath = join(dir, "hubbub.db");
  const port = freePort();
  let server = await startOn(port, dataPath);
  const url = `ws://127.0.0.1:${port}/ws`;
  // The provider mints with whichever server is up (same secret), as a real auth service would.
  const make = (user: string) => new HubbubClient({ url, token: () => server.token(user), reconnect: FAST, ackDelayMs: 20 });
  const alice = make("alice");
  const bob = make("bob");
  const got = { alice: record(alice, "message"), bob: record(bob, "message") };
  const joins: Record<string, RoomJoined[]> = { alice: record(alice, "joined"), bob: record(bob, "joined") };
  const typing = { alice: record(alice, "typing"), bob: record(bob, "typing") };
  const states = record(alice, "state");
  try {
    await Promise.all([alice.connect(), bob.connect()]);
    await Promise.all([alice.join(ROOM), bob.join(ROOM)]);

    // Both talk at once, in the room and directly, without waiting for replies.
    const PER_USER = 60;
    const sends: Promise<unknown>[] = [];
    const talk = async (client: HubbubClient, me: string, peer: string) => {
      for (let i = 1; i <= PER_USER; i++) {
        sends.push(client.publish(ROOM, { from: me, n: i }));
        if (i % 3 === 0) sends.push(client.direct(peer, { from: me, n: i }));
        await Bun.sleep(4);
      }
    };
    const talking = Promise.all([talk(alice, "alice", "bob"), talk(bob, "bob", "alice")]);

    await until(() => got.bob.length >= 30, "the conversation to be under way");
    await server.stop(0); // every session is told 4000 (server restarting)
    await until(() => alice.state === "reconnecting" && bob.state === "reconnecting", "both to notice");
    // An outage: both keep talking into their queues (the server stays down until both queued).
    await until(() => alice.pending > 0 && bob.pending > 0, "sends to queue during the outage");
    expect(alice.pending + bob.pending).toBeGreaterThan(0);
    server = await startOn(port, dataPath);
    await talking;
    await Promise.all(sends);

    const roomTotal = PER_USER * 2;
    const directTotal = Math.floor(PER_USER / 3) * 2;
    for (const name of ["alice", "bob"] as const) {
      await until(() => got[name].length === roomTotal + directTotal, `${name} to get every message`, 10_000);
    }
    // And nothing more. Sentinels: each types in the room and in the conversation once it has every
    // message; a second copy of anything, already on its way to the other, would come before these.
    for (const [me, peer] of [[alice, "bob"], [bob, "alice"]] as const) {
      expect(me.typing(ROOM)).toBe(true);
      expect(me.typing(`@${peer}`)).toBe(true);
    }
    for (const name of ["alice", "bob"] as const) {
      const peer = name === "alice" ? "bob" : "alice";
      await until(() => typing[name].some((t) => t.channel === ROOM && t.user === peer) && typing[name].some((t) => t.channel === `@${peer}`), `${name} to see ${peer} typing in both channels`);
    }
    for (const name of ["alice", "bob"] as const) {
      const messages = got[name];
      const room = messages.filter((m) => m.channel === ROOM);
      expect(room).toHaveLength(roomTotal);
      expect(room.map((m) => m.offset)).toEqual(Array.from({ length: roomTotal }, (_, i) => i + 1));
      for (const sender of ["alice", "bob"]) {
        expect(room.filter((m) => m.from === sender).map((m) => (m.payload as { n: number }).n)).toEqual(Array.from({ length: PER_USER }, (_, i) => i + 1));
      }
      const peer = name === "alice" ? "bob" : "alice";
      const direct = messages.filter((m) => m.channel === `@${peer}`);
      const fromPeer = direct.filter((m) => m.from === peer).map((m: ChatMessage) => (m.payload as { n: number }).n);
      const mine = direct.filter((m) => m.from === name).map((m: ChatMessage) => (m.payload as { n: number }).n);
      const every3 = Array.from({ length: PER_USER / 3 }, (_, i) => (i + 1) * 3);
      expect(fromPeer).toEqual(every3);
      expect(mine).toEqual(every3);
      expect(new Set(messages.map((m) => m.id)).size).toBe(messages.length);
      // The re-join after the restart recovered from the stored position (same data file, same epoch).
      const rejoin = joins[name]!.find((j) => j.rejoin);
      expect(rejoin).toMatchObject({ recovered: true });
    }
    const stored = await alice.history(ROOM, { limit: 1000 });
    expect(stored.messages).toHaveLength(roomTotal);
    expect(states.map((s) => s.state)).toEqual(["connecting", "connected", "reconnecting", "connected"]);
  } finally {
    alice.close();
    bob.close();
    await server.stop(0);
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);
