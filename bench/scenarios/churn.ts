/**
 * @module bench/scenarios/churn
 * Scenario `churn`: how many connects and disconnects per second does the server sustain while a
 * room fan-out load runs, and what does that churn do to the fan-out? The fan-out load is the
 * `fanout` scenario's (same options); on top, churn workers run S loops each that connect (with a
 * fresh token verification), wait for the session, join a room, and close, as fast as they can.
 */
import type { WorkerJob } from "../lib/ipc.ts";
import { runLoad, type TargetRun } from "../lib/load.ts";
import { count, latencies, ms, percent, problems, ratio, table } from "../lib/report.ts";
import { parseTargets } from "../lib/servers.ts";
import { find, measureTargets, num, str, type Context, type ScenarioResult } from "./common.ts";
import { fanoutJobs, fanoutOptions } from "./fanout.ts";

export async function churn(ctx: Context): Promise<ScenarioResult> {
  const o = fanoutOptions(ctx);
  const churnWorkers = num(ctx, "churn-workers", 2);
  const slots = num(ctx, "slots", 16);
  /** `own`: a room of their own (join and leave run, nobody else is told); `fanout`: the fan-out room; `none`. */
  const churnRoom = str(ctx, "churn-room", "own");
  const targets = parseTargets(str(ctx, "targets", "hubbub,raw,socketio"));
  const { runs, allRuns } = await measureTargets(ctx, targets, o.repeat, (target) => {
    const { jobs, expected } = fanoutJobs(target, o);
    const rooms = churnRoom === "none" ? [] : churnRoom === "fanout" ? [`${target.roomPrefix}fanout0`] : [`${target.roomPrefix}churn`];
    const all: Omit<WorkerJob, "host" | "port" | "protocol" | "sourceAddress">[] = jobs.map((j) => ({ ...j, secret: ctx.options.secret }));
    for (let k = 0; k < churnWorkers; k++) {
      all.push({
        worker: jobs.length + k,
        secret: ctx.options.secret,
        tokenRooms: jobs[0]!.tokenRooms,
        padBytes: 0,
        conns: [],
        connectConcurrency: 1,
        publishers: [],
        churn: { slots, userPrefix: `churn${k}-`, rooms },
        fanoutSampleEvery: 0,
      });
    }
    return runLoad(
      // With --churn-room fanout, churned sessions also receive room messages: completeness is not checked then.
      { target, jobs: all, expectedReceivers: churnRoom === "fanout" ? undefined : expected, run: { warmupMs: o.warmupMs, durationMs: o.durationMs, drainMs: o.drainMs }, settleMs: 200 },
      { ...ctx.options, maxConnections: o.rooms * o.members + churnWorkers * slots },
    );
  }, (r) => r.run?.churn?.connectsPerSecond ?? 0);
  const row = (r: TargetRun) => {
    const x = r.run!;
    return [
      r.label,
      count(x.churn?.connectsPerSecond ?? 0),
      count(x.churn?.disconnectsPerSecond ?? 0),
      x.churn ? `${ms(x.churn.connectTime.p50)} / ${ms(x.churn.connectTime.p99)}` : "–",
      count(x.deliveredPerSecond),
      latencies(x.latency),
      percent(r.server.cpuRunPercent),
      percent(r.load.cpuRunPercent),
      percent(r.otherCpuRunPercent),
      problems(x.churn?.failures ?? {}, x.replyErrors, x.dropped, { missing: x.missing }).replace(/(; )?0× missing/, "") || "0",
    ];
  };
  const hub = find(runs, "hubbub");
  const ratios: Record<string, number> = {};
  const rows: string[][] = [];
  for (const [name, base] of [["raw Bun", find(runs, "raw")], ["Socket.IO", find(runs, "socketio")]] as const) {
    if (!hub?.run?.churn || !base?.run?.churn) continue;
    ratios[`Hubbub / ${name} connects/s`] = hub.run.churn.connectsPerSecond / base.run.churn.connectsPerSecond;
    ratios[`Hubbub / ${name} delivered`] = hub.run.deliveredPerSecond / base.run.deliveredPerSecond;
    rows.push([`Hubbub / ${name}`, ratio(ratios[`Hubbub / ${name} connects/s`]!), ratio(ratios[`Hubbub / ${name} delivered`]!)]);
  }
  const tables = [
    {
      title: `Churn: ${churnWorkers} workers × ${slots} connect→join→close loops (room: ${churnRoom}) during a fan-out of ${o.rooms} × ${o.members} members × ${o.publishers} publishers, ${o.durationMs / 1000} s window`,
      markdown: table(
        ["Target", "Connects/s", "Disconnects/s", "Connect p50 / p99", "Fan-out delivered msg/s", "Latency p50 / p99 / p999", "Server CPU", "Load CPU", "Other CPU", "Failures / errors"],
        runs.map(row),
      ),
    },
  ];
  if (rows.length) tables.push({ title: "Ratios", markdown: table(["Comparison", "Connects/s", "Fan-out delivered msg/s"], rows) });
  return {
    scenario: "churn",
    question: "How many connects and disconnects per second while a fan-out load runs, and what does churn cost the fan-out?",
    options: { ...o, churnWorkers, slots, churnRoom, targets: targets.map((t) => t.name).join(",") },
    runs,
    allRuns: o.repeat > 1 ? allRuns : undefined,
    tables,
    ratios,
    checks: [],
    notes: ["Each churned connection carries a distinct signed token that Hubbub verifies; the baselines authenticate nothing."],
  };
}
