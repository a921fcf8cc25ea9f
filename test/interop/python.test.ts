// Interop: a Python client written from PROTOCOL.md alone (test/interop/hubbub_client.py) runs the
// scenario in test/interop/scenario.py against a real `bun src/main.ts serve` process.
//
// Needs python3 with the msgpack and websockets modules (Debian: python3-msgpack python3-websockets).
// Without them the test is skipped with a warning, unless CI=true, where it fails.
// HUBBUB_PYTHON=/path/to/python3 picks the interpreter; otherwise `python3` on PATH, then
// /usr/bin/python3, whichever imports both modules.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const SCENARIO = join(import.meta.dir, "scenario.py");
const SECRET = "interop-secret-0123456789-python";
const IN_CI = process.env.CI === "true";

function findPython(): { python: string | null; tried: string[] } {
  const candidates = [process.env.HUBBUB_PYTHON, "python3", "/usr/bin/python3"].filter(
    (c): c is string => !!c,
  );
  const tried: string[] = [];
  for (const candidate of [...new Set(candidates)]) {
    try {
      const probe = Bun.spawnSync([candidate, "-c", "import msgpack, websockets"], {
        stdout: "ignore",
        stderr: "pipe",
      });
      if (probe.exitCode === 0) return { python: candidate, tried };
      tried.push(`${candidate}: exit ${probe.exitCode} ${probe.stderr.toString().trim().split("\n").pop() ?? ""}`);
    } catch (e) {
      tried.push(`${candidate}: ${(e as Error).message}`);
    }
  }
  return { python: null, tried };
}

const { python, tried } = findPython();
const missing = python === null;

if (missing && !IN_CI) {
  console.warn(
    [
      "",
      "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
      "!! SKIPPING test/interop/python.test.ts: no python3 with msgpack + websockets.",
      "!! Install them (Debian/Ubuntu: apt-get install -y python3-msgpack python3-websockets)",
      "!! or point HUBBUB_PYTHON at an interpreter that has them. Tried:",
      ...tried.map((t) => `!!   ${t}`),
      "!! (With CI=true this is a failure, not a skip.)",
      "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
      "",
    ].join("\n"),
  );
}

async function freePort(): Promise<number> {
  const listener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: { data() {} },
  });
  const port = listener.port;
  listener.stop(true);
  return port;
}

let server: ReturnType<typeof Bun.spawn> | null = null;
let dataDir = "";
let port = 0;
let serverLog = "";

async function drain(stream: ReadableStream<Uint8Array> | null | undefined) {
  if (!stream) return;
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    serverLog += decoder.decode(chunk, { stream: true });
    if (serverLog.length > 200_000) serverLog = serverLog.slice(-100_000);
  }
}

beforeAll(async () => {
  if (missing) return;
  dataDir = mkdtempSync(join(tmpdir(), "hubbub-interop-"));
  port = await freePort();
  server = Bun.spawn(
    ["bun", "src/main.ts", "serve", "--port", String(port), "--host", "127.0.0.1"],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        HUBBUB_JWT_SECRET: SECRET,
        HUBBUB_DATA_PATH: join(dataDir, "hubbub.db"),
        HUBBUB_LOG_LEVEL: "warn",
      },
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  void drain(server.stdout as ReadableStream<Uint8Array>);
  void drain(server.stderr as ReadableStream<Uint8Array>);
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (server.exitCode !== null || Date.now() > deadline) {
      throw new Error(`server did not start (exit ${server.exitCode}):\n${serverLog}`);
    }
    await Bun.sleep(100);
  }
}, 30_000);

afterAll(async () => {
  if (server) {
    server.kill("SIGTERM");
    const exited = await Promise.race([server.exited.then(() => true), Bun.sleep(10_000).then(() => false)]);
    if (!exited) server.kill("SIGKILL");
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

if (missing && IN_CI) {
  test("python interop client (PROTOCOL.md) runs its scenario", () => {
    throw new Error(
      `CI=true but no python3 with msgpack + websockets was found (apt-get install -y python3-msgpack python3-websockets). Tried:\n${tried.join("\n")}`,
    );
  });
} else {
  test.skipIf(missing)(
    "python interop client (PROTOCOL.md) runs its scenario",
    async () => {
      const proc = Bun.spawn(
        [python!, SCENARIO, "--url", `ws://127.0.0.1:${port}/ws`, "--secret", SECRET],
        { cwd: ROOT, stdout: "pipe", stderr: "pipe", env: { ...process.env, PYTHONUNBUFFERED: "1" } },
      );
      const timer = setTimeout(() => proc.kill("SIGKILL"), 110_000);
      const [out, err, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      clearTimeout(timer);
      const lines = out.trimEnd().split("\n");
      const summary = lines[lines.length - 1] ?? "";
      if (code !== 0) {
        console.log(`--- scenario.py stdout ---\n${out}\n--- stderr ---\n${err}\n--- server log (tail) ---\n${serverLog.slice(-5000)}`);
      }
      expect(summary).toMatch(/^\d+ passed, 0 failed$/);
      expect(lines.filter((l) => l.startsWith("FAIL"))).toEqual([]);
      expect(code).toBe(0);
    },
    120_000,
  );
}
