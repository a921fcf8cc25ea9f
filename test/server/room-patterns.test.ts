/**
 * The token's `rooms` patterns (`*` = any run of characters): the matcher agrees with a plain
 * reference, never backtracks (pathological claims are decided at once through a real server while
 * other clients are served), and patterns over the limits are refused at verification.
 */
import { describe, expect, test } from "bun:test";
import { FrameType } from "../../proto/index.ts";
import { MAX_ROOM_PATTERN_LENGTH, MAX_ROOM_PATTERN_WILDCARDS, roomMatches } from "../../src/auth/room-pattern.ts";
import { runBinary, SOURCE_COMMAND } from "../helpers/binary.ts";
import { TestClient } from "../helpers/client.ts";
import { startTestServer, TEST_SECRET, type TestServer } from "../helpers/server.ts";

/** Reference: a table over (pattern prefix, name prefix); obviously right, O(p × n), no cleverness. */
function referenceMatch(pattern: string, name: string): boolean {
  let row = new Array<boolean>(name.length + 1).fill(false);
  row[0] = true;
  for (const c of pattern) {
    const next = new Array<boolean>(name.length + 1).fill(false);
    for (let j = 0; j <= name.length; j++) {
      if (c === "*") next[j] = row[j]! || (j > 0 && next[j - 1]!);
      else next[j] = j > 0 && row[j - 1]! && name[j - 1] === c;
    }
    row = next;
  }
  return row[name.length]!;
}

/** mulberry32: a small seeded PRNG, so a failure reproduces. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hs256Token(payload: object): string {
  const part = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const input = `${part({ alg: "HS256", typ: "JWT" })}.${part(payload)}`;
  return `${input}.${new Bun.CryptoHasher("sha256", TEST_SECRET).update(input).digest("base64url")}`;
}

async function upgrade(server: TestServer, token: string): Promise<{ status: number; body: any }> {
  const url = new URL(server.wsUrl.replace("ws://", "http://"));
  url.searchParams.set("token", token);
  const res = await fetch(url, {
    headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" },
  });
  return { status: res.status, body: res.status === 101 ? undefined : await res.json() };
}

describe("roomMatches", () => {
  test("agrees with a reference matcher on random patterns and names (seeded)", () => {
    const random = prng(0x5eed);
    const pick = (alphabet: string, length: number) => Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
    let matched = 0;
    const cases = 20_000;
    for (let i = 0; i < cases; i++) {
      // Small alphabets so that matches are common; `?` and `.` must be literal.
      const pattern = pick("ab**:?.", Math.floor(random() * 10));
      const name = pick("ab:?.", Math.floor(random() * 10));
      const expected = referenceMatch(pattern, name);
      if (roomMatches(pattern, name) !== expected) throw new Error(`roomMatches(${JSON.stringify(pattern)}, ${JSON.stringify(name)}) should be ${expected}`);
      if (expected) matched++;
    }
    // Both outcomes are well represented.
    expect(matched).toBeGreaterThan(cases / 20);
    expect(matched).toBeLessThan(cases - cases / 20);
  });

  test("agrees with the reference on long names and many stars", () => {
    const random = prng(42);
    const pick = (alphabet: string, length: number) => Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
    for (let i = 0; i < 2_000; i++) {
      const name = pick("ab", 1 + Math.floor(random() * 200));
      // Half the patterns are cut from the name (so they tend to match), half are random.
      let pattern = "";
      if (random() < 0.5) {
        for (const c of name) pattern += random() < 0.1 ? "*" : random() < 0.8 ? c : "";
      } else {
        pattern = pick("ab*", Math.floor(random() * 40));
      }
      if ((pattern.match(/\*/g)?.length ?? 0) > MAX_ROOM_PATTERN_WILDCARDS) continue;
      const expected = referenceMatch(pattern, name);
      if (roomMatches(pattern, name) !== expected) throw new Error(`roomMatches(${JSON.stringify(pattern)}, ${JSON.stringify(name)}) should be ${expected}`);
    }
  });

  test("fixed cases", () => {
    expect(roomMatches("team:*", "team:42")).toBe(true);
    expect(roomMatches("team:*", "team:")).toBe(true);
    expect(roomMatches("team:*", "team")).toBe(false);
    expect(roomMatches("*", "x")).toBe(true);
    expect(roomMatches("**", "x")).toBe(true);
    expect(roomMatches("a*a", "a")).toBe(false); // head and tail may not overlap
    expect(roomMatches("a*a", "aa")).toBe(true);
    expect(roomMatches("ops", "ops")).toBe(true);
    expect(roomMatches("o.s", "ops")).toBe(false); // no regular-expression syntax
    expect(roomMatches("*:*:x", "a:b:x")).toBe(true);
    expect(roomMatches("*:*:x", "a:b:y")).toBe(false);
  });

  test("a pattern over the limits matches nothing", () => {
    const many = "*".repeat(MAX_ROOM_PATTERN_WILDCARDS + 1);
    expect(roomMatches("*".repeat(MAX_ROOM_PATTERN_WILDCARDS), "anything")).toBe(true);
    expect(roomMatches(many, "anything")).toBe(false);
    expect(roomMatches(`x${"a".repeat(MAX_ROOM_PATTERN_LENGTH)}*`, `x${"a".repeat(MAX_ROOM_PATTERN_LENGTH)}`)).toBe(false);
  });
});

describe("pathological rooms claims through a real server", () => {
  const STARS = 16;
  /** `*a*a…*a*b` with 16 stars; and variants on other letters so each check is separate work. */
  const evil = (letter: string, last: string) => `${`*${letter}`.repeat(STARS - 1)}*${last}`;

  test("16-star claims against 200-character names are decided at once while a bystander is served", async () => {
    // The server runs in a child process: a matcher that backtracks would stall it, not the test,
    // and the test fails on its bounds instead of hanging.
    const server = await runBinary({ HUBBUB_JWT_SECRET: TEST_SECRET, HUBBUB_DATA_PATH: ":memory:", HUBBUB_MAX_ROOMS_PER_SESSION: "1000" }, [], SOURCE_COMMAND);
    const clients: TestClient[] = [];
    try {
      // Names below are made of a, b, c and x: only `*a…*b` can match them.
      const rooms = [...[..."adefghijklmnopqrstuvw"].map((l) => evil(l, "b")), ...[..."adefg"].map((l) => evil(l, "z")), evil("a", "a")];
      expect(rooms).toHaveLength(27);
      const user = await TestClient.connect(server.wsUrl, hs256Token({ sub: "evil", rooms }));
      const bystander = await TestClient.connect(server.wsUrl, hs256Token({ sub: "bystander" }));
      clients.push(user, bystander);

      // 200-character names: all `a`s ending in something no pattern ends with (the regular
      // expression's worst case), too few `a`s before a `b`, enough `a`s before a `b` (a match).
      const refused = Array.from({ length: 60 }, (_, i) => `${"a".repeat(199 - i)}${"c".repeat(i + 1)}`);
      const tooFew = Array.from({ length: 20 }, (_, i) => `${"a".repeat(14)}${"x".repeat(185 - i)}${"c".repeat(i)}b`);
      const allowed = Array.from({ length: 60 }, (_, i) => `${"a".repeat(15 + i)}${"x".repeat(184 - i)}b`);
      for (const name of [...refused, ...tooFew, ...allowed]) expect(name).toHaveLength(200);

      const started = performance.now();
      // Every JOIN is in flight at once; the bystander pings until all of them are answered.
      const outcomes = Promise.all(
        [...refused, ...tooFew, ...allowed].map((room) =>
          user.request({ type: FrameType.Join, room }, 5000).then(
            () => "joined",
            (err) => (err.code === 403 ? "forbidden" : `error: ${err.message}`),
          ),
        ),
      );
      let done = false;
      void outcomes.finally(() => (done = true));
      const pings: number[] = [];
      do {
        const sent = performance.now();
        bystander.send({ type: FrameType.Ping });
        await bystander.next((f) => f.type === FrameType.Pong, 5000);
        pings.push(performance.now() - sent);
      } while (!done);
      const results = await outcomes;
      const elapsed = performance.now() - started;

      expect(results).toEqual([...refused.map(() => "forbidden"), ...tooFew.map(() => "forbidden"), ...allowed.map(() => "joined")]);
      // 140 JOINs × 27 patterns: thousands of pathological checks (the old regular expression took
      // 0.6 s on one 9-star pattern against a 40-character name, 30 s against 60). Generous bounds
      // for a busy machine; the real cost is a few milliseconds.
      expect(elapsed).toBeLessThan(3000);
      expect(Math.max(...pings)).toBeLessThan(1000);
      // PUBLISH asks the same policy.
      await expect(user.request({ type: FrameType.Publish, room: refused[0]!, payload: 1 }, 2000)).rejects.toMatchObject({ code: 403 });
      expect(await user.request({ type: FrameType.Publish, room: allowed[0]!, payload: 1 }, 2000)).toMatchObject({ offset: 1 });
    } finally {
      for (const c of clients) c.close();
      server.proc.kill("SIGKILL");
      await server.proc.exited;
    }
  });

  test(`a claim with more than ${MAX_ROOM_PATTERN_WILDCARDS} stars or ${MAX_ROOM_PATTERN_LENGTH} characters refuses the token (401) with a clear message`, async () => {
    await using server = await startTestServer();
    const tooManyStars = `${"*a".repeat(MAX_ROOM_PATTERN_WILDCARDS)}*b`;
    const tooLong = `team:${"x".repeat(MAX_ROOM_PATTERN_LENGTH)}`;
    for (const [pattern, text] of [
      [tooManyStars, `has ${MAX_ROOM_PATTERN_WILDCARDS + 1} '*' wildcards; at most ${MAX_ROOM_PATTERN_WILDCARDS}`],
      [tooLong, `at most ${MAX_ROOM_PATTERN_LENGTH} are allowed`],
    ] as const) {
      const started = performance.now();
      const { status, body } = await upgrade(server, hs256Token({ sub: "mallory", rooms: ["team:*", pattern] }));
      expect(status).toBe(401);
      expect(body).toMatchObject({ error: "unauthorized" });
      expect(body.message).toStartWith("token rooms claim: pattern ");
      expect(body.message).toContain(text);
      expect(performance.now() - started).toBeLessThan(1000);
    }
    expect(server.node.sessions.size).toBe(0);
    // At the limit the token is fine.
    const atLimit = await TestClient.connect(server.wsUrl, hs256Token({ sub: "ok", rooms: [evil("a", "b"), `${"x".repeat(MAX_ROOM_PATTERN_LENGTH - 1)}*`] }));
    expect(atLimit.hello.user).toBe("ok");
    // REFRESH to such a token is refused the same way, and the session keeps its old claims.
    await expect(atLimit.request({ type: FrameType.Refresh, token: hs256Token({ sub: "ok", rooms: [tooManyStars] }) })).rejects.toMatchObject({
      code: 401,
      message: expect.stringContaining("wildcards"),
    });
    await atLimit.request({ type: FrameType.Join, room: `${"a".repeat(20)}b` });
    atLimit.close();
    // The server will not mint one either (the CLI's `hubbub token --rooms` reports it).
    await expect(server.token("mallory", { rooms: [tooManyStars] })).rejects.toThrow("wildcards");
  });
});
