/**
 * The API key guard belongs to the `/api` routes themselves: whatever request target and Host a
 * client sends, a request the router hands to an API handler is refused without a valid key.
 * Requests go over raw TCP so the target and Host are exactly what an attacker would send
 * (fetch would normalise both).
 */
import { describe, expect, test } from "bun:test";
import { FrameType } from "../../proto/index.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const KEY = "api-key-0123456789abcdef";

interface RawResponse {
  status: number;
  body: string;
}

/** Sends one HTTP/1.1 request as raw bytes and reads the response until the server closes. */
async function rawRequest(port: number, head: string, body = ""): Promise<RawResponse> {
  const { promise, resolve, reject } = Promise.withResolvers<RawResponse>();
  const chunks: Buffer[] = [];
  const finish = () => {
    const text = Buffer.concat(chunks).toString("latin1");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
    resolve({ status, body: text.slice(text.indexOf("\r\n\r\n") + 4) });
  };
  await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      open(socket) {
        socket.write(`${head}\r\nConnection: close\r\n${body ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` : ""}\r\n${body}`);
      },
      data(_socket, data) {
        chunks.push(Buffer.from(data));
      },
      close: finish,
      error: (_socket, err) => reject(err),
      connectError: (_socket, err) => reject(err),
    },
  });
  return promise;
}

/** Every API route with a harmless body where it takes one. */
const ROUTES: Array<[method: string, path: string, body?: unknown]> = [
  ["GET", "/api/stats"],
  ["GET", "/api/rooms"],
  ["GET", "/api/online"],
  ["GET", "/api/rooms/r/presence"],
  ["GET", "/api/rooms/r/history"],
  ["GET", "/api/users/victim/status"],
  ["POST", "/api/rooms/r/publish", { payload: "forged", from: "victim" }],
  ["POST", "/api/users/send", { users: ["victim"], payload: "forged", from: "admin" }],
  ["POST", "/api/broadcast", { payload: "forged" }],
  ["POST", "/api/users/victim/disconnect", {}],
  ["DELETE", "/api/rooms/r/members/victim"],
  ["POST", "/api/tokens/revoke", { jti: "some-token", exp: 4_000_000_000 }],
  ["GET", "/api/nonexistent"],
];

/** Ways to write the target of `path` that routers and URL parsers have disagreed on. */
function targets(path: string, port: number): string[] {
  const rest = path.slice("/api".length);
  return [
    path,
    `/abc${path}`,
    `/x${path}`,
    `/${path}`,
    `//${path.slice(1)}`,
    `/%2F${path.slice(1)}`,
    `/api%2F${rest.slice(1)}`,
    `/%61pi${rest}`,
    `/./${path.slice(1)}`,
    `/abc/..${path}`,
    `http://127.0.0.1:${port}${path}`,
    `http://x${path}`,
    `http://x/abc${path}`,
  ];
}

const HOSTS = ["", "x", "ab", "abc", "[::1]", "[::1]:1", "127.0.0.1:1", "localhost", "a.bc", "very-long-host-name.example.com"];

async function expectRefused(server: TestServer, method: string, target: string, host: string | undefined, body?: unknown) {
  const head = `${method} ${target} HTTP/1.1${host === undefined ? "" : `\r\nHost: ${host}`}`;
  const res = await rawRequest(server.port, head, body === undefined ? "" : JSON.stringify(body));
  // 400 (a target/host the HTTP layer rejects), 401/403 (the guard) and 404 (not an API route at
  // all) all leak nothing; any 2xx/5xx is a bypass or a crash.
  if (![400, 401, 403, 404].includes(res.status)) {
    throw new Error(`${method} ${target} Host=${JSON.stringify(host)} answered ${res.status}: ${res.body.slice(0, 200)}`);
  }
  return res.status;
}

describe("the API key guard holds for odd request targets and hosts", () => {
  for (const keys of [[KEY], []] as const) {
    test(`every /api route, every target form, every host (${keys.length ? "keys configured" : "no keys configured"})`, async () => {
      await using server = await startTestServer({ apiKeys: [...keys] });
      const victim = await server.client("victim");
      let guarded = 0;
      for (const [method, path, body] of ROUTES) {
        for (const target of targets(path, server.port)) {
          for (const host of [...HOSTS, undefined]) {
            const status = await expectRefused(server, method, target, host, body);
            if (status === 401 || status === 403) guarded++;
          }
        }
      }
      // The plain forms reach the guard (not a router 404): the test exercises the guard itself.
      expect(guarded).toBeGreaterThan(ROUTES.length * HOSTS.length);
      // Nothing happened to the victim: not kicked, no forged message.
      await victim.request({ type: FrameType.Status, users: ["victim"] });
      expect(victim.closeCode).toBeUndefined();
      expect(victim.all(FrameType.Message)).toHaveLength(0);
    });
  }

  test("a short Host with a prefix before /api is refused (the reported bypass)", async () => {
    await using server = await startTestServer({ apiKeys: [KEY] });
    for (const host of ["x", "ab", "abc"]) {
      const res = await rawRequest(server.port, `GET /abc/api/stats HTTP/1.1\r\nHost: ${host}`);
      expect(res.status).not.toBe(200);
      expect(res.body).not.toContain("uptimeMs");
    }
    // …and the same request with the key and a normal target still works.
    const ok = await rawRequest(server.port, `GET /api/stats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain("uptimeMs");
  });

  test("an unauthenticated body is refused before it is parsed", async () => {
    await using server = await startTestServer({ apiKeys: [KEY] });
    const res = await rawRequest(server.port, `POST /api/broadcast HTTP/1.1\r\nHost: x`, "{not json");
    expect(res.status).toBe(401);
  });

  test("the admin page is static and the dev token route exists only in dev mode", async () => {
    await using server = await startTestServer({ apiKeys: [KEY] });
    for (const host of ["x", "abc", "localhost"]) {
      const admin = await rawRequest(server.port, `GET /abc/admin HTTP/1.1\r\nHost: ${host}`);
      expect(admin.body).not.toContain("uptimeMs");
      const dev = await rawRequest(server.port, `POST /abc/dev/token HTTP/1.1\r\nHost: ${host}`, JSON.stringify({ name: "mallory" }));
      expect(dev.status).toBe(404);
      const devPlain = await rawRequest(server.port, `POST /dev/token HTTP/1.1\r\nHost: ${host}`, JSON.stringify({ name: "mallory" }));
      expect(devPlain.status).toBe(404);
    }
  });
});
