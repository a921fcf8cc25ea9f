/**
 * @module bench/lib/servers
 * The servers under test: the compiled Hubbub binary (ephemeral or persisted rooms) and the two
 * baselines. Each run starts a fresh server process on a free loopback port, waits for its
 * `listening on http://HOST:PORT` line, drains its output (keeping the last lines for error
 * reports), and stops it with SIGTERM (SIGKILL after 5 s).
 */
import type { Subprocess } from "bun";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { track } from "./children.ts";

export const ROOT = join(import.meta.dir, "..", "..");
export const BINARY = join(ROOT, "dist", "hubbub");
let binary = BINARY;
/** When set, Hubbub runs from source under Bun's CPU profiler instead of the compiled binary. */
let profile: { source: string; dir: string } | undefined;

/** The commit the binary was built from, when the bench built it from a commit (`--at`). */
let binaryCommit: string | undefined;

/** Uses another Hubbub binary than dist/hubbub (e.g. one built from another commit). */
export function useBinary(path: string): void {
  if (!existsSync(path)) throw new Error(`--binary: ${path} does not exist`);
  binary = path;
}

function git(args: string[]): string {
  const out = Bun.spawnSync(["git", "-C", ROOT, ...args], { stdout: "pipe", stderr: "pipe" });
  if (!out.success) throw new Error(`git ${args.join(" ")}: ${out.stderr.toString().trim()}`);
  return out.stdout.toString().trim();
}

/**
 * Builds Hubbub exactly as committed at `commit` (`git archive` of that commit, so no uncommitted
 * change of the working tree gets in), once per commit, under $TMPDIR/hubbub-bench-builds/, and
 * uses that binary (`--at`). The build uses this checkout's node_modules.
 */
export function useCommit(commit: string): string {
  const full = git(["rev-parse", "--verify", `${commit}^{commit}`]);
  const short = git(["rev-parse", "--short", full]);
  // Outside node_modules: Bun refuses to run the build's macros from there.
  const dir = join(tmpdir(), "hubbub-bench-builds", full);
  const built = join(dir, "dist", "hubbub");
  if (!existsSync(built)) {
    process.stderr.write(`building Hubbub at ${short} in ${dir}...\n`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const unpack = Bun.spawnSync(["sh", "-c", `git -C "$0" archive "$1" | tar -x -C "$2"`, ROOT, full, dir], { stdout: "inherit", stderr: "inherit" });
    if (!unpack.success) throw new Error(`--at ${commit}: git archive failed`);
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
    const result = Bun.spawnSync(["bun", "run", "build"], { cwd: dir, stdout: "inherit", stderr: "inherit" });
    if (!result.success || !existsSync(built)) throw new Error(`--at ${commit}: bun run build failed`);
  }
  binary = built;
  binaryCommit = short;
  return built;
}

/** Which Hubbub binary this run uses: its path, build time, and commit when known (recorded with the results). */
export function binaryInfo(): string {
  if (profile) return `source of ${profile.source} (profiled)`;
  let built = "missing";
  try {
    built = statSync(binary).mtime.toISOString();
  } catch {
    // not built yet
  }
  const origin = binaryCommit ? `commit ${binaryCommit} (--at)` : binary === BINARY ? "this checkout's dist/hubbub" : "--binary";
  return `${origin}: ${binary}, built ${built}`;
}
const BUNDLE_DIR = join(ROOT, "node_modules", ".cache", "hubbub-bench");

export type TargetName = "hubbub" | "hubbub-persisted" | "raw" | "socketio";

export interface Target {
  name: TargetName;
  label: string;
  protocol: "msgpack" | "socketio";
  /** Room names of this target start with this (Hubbub's namespaces decide ephemeral vs persisted). */
  roomPrefix: string;
}

/** Room-name prefix that the bench's Hubbub configuration makes ephemeral. */
export const EPHEMERAL_PREFIX = "bench:eph:";
/** Rooms under this prefix are persisted (SQLite, group commit) — Hubbub's default. */
export const PERSISTED_PREFIX = "bench:dur:";

export const TARGETS: Record<TargetName, Target> = {
  hubbub: { name: "hubbub", label: "Hubbub", protocol: "msgpack", roomPrefix: EPHEMERAL_PREFIX },
  "hubbub-persisted": { name: "hubbub-persisted", label: "Hubbub, persisted room", protocol: "msgpack", roomPrefix: PERSISTED_PREFIX },
  raw: { name: "raw", label: "raw Bun.serve", protocol: "msgpack", roomPrefix: EPHEMERAL_PREFIX },
  socketio: { name: "socketio", label: "Socket.IO 4 (Node)", protocol: "socketio", roomPrefix: EPHEMERAL_PREFIX },
};

export function parseTargets(list: string): Target[] {
  return list.split(",").map((name) => {
    const target = TARGETS[name.trim() as TargetName];
    if (!target) throw new Error(`unknown target "${name}" (one of ${Object.keys(TARGETS).join(", ")})`);
    return target;
  });
}

export interface ServerOptions {
  /** HS256 secret Hubbub verifies tokens with. */
  secret: string;
  /** Connections the server must accept (Hubbub's HUBBUB_MAX_CONNECTIONS gets a margin on top). */
  maxConnections: number;
  /** Directory under which each Hubbub run gets a fresh directory for its SQLite file. */
  dataDir: string;
  /** `taskset -c` CPU list to pin the server to, if any. */
  cpus?: string;
}

/** What one scenario changes about how a server is started (the abuse scenario; others need none). */
export interface ServerExtras {
  /** Environment entries applied last (over the bench's own `HUBBUB_*` settings); `""` restores a server default. */
  env?: Record<string, string>;
  /** A Hubbub SQLite file copied in as the server's data file before it starts (with its `-wal`, if any). */
  seed?: string;
}

export interface RunningServer {
  target: Target;
  pid: number;
  host: string;
  port: number;
  /** The server's own banner line. */
  banner: string;
  /** Hubbub's SQLite file (in a directory of its own, removed by `stop` unless kept). */
  dataFile: string;
  /** The last lines the server printed. */
  tail(): string;
  /** SIGTERM (SIGKILL after a grace period); `keepData` leaves {@link dataFile} in place. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/** Builds `dist/hubbub` with `bun run build` when it is missing (or `force`). */
export function ensureBinary(force: boolean): string {
  if (!force && existsSync(BINARY)) return BINARY;
  process.stderr.write(`building ${BINARY} (bun run build)...\n`);
  const result = Bun.spawnSync(["bun", "run", "build"], { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
  if (!result.success || !existsSync(BINARY)) throw new Error("bun run build failed");
  return BINARY;
}

/** Bundles the Socket.IO baseline for Node (packages stay external, resolved from node_modules). */
export async function ensureSocketIoBundle(): Promise<string> {
  mkdirSync(BUNDLE_DIR, { recursive: true });
  const result = await Bun.build({
    entrypoints: [join(ROOT, "bench", "baselines", "socketio.ts")],
    target: "node",
    format: "esm",
    packages: "external",
    outdir: BUNDLE_DIR,
    naming: "socketio.mjs",
  });
  if (!result.success) throw new Error(`bundling the Socket.IO baseline failed: ${result.logs.map(String).join("\n")}`);
  return join(BUNDLE_DIR, "socketio.mjs");
}

/**
 * Runs Hubbub from `source` (a checkout; its src/main.ts) with `bun --cpu-prof`, writing a
 * `.cpuprofile` (Chrome DevTools format) and a Markdown summary per server run into `dir`.
 */
export function useProfiler(source: string, dir: string): void {
  if (!existsSync(join(source, "src", "main.ts"))) throw new Error(`--source: no src/main.ts in ${source}`);
  mkdirSync(dir, { recursive: true });
  profile = { source, dir };
}

function command(target: Target, socketIoBundle: string | undefined): string[] {
  const listen = ["--port", "0", "--host", "127.0.0.1"];
  switch (target.name) {
    case "hubbub":
    case "hubbub-persisted":
      if (profile) {
        const name = `${target.name}-${Date.now()}`;
        return [process.execPath, "--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${profile.dir}`, `--cpu-prof-name=${name}.cpuprofile`, join(profile.source, "src", "main.ts"), "serve", ...listen];
      }
      return [binary, "serve", ...listen];
    case "raw":
      return [process.execPath, join(ROOT, "bench", "baselines", "raw-bun.ts"), ...listen];
    case "socketio":
      return ["node", socketIoBundle!, ...listen];
  }
}

function hubbubEnv(options: ServerOptions, dataDir: string): Record<string, string> {
  return {
    HUBBUB_JWT_SECRET: options.secret,
    HUBBUB_DATA_PATH: join(dataDir, "hubbub.db"),
    HUBBUB_MAX_CONNECTIONS: String(options.maxConnections + 100),
    HUBBUB_MAX_SESSIONS_PER_USER: "100",
    // The bench measures throughput, not the per-session rate limiter.
    HUBBUB_RATE_PER_SECOND: "1000000",
    HUBBUB_RATE_BURST: "1000000",
    HUBBUB_NAMESPACES: JSON.stringify([
      { prefix: EPHEMERAL_PREFIX, ephemeral: true },
      { prefix: "", ephemeral: false, maxMessages: 0, maxAgeMs: 0 },
    ]),
    HUBBUB_LOG_LEVEL: "warn",
  };
}

/** Keeps reading a stream so the child never blocks on a full pipe; remembers the last lines. */
function drain(stream: ReadableStream<Uint8Array>, lines: string[], onLine?: (line: string) => void): void {
  const decoder = new TextDecoder();
  let partial = "";
  void (async () => {
    for await (const chunk of stream) {
      partial += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = partial.indexOf("\n")) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        lines.push(line);
        if (lines.length > 40) lines.shift();
        onLine?.(line);
      }
    }
  })().catch(() => {});
}

export async function startServer(target: Target, options: ServerOptions, socketIoBundle?: string, extras: ServerExtras = {}): Promise<RunningServer> {
  let cmd = command(target, socketIoBundle);
  if (options.cpus) cmd = ["taskset", "-c", options.cpus, ...cmd];
  const env: Record<string, string | undefined> = { ...process.env };
  // Every server starts from an empty store (or a copy of `extras.seed`), so no run inherits another's data.
  const dataDir = mkdtempSync(join(options.dataDir, `${target.name}-`));
  const dataFile = join(dataDir, "hubbub.db");
  if (target.name.startsWith("hubbub")) Object.assign(env, hubbubEnv(options, dataDir), extras.env);
  if (extras.seed) {
    copyFileSync(extras.seed, dataFile);
    if (existsSync(`${extras.seed}-wal`)) copyFileSync(`${extras.seed}-wal`, `${dataFile}-wal`);
  }
  const proc: Subprocess<"ignore", "pipe", "pipe"> = track(Bun.spawn(cmd, { cwd: ROOT, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" }));
  const lines: string[] = [];
  const listening = Promise.withResolvers<{ host: string; port: number; banner: string }>();
  const onLine = (line: string) => {
    const match = /listening on http:\/\/([^:\s]+):(\d+)/.exec(line);
    if (match) listening.resolve({ host: match[1]!, port: Number(match[2]), banner: line });
  };
  drain(proc.stdout, lines, onLine);
  drain(proc.stderr, lines, onLine);
  const timer = setTimeout(() => listening.reject(new Error(`${target.name} did not start within 20 s:\n${lines.join("\n")}`)), 20_000);
  void proc.exited.then((code) => listening.reject(new Error(`${target.name} exited with ${code} before listening:\n${lines.join("\n")}`)));
  let address: { host: string; port: number; banner: string };
  try {
    address = await listening.promise;
  } catch (err) {
    proc.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return {
    target,
    pid: proc.pid,
    host: address.host,
    port: address.port,
    banner: address.banner,
    dataFile,
    tail: () => lines.join("\n"),
    async stop({ keepData = false } = {}) {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGTERM");
        // A profiled server writes its profile on exit: give it time.
        const grace = profile && target.name.startsWith("hubbub") ? 30_000 : 5_000;
        const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(grace).then(() => false)]);
        if (!exited) {
          process.stderr.write(`${target.name} did not stop within ${grace / 1000} s of SIGTERM; killing it\n`);
          proc.kill("SIGKILL");
          await proc.exited;
        }
      }
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
