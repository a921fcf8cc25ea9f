import { beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { DisconnectCode, FrameType } from "../../proto/index.ts";
import { createTokenService } from "../../src/auth/tokens.ts";
import { ensureBinary, runBinary, tempDir } from "../helpers/binary.ts";
import { TestClient } from "../helpers/client.ts";
import { eventually } from "../helpers/frozen-clock.ts";

const SECRET = "shutdown-test-secret-0123456789";
beforeAll(() => ensureBinary(), 120_000);

test("SIGTERM: every client gets the reconnect code, spread over the drain window; exit 0; no acknowledged message lost", async () => {
  const dataPath = join(tempDir(), "hubbub.db");
  const env = { HUBBUB_JWT_SECRET: SECRET, HUBBUB_DATA_PATH: dataPath, HUBBUB_SHUTDOWN_DRAIN_MS: "600", HUBBUB_RATE_PER_SECOND: "10000", HUBBUB_RATE_BURST: "10000" };
  const tokens = await createTokenService({ jwtAlgorithm: "HS256", jwtSecret: SECRET, jwtPublicKey: "", jwtPrivateKey: "" });
  const server = await runBinary(env);
  const clients = await Promise.all(Array.from({ length: 20 }, async (_, i) => TestClient.connect(server.wsUrl, await tokens.mint({ sub: `u${i}`, ttlSeconds: 600 }))));
  const acked: string[] = [];
  let publishing = true;
  const sender = (async () => {
    for (let i = 0; publishing; i++) {
      try {
        const r = await clients[0]!.request({ type: FrameType.Publish, room: "public:drain", payload: i });
        acked.push(r.id);
      } catch {
        break;
      }
    }
  })();
  // Messages are being stored when SIGTERM comes: wait for some acknowledged sends, not for a time.
  await eventually(() => acked.length >= 20, "20 acknowledged sends before SIGTERM", 10_000);
  const closes = clients.map((c) => c.closed.then((e) => ({ ...e, at: Date.now() })));
  const started = Date.now();
  server.proc.kill("SIGTERM");
  const results = await Promise.all(closes);
  publishing = false;
  await sender;
  expect(await server.proc.exited).toBe(0);
  expect(results.every((r) => r.code === DisconnectCode.ServerShutdown)).toBe(true);
  const spread = Math.max(...results.map((r) => r.at)) - Math.min(...results.map((r) => r.at));
  expect(spread).toBeGreaterThan(200);
  expect(Date.now() - started).toBeLessThan(5000);
  expect(acked.length).toBeGreaterThan(0);
  const again = await runBinary(env);
  try {
    const reader = await TestClient.connect(again.wsUrl, await tokens.mint({ sub: "reader", ttlSeconds: 600 }));
    const page = await reader.request({ type: FrameType.History, channel: "public:drain", after: 0, limit: 1000 });
    const stored = new Set(page.messages.map((m: unknown[]) => m[2]));
    for (const id of acked) expect(stored.has(id)).toBe(true);
    reader.close();
  } finally {
    again.proc.kill("SIGTERM");
    await again.proc.exited;
  }
}, 30_000);

test("SIGTERM right after the listening line drains and exits 0 (the handlers are installed before it is printed)", async () => {
  for (let i = 0; i < 5; i++) {
    const server = await runBinary({ HUBBUB_JWT_SECRET: SECRET, HUBBUB_DATA_PATH: ":memory:", HUBBUB_SHUTDOWN_DRAIN_MS: "0" });
    server.proc.kill("SIGTERM");
    expect(await server.proc.exited).toBe(0);
  }
}, 30_000);
