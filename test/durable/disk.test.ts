/**
 * The compiled binary on a disk that fills up or is read-only (a real tmpfs, see
 * test/helpers/mount.ts): `/readyz` follows the store's ability to write, nothing acknowledged is
 * lost, and a read-only data file stops `hubbub serve` with a message naming it and the cause.
 */
import { Database } from "bun:sqlite";
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { FrameType } from "../../proto/index.ts";
import { createTokenService } from "../../src/auth/tokens.ts";
import { ensureBinary, runBinary, runCommand, type RunningBinary } from "../helpers/binary.ts";
import { ReplyError, TestClient } from "../helpers/client.ts";
import { fromWireMessages } from "../helpers/messages.ts";
import { mountTmpfs, tmpfsAvailable, type TmpfsMount } from "../helpers/mount.ts";

const SECRET = "disk-test-secret-0123456789";
const canMount = tmpfsAvailable("the disk-full and read-only file system tests of the binary");

let mount: TmpfsMount | undefined;
const running: RunningBinary[] = [];
afterEach(async () => {
  for (const server of running.splice(0)) {
    server.proc.kill("SIGKILL");
    await server.proc.exited;
  }
  mount?.unmount();
  mount = undefined;
});

async function start(env: Record<string, string>): Promise<RunningBinary> {
  const server = await runBinary(env);
  running.push(server);
  return server;
}

async function stop(server: RunningBinary): Promise<number> {
  server.proc.kill("SIGTERM");
  const code = await server.proc.exited;
  running.splice(running.indexOf(server), 1);
  return code;
}

async function readyz(server: RunningBinary): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}/readyz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe.skipIf(!canMount)("the binary on a full or read-only disk", () => {
  beforeAll(() => ensureBinary(), 120_000);

  test("/readyz is 503 with a reason while the disk is full and 200 once space is freed; no acknowledged message is lost", async () => {
    mount = mountTmpfs(8 * 1024 * 1024);
    const dataPath = join(mount.dir, "hubbub.db");
    const env = { HUBBUB_JWT_SECRET: SECRET, HUBBUB_DATA_PATH: dataPath };
    const tokens = await createTokenService({ jwtAlgorithm: "HS256", jwtSecret: SECRET, jwtPublicKey: "", jwtPrivateKey: "" });
    const first = await start(env);
    const client = await TestClient.connect(first.wsUrl, await tokens.mint({ sub: "alice", ttlSeconds: 600 }));
    const room = "public:disk";
    const { epoch } = await client.request({ type: FrameType.Join, room });
    const acked = new Map<string, number>();
    const publish = async (text: string) => {
      const reply = await client.request({ type: FrameType.Publish, room, payload: text });
      acked.set(reply.id, reply.offset);
    };
    for (let i = 1; i <= 20; i++) await publish(`before ${i}`);
    expect(await readyz(first)).toEqual({ status: 200, body: { ready: true, store: true, draining: false } });

    mount.fill();
    const refused = await client.request({ type: FrameType.Publish, room, payload: "while full" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ReplyError);
    expect((refused as ReplyError).code).toBe(503);
    const full = await readyz(first);
    expect(full).toEqual({
      status: 503,
      body: { ready: false, store: false, draining: false, reason: "message store cannot write: database or disk is full (SQLITE_FULL)" },
    });
    expect((await readyz(first)).status).toBe(503); // the probe write fails again: still full

    mount.free();
    expect(await readyz(first)).toEqual({ status: 200, body: { ready: true, store: true, draining: false } });
    for (let i = 1; i <= 10; i++) await publish(`after ${i}`);
    client.close();
    expect(await stop(first)).toBe(0);

    const second = await start(env);
    const reader = await TestClient.connect(second.wsUrl, await tokens.mint({ sub: "bob", ttlSeconds: 600 }));
    const page = await reader.request({ type: FrameType.History, channel: room, after: 0, limit: 1000 });
    const messages = fromWireMessages(page.messages);
    expect(page.epoch).toBe(epoch);
    expect(page.head).toBe(30);
    expect(new Map(messages.map((m) => [m.id, m.offset]))).toEqual(acked);
    expect(messages.map((m) => m.payload)).toEqual([
      ...Array.from({ length: 20 }, (_, i) => `before ${i + 1}`),
      ...Array.from({ length: 10 }, (_, i) => `after ${i + 1}`),
    ]);
    reader.close();
    expect(await stop(second)).toBe(0);
    const db = new Database(dataPath, { readonly: true });
    expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    db.close();
  }, 60_000);

  test("`hubbub serve` on a read-only file system exits non-zero, naming the data file and the cause", async () => {
    mount = mountTmpfs(1024 * 1024);
    const dataPath = join(mount.dir, "hubbub.db");
    const first = await start({ HUBBUB_JWT_SECRET: SECRET, HUBBUB_DATA_PATH: dataPath });
    expect((await readyz(first)).status).toBe(200);
    expect(await stop(first)).toBe(0);
    mount.remount("ro");
    const serve = (path: string) => runCommand(["serve", "--port", "0", "--host", "127.0.0.1", "--data", path], { HUBBUB_JWT_SECRET: SECRET });

    const existing = await serve(dataPath);
    expect(existing.code).toBe(1);
    expect(existing.stderr).toBe(`hubbub: cannot write ${dataPath}: read-only file system\n`);
    expect(existing.stdout).not.toContain("listening");

    const fresh = join(mount.dir, "fresh.db");
    const created = await serve(fresh);
    expect(created.code).toBe(1);
    expect(created.stderr).toBe(`hubbub: cannot write ${fresh}: read-only file system (directory ${mount.dir})\n`);
  }, 30_000);
});
