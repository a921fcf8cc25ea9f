#!/usr/bin/env bun
/**
 * @module bench/run
 * Hubbub's load harness. Drives the compiled binary (`dist/hubbub`, built if missing) from separate
 * load worker processes, with the raw Bun.serve and Socket.IO baselines measured in the same run.
 *
 *   bun run bench <scenario> [--option value ...]
 *
 * Scenarios: fanout, persisted, direct, idle, churn, all (the five before), and abuse (one hostile
 * user against a bystander; not part of `all`). See bench/README.md for what each measures and its
 * options. Common options:
 *   --targets a,b        which servers: hubbub, hubbub-persisted, raw, socketio
 *   --rebuild            rebuild dist/hubbub first
 *   --binary PATH        run this Hubbub binary instead of dist/hubbub
 *   --at COMMIT          build Hubbub as committed at COMMIT (no uncommitted change) and run that
 *   --profile            run Hubbub from source under `bun --cpu-prof` (profiles in bench/results/profiles/)
 *   --source DIR         the checkout --profile runs (default: this one)
 *   --profile-workers    profile the load workers too (to check that the load generator is cheap)
 *   --pin                pin the server to CPU 0 and the load workers to CPU 1 (taskset)
 *   --durability D       Hubbub's `durability` setting, process (default) or power (fsync per commit)
 *   --timeout S          stop everything after S seconds (default 600; abuse 900, all 1200)
 *   --no-save            do not write bench/results/
 *   --strict             exit with status 1 when a target is missed (default: report only)
 *
 * Live progress goes to stderr; the results (Markdown tables, pass/fail against the targets) to
 * stdout; the full record, with the machine's description, to bench/results/<scenario>-<time>.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderChart } from "./chart.ts";
import { killAll } from "./lib/children.ts";
import { describeMachine, machineLine, type Machine } from "./lib/machine.ts";
import { binaryInfo, ensureBinary, ensureSocketIoBundle, ROOT, useBinary, useCommit, useProfiler } from "./lib/servers.ts";
import { abuse } from "./scenarios/abuse.ts";
import { churn } from "./scenarios/churn.ts";
import type { Context, ScenarioResult } from "./scenarios/common.ts";
import { direct } from "./scenarios/direct.ts";
import { fanout } from "./scenarios/fanout.ts";
import { idle } from "./scenarios/idle.ts";

const SCENARIOS: Record<string, (ctx: Context) => Promise<ScenarioResult>> = {
  fanout: (ctx) => fanout(ctx, "fanout"),
  persisted: (ctx) => fanout(ctx, "persisted"),
  direct,
  idle,
  churn,
  abuse,
};
/** Scenarios that `all` leaves out: `abuse` asks about robustness, not throughput, and runs on its own. */
const NOT_IN_ALL = new Set(["abuse"]);
const BOOLEAN_FLAGS = new Set(["rebuild", "pin", "no-save", "strict", "profile", "profile-workers"]);
const RESULTS = join(ROOT, "bench", "results");

function usage(message?: string): never {
  if (message) process.stderr.write(`bench: ${message}\n`);
  process.stderr.write(`usage: bun run bench <${[...Object.keys(SCENARIOS), "all"].join("|")}> [--option value ...] (see bench/README.md)\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): { scenario: string; args: Record<string, string> } {
  const [scenario, ...rest] = argv;
  if (!scenario || scenario.startsWith("-")) usage();
  const args: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (!arg.startsWith("--")) usage(`unexpected argument "${arg}"`);
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (eq > 0) args[name] = arg.slice(eq + 1);
    else if (BOOLEAN_FLAGS.has(name)) args[name] = "true";
    else {
      const value = rest[++i];
      if (value === undefined) usage(`--${name} needs a value`);
      args[name] = value;
    }
  }
  return { scenario, args };
}

function print(result: ScenarioResult, machine: Machine): void {
  const out: string[] = [`## ${result.scenario}: ${result.question}`, "", `Machine: ${machineLine(machine)}`, "", `Hubbub: ${result.options.hubbub}`, ""];
  for (const t of result.tables) out.push(`### ${t.title}`, "", t.markdown, "");
  for (const note of result.notes) out.push(`- ${note}`);
  if (result.notes.length) out.push("");
  process.stdout.write(out.join("\n") + "\n");
}

function save(result: ScenarioResult, machine: Machine, stamp: string): string {
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `${result.scenario}-${stamp}.json`);
  writeFileSync(file, JSON.stringify({ machine, ...result }, null, 2) + "\n");
  if (result.scenario === "fanout" || result.scenario === "persisted") {
    writeFileSync(join(RESULTS, `${result.scenario}.svg`), renderChart(result, machine));
  }
  return file;
}

async function main(): Promise<void> {
  const { scenario, args } = parseArgs(process.argv.slice(2));
  const names = scenario === "all" ? Object.keys(SCENARIOS).filter((n) => !NOT_IN_ALL.has(n)) : [scenario];
  for (const name of names) if (!SCENARIOS[name]) usage(`unknown scenario "${name}"`);
  const timeoutS = Number(args.timeout ?? (scenario === "all" ? 1200 : scenario === "abuse" ? 900 : 600));
  const deadline = setTimeout(() => {
    process.stderr.write(`bench: stopped after ${timeoutS} s (--timeout)\n`);
    killAll();
    process.exit(3);
  }, timeoutS * 1000);
  deadline.unref();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }

  const machine = describeMachine();
  if (args.profile === "true") useProfiler(args.source ?? ROOT, join(RESULTS, "profiles"));
  else if (args.at) useCommit(args.at);
  else if (args.binary) useBinary(args.binary);
  else ensureBinary(args.rebuild === "true");
  const socketIoBundle = await ensureSocketIoBundle();
  const dataDir = mkdtempSync(join(tmpdir(), "hubbub-bench-"));
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("hex");
  const pin = args.pin === "true";
  // Every server inherits the runner's environment (bench/lib/servers.ts); the bench's own settings
  // leave HUBBUB_DURABILITY alone, so setting it here reaches every Hubbub server of the run.
  const durability = args.durability ?? "process";
  if (durability !== "process" && durability !== "power") usage(`--durability must be process or power, got "${durability}"`);
  process.env.HUBBUB_DURABILITY = durability;
  const ctx: Context = {
    args,
    options: {
      secret,
      dataDir,
      maxConnections: 0,
      socketIoBundle,
      cpus: pin ? "0" : undefined,
      loadCpus: pin ? "1" : undefined,
      workerProfileDir: args["profile-workers"] === "true" ? join(RESULTS, "profiles") : undefined,
    },
  };
  process.stderr.write(`machine: ${machineLine(machine)}\n`);
  let failed = false;
  try {
    for (const name of names) {
      const stamp = new Date().toISOString().replace(/[:.]/g, "-");
      const result = await SCENARIOS[name]!(ctx);
      result.options.hubbub = binaryInfo();
      if (pin) result.notes.push("Server pinned to CPU 0 and load workers to CPU 1 (--pin).");
      result.options.durability = durability;
      result.notes.push(`Hubbub ran with durability=${durability} (SQLite synchronous=${durability === "power" ? "FULL: one fsync per commit" : "NORMAL: no fsync per commit"}).`);
      print(result, machine);
      if (args["no-save"] !== "true") process.stderr.write(`results: ${save(result, machine, stamp)}\n`);
      failed ||= result.checks.some((c) => !c.pass);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  process.exitCode = failed && args.strict === "true" ? 1 : 0;
}

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  killAll();
  process.exit(1);
});
