/**
 * @module bench/scenarios/idle
 * Scenario `idle`: how many authenticated connections does one server process hold, at what
 * memory cost, how fast can they connect, and does the server still answer quickly at that size?
 *
 * N connections (default 19,000, the most one process can hold under this machine's 20,000
 * open-file limit) are opened by several workers at once, each with its own signed token (Hubbub
 * verifies every one; the baselines authenticate nothing). Reported: connect rate (first attempt →
 * last session ready), connect time, server RSS before and after (the difference divided by the
 * connections is the memory per connection), and ping round trips sampled across the connections.
 */
import type { WorkerJob } from "../lib/ipc.ts";
import { runLoad, type TargetRun } from "../lib/load.ts";
import { bytes, check, checksTable, count, ms, percent, problems, ratio, table, type Check } from "../lib/report.ts";
import { parseTargets } from "../lib/servers.ts";
import { deal, find, measureTargets, num, str, TOKEN_ROOMS, type Context, type ScenarioResult } from "./common.ts";

export async function idle(ctx: Context): Promise<ScenarioResult> {
  const o = {
    connections: num(ctx, "connections", 19_000),
    workers: num(ctx, "workers", 4),
    concurrency: num(ctx, "concurrency", 64),
    settleMs: num(ctx, "settle", 3) * 1000,
    pings: num(ctx, "pings", 1000),
    repeat: num(ctx, "repeat", 1),
  };
  const targets = parseTargets(str(ctx, "targets", "hubbub,raw,socketio"));
  const { runs, allRuns } = await measureTargets(ctx, targets, o.repeat, (target) => {
    const jobs = Array.from({ length: o.workers }, (_, worker) => ({
      worker,
      secret: ctx.options.secret,
      tokenRooms: TOKEN_ROOMS,
      padBytes: 0,
      conns: [] as WorkerJob["conns"],
      connectConcurrency: o.concurrency,
      publishers: [],
      fanoutSampleEvery: 0,
    }));
    deal(o.connections, o.workers).forEach(({ worker }, i) => jobs[worker]!.conns.push({ user: `idle${i}`, rooms: [] }));
    return runLoad({ target, jobs, settleMs: o.settleMs, pings: o.pings }, { ...ctx.options, maxConnections: o.connections });
  }, (r) => r.connect.perSecond, (r) => r.otherCpuConnectPercent);
  const row = (r: TargetRun) => [
    r.label,
    count(r.connect.ok),
    count(r.connect.perSecond),
    `${ms(r.connect.time.p50)} / ${ms(r.connect.time.p99)}`,
    bytes(r.server.rssBeforeBytes),
    bytes(r.server.rssConnectedBytes),
    bytes(r.server.bytesPerConnection),
    r.ping ? `${ms(r.ping.p50)} / ${ms(r.ping.p99)}` : "–",
    percent(r.server.cpuConnectPercent),
    percent(r.load.cpuConnectPercent),
    percent(r.otherCpuConnectPercent),
    problems(r.connect.failures, r.ping?.failed ? { "ping timeout": r.ping.failed } : {}),
  ];
  const hub = find(runs, "hubbub");
  const ratios: Record<string, number> = {};
  const rows: string[][] = [];
  for (const [name, base] of [["raw Bun", find(runs, "raw")], ["Socket.IO", find(runs, "socketio")]] as const) {
    if (!hub || !base) continue;
    ratios[`Hubbub / ${name} connects/s`] = hub.connect.perSecond / base.connect.perSecond;
    ratios[`Hubbub / ${name} bytes per connection`] = hub.server.bytesPerConnection / base.server.bytesPerConnection;
    ratios[`Hubbub / ${name} ping p99`] = (hub.ping?.p99 ?? NaN) / (base.ping?.p99 ?? NaN);
    rows.push([
      `Hubbub / ${name}`,
      ratio(ratios[`Hubbub / ${name} connects/s`]!),
      ratio(ratios[`Hubbub / ${name} bytes per connection`]!),
      ratio(ratios[`Hubbub / ${name} ping p99`]!),
    ]);
  }
  const checks: Check[] = [];
  if (hub) {
    checks.push(check("authenticated connections held in one process", hub.connect.ok, ">=", o.connections, count));
    checks.push(check("server memory per connection", hub.server.bytesPerConnection, "<=", 4096, bytes));
    checks.push(check("authenticated connects per second", hub.connect.perSecond, ">=", 10_000, count));
  }
  const tables = [
    {
      title: `Idle capacity: ${count(o.connections)} connections from ${o.workers} workers (${o.concurrency} connecting at once each), ${count(o.pings)} pings`,
      markdown: table(
        ["Target", "Connected", "Connects/s", "Connect p50 / p99", "RSS before", "RSS connected", "Per connection", "Ping p50 / p99", "Server CPU", "Load CPU", "Other CPU", "Failures"],
        runs.map(row),
      ),
    },
  ];
  if (rows.length) tables.push({ title: "Ratios", markdown: table(["Comparison", "Connects/s", "Bytes per connection", "Ping p99"], rows) });
  if (checks.length) tables.push({ title: "Targets", markdown: checksTable(checks) });
  return {
    scenario: "idle",
    question: "How many authenticated connections does one process hold, at what memory per connection and connect rate?",
    options: { ...o, targets: targets.map((t) => t.name).join(",") },
    runs,
    allRuns: o.repeat > 1 ? allRuns : undefined,
    tables,
    ratios,
    checks,
    notes: [
      "Hubbub verifies a distinct HS256 token on every connection and sends HELLO; the baselines authenticate nothing.",
      "Server CPU and load CPU are averages over the connect phase, percent of one core.",
    ],
  };
}
