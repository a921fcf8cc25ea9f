/**
 * @module bench/scenarios/fanout
 * Scenario `fanout` (and `persisted`): how many messages per second does a room fan-out deliver,
 * and how fast? R rooms × M members × P publishers per room; each publisher is one of the members
 * and keeps W publishes in flight (the next one goes out when a reply comes back), so the load is
 * closed-loop and every member, the sender included, receives every message of its room.
 *
 * Measured over the window: delivered messages per second (sum over all receivers), acked
 * publishes per second, latency (payload send time → receipt) p50/p99/p999, publish→reply time,
 * and fan-out time (send → the last receiver of the message has it) on every Nth message.
 * `persisted` runs the same load on Hubbub's ephemeral and persisted (SQLite, group commit) rooms.
 */
import { runLoad, type LoadSpec, type TargetRun } from "../lib/load.ts";
import type { PublisherPlan, WorkerJob } from "../lib/ipc.ts";
import { check, checksTable, count, latencies, ms, percent, problems, ratio, table, bytes, type Check } from "../lib/report.ts";
import { parseTargets, type Target } from "../lib/servers.ts";
import { deal, find, measureTargets, num, str, TOKEN_ROOMS, type Context, type ScenarioResult } from "./common.ts";

export interface FanoutOptions {
  rooms: number;
  members: number;
  publishers: number;
  window: number;
  workers: number;
  payload: number;
  durationMs: number;
  warmupMs: number;
  drainMs: number;
  sampleEvery: number;
  /** Publishes per second per publisher (0: as fast as the window allows). */
  rate: number;
  repeat: number;
}

export function fanoutOptions(ctx: Context): FanoutOptions {
  const o: FanoutOptions = {
    rooms: num(ctx, "rooms", 1),
    members: num(ctx, "members", 100),
    publishers: num(ctx, "publishers", 10),
    window: num(ctx, "window", 10),
    workers: num(ctx, "workers", 2),
    payload: num(ctx, "payload", 64),
    durationMs: num(ctx, "duration", 8) * 1000,
    warmupMs: num(ctx, "warmup", 2) * 1000,
    drainMs: num(ctx, "drain", 1) * 1000,
    sampleEvery: num(ctx, "sample-every", 4),
    rate: num(ctx, "rate", 0),
    repeat: num(ctx, "repeat", 1),
  };
  if (o.publishers > o.members) throw new Error("--publishers must not exceed --members");
  if (o.rooms < 1 || o.members < 1 || o.workers < 1) throw new Error("--rooms, --members and --workers must be at least 1");
  return o;
}

/** Worker jobs for a fan-out load on `target`; `userPrefix` keeps users distinct from other loads. */
export function fanoutJobs(target: Target, o: FanoutOptions, userPrefix = "m"): { jobs: Omit<WorkerJob, "host" | "port" | "protocol" | "sourceAddress">[]; expected: Map<number, number> } {
  const jobs = Array.from({ length: o.workers }, (_, worker) => ({
    worker,
    secret: "",
    tokenRooms: TOKEN_ROOMS,
    padBytes: o.payload,
    conns: [] as WorkerJob["conns"],
    connectConcurrency: 32,
    publishers: [] as PublisherPlan[],
    fanoutSampleEvery: o.sampleEvery,
  }));
  const total = o.rooms * o.members;
  const placement = deal(total, o.workers);
  const expected = new Map<number, number>();
  let publisherId = 0;
  for (let r = 0; r < o.rooms; r++) {
    const room = `${target.roomPrefix}fanout${r}`;
    for (let m = 0; m < o.members; m++) {
      const g = r * o.members + m;
      jobs[placement[g]!.worker]!.conns.push({ user: `${userPrefix}${r}-${m}`, rooms: [room] });
    }
    for (let p = 0; p < o.publishers; p++) {
      const g = r * o.members + Math.floor((p * o.members) / o.publishers);
      const { worker, local } = placement[g]!;
      jobs[worker]!.publishers.push({ conn: local, id: publisherId, room, window: o.window, rate: o.rate });
      expected.set(publisherId++, o.members);
    }
  }
  return { jobs, expected };
}

/** Server CPU time per delivered message, ns: what the server spends whoever saturates. */
export function serverNsPerMessage(run: TargetRun): number {
  const r = run.run;
  if (!r || r.deliveredPerSecond <= 0) return NaN;
  return (run.server.cpuRunPercent / 100 / r.deliveredPerSecond) * 1e9;
}

function nsPerMessage(run: TargetRun): string {
  const ns = serverNsPerMessage(run);
  return Number.isFinite(ns) ? `${ns.toFixed(0)} ns` : "–";
}

export function fanoutRow(run: TargetRun): string[] {
  const r = run.run!;
  return [
    run.label,
    count(r.deliveredPerSecond),
    count(r.publishedPerSecond),
    latencies(r.latency),
    r.fanout ? `${ms(r.fanout.time.p50)} / ${ms(r.fanout.time.p99)}` : "–",
    ms(r.ackLatency.p50),
    nsPerMessage(run),
    percent(run.server.cpuRunPercent),
    percent(run.load.cpuRunPercent),
    percent(run.otherCpuRunPercent),
    bytes(run.server.rssPeakBytes),
    problems({ missing: r.missing, "skipped (window full)": r.skipped }, r.replyErrors, r.dropped, run.connect.failures).replace(/0× (missing|skipped \(window full\))(; )?/g, "").replace(/; $/, "") || "0",
  ];
}

export const FANOUT_HEADERS = [
  "Target",
  "Delivered msg/s",
  "Publishes/s",
  "Latency p50 / p99 / p999",
  "Fan-out p50 / p99",
  "Reply p50",
  "Server CPU / msg",
  "Server CPU",
  "Load CPU",
  "Other CPU",
  "Server RSS",
  "Lost / errors",
];

export async function fanout(ctx: Context, scenario: "fanout" | "persisted"): Promise<ScenarioResult> {
  const o = fanoutOptions(ctx);
  const defaults = scenario === "fanout" ? "hubbub,hubbub-persisted,raw,socketio" : "hubbub,hubbub-persisted";
  const targets = parseTargets(str(ctx, "targets", defaults));
  const { runs, allRuns } = await measureTargets(
    ctx,
    targets,
    o.repeat,
    (target) => {
      const { jobs, expected } = fanoutJobs(target, o);
      for (const job of jobs) job.secret = ctx.options.secret;
      const spec: LoadSpec = {
        target,
        jobs,
        expectedReceivers: expected,
        run: { warmupMs: o.warmupMs, durationMs: o.durationMs, drainMs: o.drainMs },
        settleMs: 200,
      };
      return runLoad(spec, { ...ctx.options, maxConnections: o.rooms * o.members });
    },
    (r) => r.run?.deliveredPerSecond ?? 0,
  );
  const hub = find(runs, "hubbub");
  const persisted = find(runs, "hubbub-persisted");
  const raw = find(runs, "raw");
  const sio = find(runs, "socketio");
  const ratios: Record<string, number> = {};
  const checks: Check[] = [];
  const rows: string[][] = [];
  const d = (r: TargetRun | undefined) => r?.run?.deliveredPerSecond ?? NaN;
  const p99 = (r: TargetRun | undefined) => r?.run?.latency.p99 ?? NaN;
  const compare = (name: string, a: TargetRun | undefined, b: TargetRun | undefined) => {
    if (!a || !b) return;
    ratios[`${name} delivered`] = d(a) / d(b);
    ratios[`${name} p50`] = (a.run?.latency.p50 ?? NaN) / (b.run?.latency.p50 ?? NaN);
    ratios[`${name} p99`] = p99(a) / p99(b);
    ratios[`${name} server CPU per message`] = serverNsPerMessage(a) / serverNsPerMessage(b);
    rows.push([name, ratio(d(a) / d(b)), ratio(ratios[`${name} p50`]!), ratio(p99(a) / p99(b)), ratio(ratios[`${name} server CPU per message`]!)]);
  };
  compare("Hubbub / raw Bun", hub, raw);
  compare("Hubbub / Socket.IO", hub, sio);
  compare("Hubbub persisted / raw Bun", persisted, raw);
  compare("Hubbub persisted / Socket.IO", persisted, sio);
  compare("Hubbub persisted / ephemeral", persisted, hub);
  if (hub && raw) {
    checks.push(check("fan-out delivered msg/s vs raw Bun", d(hub) / d(raw), ">=", 0.8, ratio));
    checks.push(check("fan-out p99 latency vs raw Bun", p99(hub) / p99(raw), "<=", 1.25, ratio));
  }
  if (hub && sio) checks.push(check("fan-out delivered msg/s vs Socket.IO", d(hub) / d(sio), ">=", 10, ratio));
  const tables = [
    { title: `Room fan-out: ${o.rooms} room(s) × ${o.members} members × ${o.publishers} publishers, ${o.rate ? `${count(o.rate)}/s each (at most ${o.window} in flight)` : `${o.window} in flight each`}, ${o.payload}-byte padding, ${o.durationMs / 1000} s window`, markdown: table(FANOUT_HEADERS, runs.map(fanoutRow)) },
  ];
  if (rows.length) tables.push({ title: "Ratios (delivered msg/s: higher is better for Hubbub; latency: lower is better)", markdown: table(["Comparison", "Delivered msg/s", "p50 latency", "p99 latency", "Server CPU / msg"], rows) });
  if (checks.length) tables.push({ title: "Targets", markdown: checksTable(checks) });
  return {
    scenario,
    question: scenario === "fanout" ? "How many room messages per second does fan-out deliver, how fast, against raw Bun and Socket.IO?" : "What does persisting a room's messages cost against an ephemeral room?",
    options: { ...o, targets: targets.map((t) => t.name).join(",") },
    runs,
    allRuns: o.repeat > 1 ? allRuns : undefined,
    tables,
    ratios,
    checks,
    notes: [
      "Delivered msg/s counts every receipt (a message to a room of 100 is 100 deliveries). Latency: payload send time → receipt, all receipts; fan-out: send → the last member has it (every " +
        `${o.sampleEvery}th message). Server CPU / msg: server CPU time per delivery, which compares the servers' cost even when the load generator or the machine saturates first.` +
        (o.repeat > 1 ? ` Each target was measured ${o.repeat} times, interleaved; the table shows each target's median run by delivered msg/s.` : ""),
    ],
  };
}
