import { describe, expect, test } from "bun:test";
import { encode } from "@msgpack/msgpack";
import { DisconnectCode, FrameType, type MessageFrame } from "../../proto/index.ts";
import { startTestServer } from "../helpers/server.ts";

const KEY = "api-key-0123456789abcdef";
const auth = { authorization: `Bearer ${KEY}` };

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = auth) {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] = "application/json";
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const isMessage = (f: { type: number }) => f.type === FrameType.Message;

describe("server API authentication", () => {
  test("401 without a key, 403 with a wrong one, both as JSON errors", async () => {
    await using server = await startTestServer({ apiKeys: [KEY] });
    const none = await call(server.url, "GET", "/api/stats", undefined, {});
    expect(none).toMatchObject({ status: 401, body: { error: "unauthorized" } });
    const wrong = await call(server.url, "GET", "/api/stats", undefined, { authorization: "Bearer wrong-key-0123456789" });
    expect(wrong).toMatchObject({ status: 403, body: { error: "forbidden" } });
    const header = await call(server.url, "GET", "/api/stats", undefined, { "x-api-key": KEY });
    expect(header.status).toBe(200);
  });

  test("no configured keys: the API refuses everything", async () => {
    await using server = await startTestServer();
    expect((await call(server.url, "GET", "/api/stats")).status).toBe(403);
  });
});

describe("server API routes (over a real port)", () => {
  test("publish to a room reaches members and is stored; history pages it", async () => {
    await using server = await startTestServer({ apiKeys: [KEY] });
    const member = await server.client("m", { mint: { rooms: ["team:*"] } });
    await member.request({ type: FrameType.Join, room: "team:news" });
    const res = await call(server.url, "POST", "/api/rooms/team:news/publish", { payload: { text: "deploy done" }, from: "ci-bot" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ offset: 1 });
    expect(await member.next(isMessage)).toMatchObject({ channel: "team:news", from: "ci-bot", payload: { text: "deploy done" } });
    const history = await call(server.url, "GET", "/api/rooms/team:news/history?limit=10");
    expect(history.body.messages).toHaveLength(1);
    expect(history.body.messages[0]).toMatchObject({ from: "ci-bot", offset: 1, payload: { text: "deploy done" }, state: 0 });
    expect((await call(server.url, "GET", "/api/rooms/team:empty/history")).status).toBe(404);
    expect((await call(server.url, "GET", "/api/rooms/team:news/history?limit=5000")).status).toBe(400);
  });

  test("msgpack bodies carry bytes", async () => {
    await using server = await startTestServer({ apiKeys: [KEY] });
    const member = await server.client("m");
    await member.request({ type: FrameType.Join, room: "public:bin" });
    const res = await fetch(`${server.url}/api/rooms/public:bin/publish`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/msgpack" },
      body: encode({ payload: new Uint8Array([9, 8, 7]) }),
    });
    expect(res.status).toBe(200);
    expect(((await member.next(isMessage)) as MessageFrame).payload).toEqual(new Uint8Array([9, 8, 7]));
  });

  test("send to many users, offline ones get it from their inbox", async () => {
    await using server = await startTestServer({ apiKeys: [KEY] });
    const alice = await server.client("alice");
    const res = await call(server.url, "POST", "/api/users/send", { users: ["alice", "bob"], payload: "hello", from: "system" });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { user: string }) => r.user)).toEqual(["alice", "bob"]);
    expect(await alice.next(isMessage)).toMatchObject({ channel: "@system", from: "system", payload: "hello" });
    const bob = await server.client("bob");
    expect(await bob.next(isMessage)).toMatchObject({ from: "system", payload: "hello" });
  });

  test("bad bodies get 400 naming the field; oversize bodies 413; unknown routes 404", async () => {
    await using server = await startTestServer({ apiKeys: [KEY], maxApiBodyBytes: 2048 });
    const missing = await call(server.url, "POST", "/api/users/send", { payload: 1 });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toContain("users");
    const wrongType = await call(server.url, "POST", "/api/users/send", { users: "bob", payload: 1 });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.message).toContain("users");
    const badRoom = await call(server.url, "POST", "/api/rooms/bad%20room/publish", { payload: 1 });
    expect(badRoom.status).toBe(400);
    const big = await call(server.url, "POST", "/api/broadcast", { payload: "x".repeat(5000) });
    expect(big.status).toBe(413);
    const tooLargePayload = await startTestServer({ apiKeys: [KEY], maxPayloadBytes: 100, maxFrameBytes: 4096 });
    try {
      expect((await call(tooLargePayload.url, "POST", "/api/broadcast", { payload: "y".repeat(500) })).status).toBe(413);
    } finally {
      await tooLargePayload.stop(0);
    }
    const notJson = await fetch(`${server.url}/api/broadcast`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: "{oops" });
    expect(notJson.status).toBe(400);
    expect((await call(server.url, "GET", "/api/nope")).status).toBe(404);
  });

  test("broadcast, rooms, presence, online, status, stats", async () => {
    await using server = await startTestServer({ apiKeys: [KEY] });
    const a = await server.client("a");
    const b = await server.client("b");
    await a.request({ type: FrameType.Join, room: "public:x" });
    await b.request({ type: FrameType.Join, room: "public:x" });
    expect((await call(server.url, "POST", "/api/broadcast", { payload: "all hands" })).status).toBe(200);
    expect(await a.next(isMessage)).toMatchObject({ channel: "*", from: "server", payload: "all hands" });
    expect((await call(server.url, "GET", "/api/rooms")).body).toEqual({ rooms: [{ room: "public:x", users: 2, sessions: 2 }] });
    expect((await call(server.url, "GET", "/api/rooms/public:x/presence")).body).toEqual({
      room: "public:x",
      users: [{ user: "a", sessions: 1 }, { user: "b", sessions: 1 }],
      sessions: 2,
    });
    expect((await call(server.url, "GET", "/api/rooms/public:nobody/presence")).status).toBe(404);
    expect((await call(server.url, "GET", "/api/online")).body).toEqual({ users: ["a", "b"], counts: { users: 2, sessions: 2 } });
    expect((await call(server.url, "GET", "/api/users/a/status")).body).toEqual({ user: "a", online: true, lastSeen: null });
    const stats = (await call(server.url, "GET", "/api/stats")).body;
    expect(stats).toMatchObject({ connections: 2, usersOnline: 2, rooms: 1, messages: { broadcast: 1 } });
  });

  test("disconnect a user (kick or reconnect) and remove a user from a room", async () => {
    await using server = await startTestServer({ apiKeys: [KEY] });
    const watcher = await server.client("w");
    const victim = await server.client("v");
    await watcher.request({ type: FrameType.Join, room: "public:r" });
    await victim.request({ type: FrameType.Join, room: "public:r" });
    expect((await call(server.url, "DELETE", "/api/rooms/public:r/members/v")).body).toEqual({ removed: 1 });
    expect(await victim.next((f) => f.type === FrameType.PresenceEvent)).toMatchObject({ action: 2, user: "v", room: "public:r" });
    expect(await watcher.next((f) => f.type === FrameType.PresenceEvent && (f as { action: number }).action === 2)).toMatchObject({ user: "v" });
    expect((await call(server.url, "DELETE", "/api/rooms/public:r/members/v")).status).toBe(404);
    await call(server.url, "POST", "/api/rooms/public:r/publish", { payload: "after removal" });
    expect(await watcher.next(isMessage)).toMatchObject({ payload: "after removal" });
    // Sentinel: the victim joins again and a later message follows on the same room. "after
    // removal" was already handed to the room (the watcher has it), so it would come first.
    await victim.request({ type: FrameType.Join, room: "public:r" });
    await call(server.url, "POST", "/api/rooms/public:r/publish", { payload: "sentinel" });
    expect(await victim.next(isMessage)).toMatchObject({ payload: "sentinel" });
    expect(victim.all(FrameType.Message)).toHaveLength(0);
    const soft = await server.client("s");
    expect((await call(server.url, "POST", "/api/users/s/disconnect", { reconnect: true })).body).toEqual({ disconnected: 1 });
    expect((await soft.closed).code).toBe(DisconnectCode.Reconnect);
    expect((await call(server.url, "POST", "/api/users/v/disconnect", {})).body).toEqual({ disconnected: 1 });
    expect((await victim.closed).code).toBe(DisconnectCode.Kicked);
    expect((await call(server.url, "POST", "/api/users/nobody/disconnect", {})).status).toBe(404);
  });

  test("revoking a token by jti disconnects its sessions and refuses it until it expires", async () => {
    await using server = await startTestServer({ apiKeys: [KEY] });
    const token = await server.token("eve", { jti: "token-123" });
    const { TestClient } = await import("../helpers/client.ts");
    const eve = await TestClient.connect(server.wsUrl, token);
    const exp = Math.floor(Date.now() / 1000) + 3600;
    expect((await call(server.url, "POST", "/api/tokens/revoke", { jti: "token-123", exp })).body).toMatchObject({ revoked: "token-123", disconnected: 1 });
    expect((await eve.closed).code).toBe(DisconnectCode.Unauthorized);
    await expect(TestClient.connect(server.wsUrl, token)).rejects.toThrow();
    const other = await TestClient.connect(server.wsUrl, await server.token("eve", { jti: "token-456" }));
    expect(other.hello.user).toBe("eve");
    other.close();
  });
});

test("the same routes answer through app.handle without a port", async () => {
  await using server = await startTestServer({ apiKeys: [KEY] });
  const res = await server.app.handle(new Request("http://local/api/online", { headers: auth }));
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ users: [], counts: { users: 0, sessions: 0 } });
  const unauth = await server.app.handle(new Request("http://local/api/online"));
  expect(unauth.status).toBe(401);
  const docs = await server.app.handle(new Request("http://local/api/docs/json"));
  expect(docs.status).toBe(200);
  const spec = await docs.json();
  expect(Object.keys(spec.paths)).toContain("/api/rooms/{room}/publish");
});
