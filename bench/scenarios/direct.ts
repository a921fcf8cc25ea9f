/**
 * @module bench/scenarios/direct
 * Scenario `direct`: how many direct messages per second between pairs of users, and how fast?
 * N pairs; each user sends to its partner keeping W messages in flight. Hubbub stores every direct
 * message in both users' inboxes (SQLite, group commit) before it replies, and pushes it to every
 * session of the recipient and of the sender; the baselines push the same two copies with no store.
 * Delivered counts the recipient's copies; the sender's copies are reported apart.
 */
import type { PublisherPlan, WorkerJob } from "../lib/ipc.ts";
import { runLoad, type TargetRun } from "../lib/load.ts";
import { bytes, count, latencies, ms, percent, problems, ratio, table } from "../lib/report.ts";
import { parseTargets } from "../lib/servers.ts";
import { find, measureTargets, num, str, TOKEN_ROOMS, type Context, type ScenarioResult } from "./common.ts";

export async function direct(ctx: Context): Promise<ScenarioResult> {
  const o = {
    pairs: num(ctx, "pairs", 50),
    window: num(ctx, "window", 5),
    workers: num(ctx, "workers", 2),
    payload: num(ctx, "payload", 64),
    durationMs: num(ctx, "duration", 8) * 1000,
    warmupMs: num(ctx, "warmup", 2) * 1000,
    drainMs: num(ctx, "drain", 1) * 1000,
    repeat: num(ctx, "repeat", 1),
  };
  const targets = parseTargets(str(ctx, "targets", "hubbub,raw,socketio"));
  const { runs, allRuns } = await measureTargets(ctx, targets, o.repeat, (target) => {
    const jobs = Array.from({ length: o.workers }, (_, worker) => ({
      worker,
      secret: ctx.options.secret,
      tokenRooms: TOKEN_ROOMS,
      padBytes: o.payload,
      conns: [] as WorkerJob["conns"],
      connectConcurrency: 32,
      publishers: [] as PublisherPlan[],
      fanoutSampleEvery: 0,
    }));
    const expected = new Map<number, number>();
    let id = 0;
    for (let i = 0; i < o.pairs; i++) {
      const a = `dm${i}a`;
      const b = `dm${i}b`;
      // The two users of a pair sit in different workers when there are several.
      for (const [user, partner, worker] of [[a, b, i % o.workers], [b, a, (i + 1) % o.workers]] as const) {
        const job = jobs[worker]!;
        job.conns.push({ user, rooms: [] });
        job.publishers.push({ conn: job.conns.length - 1, id, to: partner, window: o.window });
        expected.set(id++, 1);
      }
    }
    return runLoad(
      { target, jobs, expectedReceivers: expected, run: { warmupMs: o.warmupMs, durationMs: o.durationMs, drainMs: o.drainMs }, settleMs: 200 },
      { ...ctx.options, maxConnections: o.pairs * 2 },
    );
  }, (r) => r.run?.deliveredPerSecond ?? 0);
  const row = (r: TargetRun) => {
    const x = r.run!;
    return [
      r.label,
      count(x.deliveredPerSecond),
      count(x.echoes / x.seconds),
      latencies(x.latency),
      `${ms(x.ackLatency.p50)} / ${ms(x.ackLatency.p99)}`,
      percent(r.server.cpuRunPercent),
      percent(r.load.cpuRunPercent),
      percent(r.otherCpuRunPercent),
      bytes(r.server.rssPeakBytes),
      problems({ missing: x.missing }, x.replyErrors, x.dropped, r.connect.failures).replace(/^0× missing(; )?/, "") || "0",
    ];
  };
  const hub = find(runs, "hubbub");
  const ratios: Record<string, number> = {};
  const rows: string[][] = [];
  for (const [name, base] of [["raw Bun", find(runs, "raw")], ["Socket.IO", find(runs, "socketio")]] as const) {
    if (!hub?.run || !base?.run) continue;
    ratios[`Hubbub / ${name} delivered`] = hub.run.deliveredPerSecond / base.run.deliveredPerSecond;
    ratios[`Hubbub / ${name} p99`] = hub.run.latency.p99 / base.run.latency.p99;
    rows.push([`Hubbub / ${name}`, ratio(ratios[`Hubbub / ${name} delivered`]!), ratio(ratios[`Hubbub / ${name} p99`]!)]);
  }
  const tables = [
    {
      title: `Direct messages: ${o.pairs} pairs, ${o.window} in flight per user, ${o.payload}-byte padding, ${o.durationMs / 1000} s window`,
      markdown: table(
        ["Target", "Delivered DM/s", "Sender copies/s", "Latency p50 / p99 / p999", "Reply p50 / p99", "Server CPU", "Load CPU", "Other CPU", "Server RSS", "Lost / errors"],
        runs.map(row),
      ),
    },
  ];
  if (rows.length) tables.push({ title: "Ratios", markdown: table(["Comparison", "Delivered DM/s", "p99 latency"], rows) });
  return {
    scenario: "direct",
    question: "How many direct messages per second between pairs of users, and how fast?",
    options: { ...o, targets: targets.map((t) => t.name).join(",") },
    runs,
    allRuns: o.repeat > 1 ? allRuns : undefined,
    tables,
    ratios,
    checks: [],
    notes: ["Hubbub makes every direct message durable in both inboxes before replying (the baselines store nothing)."],
  };
}
