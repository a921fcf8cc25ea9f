import { describe, expect, test } from "bun:test";
import { FrameType, SUBPROTOCOL_JSON } from "../../proto/index.ts";
import { createTokenService } from "../../src/auth/tokens.ts";
import { TestClient } from "../helpers/client.ts";
import { startTestServer, TEST_SECRET } from "../helpers/server.ts";

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function hs256(header: object, payload: object, secret = TEST_SECRET): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const sig = new Bun.CryptoHasher("sha256", secret).update(input).digest("base64url");
  return `${input}.${sig}`;
}

async function upgradeStatus(url: string, init: { token?: string; headers?: Record<string, string> } = {}) {
  const u = new URL(url.replace("ws://", "http://"));
  if (init.token !== undefined) u.searchParams.set("token", init.token);
  const res = await fetch(u, {
    headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13", ...init.headers },
  });
  return { status: res.status, body: res.status === 101 ? undefined : await res.json() };
}

describe("handshake authentication (401 before upgrade)", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const cases: Array<[string, () => string | undefined, string]> = [
    ["missing token", () => undefined, "no token"],
    ["malformed token", () => "not-a-jwt", "not a JWT"],
    ["garbage segments", () => "a.b.c", "not a JWT"],
    ["expired token", () => hs256({ alg: "HS256", typ: "JWT" }, { sub: "alice", exp: now() - 10 }), "expired"],
    ["wrong signature", () => hs256({ alg: "HS256", typ: "JWT" }, { sub: "alice" }, "another-secret-0123456789"), "signature"],
    ["alg none", () => `${b64url({ alg: "none", typ: "JWT" })}.${b64url({ sub: "alice" })}.`, "algorithm"],
    ["alg HS512", () => hs256({ alg: "HS512", typ: "JWT" }, { sub: "alice" }), "algorithm"],
    ["no sub claim", () => hs256({ alg: "HS256", typ: "JWT" }, { name: "x" }), "sub"],
    ["not valid yet", () => hs256({ alg: "HS256", typ: "JWT" }, { sub: "alice", nbf: now() + 3600 }), "nbf"],
  ];
  for (const [name, make, text] of cases) {
    test(name, async () => {
      await using server = await startTestServer();
      const { status, body } = await upgradeStatus(server.wsUrl, { token: make() });
      expect(status).toBe(401);
      expect(body.error).toBe("unauthorized");
      expect(body.message).toContain(text);
      expect(server.node.sessions.size).toBe(0);
    });
  }
});

describe("where the token travels", () => {
  for (const via of ["query", "header", "protocol"] as const) {
    test(`accepted via ${via}`, async () => {
      await using server = await startTestServer();
      const client = await TestClient.connect(server.wsUrl, await server.token("alice"), { via });
      expect(client.hello.user).toBe("alice");
      expect(client.ws.protocol).toBe("hubbub.v1.msgpack");
      client.close();
    });
  }

  test("JSON subprotocol selected when offered, token entry never echoed", async () => {
    await using server = await startTestServer();
    const client = await TestClient.connect(server.wsUrl, await server.token("alice"), { via: "protocol", json: true });
    expect(client.ws.protocol).toBe(SUBPROTOCOL_JSON);
    expect(client.hello.type).toBe(FrameType.Hello);
    client.close();
  });

  test("unsupported subprotocol gets 400", async () => {
    await using server = await startTestServer();
    const { status, body } = await upgradeStatus(server.wsUrl, { token: await server.token("a"), headers: { "sec-websocket-protocol": "mqtt" } });
    expect(status).toBe(400);
    expect(body.error).toBe("unsupported_protocol");
  });
});

describe("origin allowlist", () => {
  test("a foreign origin is refused by default, same host and localhost pass", async () => {
    await using server = await startTestServer();
    const token = await server.token("alice");
    expect((await upgradeStatus(server.wsUrl, { token, headers: { origin: "https://evil.example" } })).status).toBe(403);
    expect((await upgradeStatus(server.wsUrl, { token, headers: { origin: "http://localhost:3000" } })).status).toBe(101);
    expect((await upgradeStatus(server.wsUrl, { token, headers: { origin: `http://127.0.0.1:${server.port}` } })).status).toBe(101);
  });

  test("a configured allowlist replaces the default", async () => {
    await using server = await startTestServer({ allowedOrigins: ["https://chat.example"] });
    const token = await server.token("alice");
    expect((await upgradeStatus(server.wsUrl, { token, headers: { origin: "https://chat.example" } })).status).toBe(101);
    expect((await upgradeStatus(server.wsUrl, { token, headers: { origin: "http://localhost:3000" } })).status).toBe(403);
  });
});

describe("asymmetric keys", () => {
  for (const alg of ["RS256", "ES256"] as const) {
    test(`${alg} tokens verify with the configured public key`, async () => {
      const params = alg === "RS256" ? { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" } : { name: "ECDSA", namedCurve: "P-256" };
      const pair = (await crypto.subtle.generateKey(params, true, ["sign", "verify"])) as CryptoKeyPair;
      const pem = (label: string, der: ArrayBuffer) => `-----BEGIN ${label}-----\n${Buffer.from(der).toString("base64")}\n-----END ${label}-----`;
      const publicPem = pem("PUBLIC KEY", await crypto.subtle.exportKey("spki", pair.publicKey));
      const privatePem = pem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", pair.privateKey));
      await using server = await startTestServer({ jwtAlgorithm: alg, jwtPublicKey: publicPem, jwtPrivateKey: privatePem, jwtSecret: "" });
      const client = await TestClient.connect(server.wsUrl, await server.token("carol"));
      expect(client.hello.user).toBe("carol");
      client.close();
      // An HS256 token signed with some secret must not pass an RS/ES server.
      const forged = hs256({ alg: "HS256", typ: "JWT" }, { sub: "carol" }, "whatever-secret-123456");
      expect((await upgradeStatus(server.wsUrl, { token: forged })).status).toBe(401);
    });
  }
});

test("the native HS256 path accepts exactly what the @elysiajs/jwt path accepts", async () => {
  const tokens = await createTokenService({ jwtAlgorithm: "HS256", jwtSecret: TEST_SECRET, jwtPublicKey: "", jwtPrivateKey: "" });
  const { jwt } = await import("@elysiajs/jwt");
  const plugin = jwt({ name: "jwt", secret: TEST_SECRET, alg: "HS256" }) as unknown as { singleton: { decorator: { jwt: { verify(t: string, o?: object): Promise<unknown> } } } };
  const reference = plugin.singleton.decorator.jwt;
  const now = Math.floor(Date.now() / 1000);
  const samples = [
    await tokens.mint({ sub: "alice", ttlSeconds: 60 }),
    hs256({ alg: "HS256" }, { sub: "bob", exp: now + 100 }),
    hs256({ alg: "HS256" }, { sub: "bob", exp: now - 100 }),
    hs256({ alg: "HS256" }, { sub: "bob" }, "wrong-secret-0123456789"),
    hs256({ alg: "none" }, { sub: "bob" }),
    `${b64url({ alg: "HS256" })}.${b64url({ sub: "x" })}.AAAA`,
  ];
  for (const token of samples) {
    const mine = (await tokens.verify(token)).ok;
    const theirs = (await reference.verify(token, { algorithms: ["HS256"] })) !== false;
    expect({ token, ok: mine }).toEqual({ token, ok: theirs });
  }
});
