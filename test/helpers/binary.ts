/**
 * Builds and runs the compiled `dist/hubbub` binary for smoke and crash tests; or runs the server
 * from source in a child process ({@link SOURCE_COMMAND}) when a test must outlive a stalled server.
 */
import { existsSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

export const ROOT = join(import.meta.dir, "..", "..");
export const BINARY = join(ROOT, "dist", "hubbub");
/** `hubbub` from source, no build needed: pass as `runBinary`'s `command`. */
export const SOURCE_COMMAND = [process.execPath, join(ROOT, "src", "main.ts")];

/** Builds dist/hubbub once per test process (always rebuilt, so it matches the source under test). */
let built: Promise<void> | undefined;
export function ensureBinary(): Promise<void> {
  built ??= (async () => {
    const proc = Bun.spawn(["bun", "run", "build"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    if ((await proc.exited) !== 0) throw new Error(`build failed: ${await new Response(proc.stderr).text()}`);
    if (!existsSync(BINARY) || statSync(BINARY).size === 0) throw new Error("build produced no binary");
  })();
  return built;
}

export function tempDir(prefix = "hubbub-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface RunningBinary {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  port: number;
  url: string;
  wsUrl: string;
  /** Everything printed on stdout up to the listening line. */
  banner: string;
  /** The SQLite file it serves from. */
  dataPath: string;
  stderr(): Promise<string>;
}

/** Starts `hubbub serve` (the binary, or `command`) with env settings on a free port and waits for the listening line. */
export async function runBinary(env: Record<string, string>, args: string[] = [], command: string[] = [BINARY]): Promise<RunningBinary> {
  const cwd = tempDir();
  const proc = Bun.spawn([...command, "serve", "--port", "0", "--host", "127.0.0.1", ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HUBBUB_LOG_LEVEL: "warn", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const reader = proc.stdout.getReader();
  let banner = "";
  const deadline = Date.now() + 10_000;
  const ready = () => /listening on http:\/\/[^:]+:(\d+)/.test(banner) && banner.endsWith("\n") && (!banner.includes("DEV MODE") || banner.includes("connect:"));
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`binary did not start: ${banner}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`binary exited: ${banner}${await new Response(proc.stderr).text()}`);
    banner += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const port = Number(/listening on http:\/\/[^:]+:(\d+)/.exec(banner)![1]);
  return {
    proc,
    port,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    banner,
    dataPath: env.HUBBUB_DATA_PATH ?? join(cwd, "data", "hubbub.db"),
    stderr: () => new Response(proc.stderr).text(),
  };
}

/** Runs the binary with arguments to completion; returns stdout, stderr and the exit code. */
export async function runCommand(args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  const proc = Bun.spawn([BINARY, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { stdout, stderr, code };
}
