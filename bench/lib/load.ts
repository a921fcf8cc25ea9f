/**
 * @module bench/lib/load
 * Runs one target through one load: start its server, spawn the workers, connect, optionally run
 * publishers/churn for a measurement window and ping, sample CPU and memory from /proc, show live
 * progress on stderr, and gather everything into a {@link TargetRun}. Always stops what it started.
 */
import { sharedNow } from "./clock.ts";
import { Histogram, type Percentiles } from "./histogram.ts";
import type { RunReport, WorkerJob } from "./ipc.ts";
import { cpuPercent, machineBusySeconds, sampleProc, type ProcSample } from "./proc.ts";
import { startServer, type RunningServer, type ServerOptions, type Target } from "./servers.ts";
import { all, WorkerHandle } from "./workers.ts";

/** What a scenario asks for. */
export interface LoadSpec {
  target: Target;
  /** Worker jobs without the server address (filled in here). */
  jobs: Omit<WorkerJob, "host" | "port" | "protocol" | "sourceAddress">[];
  /** Deliveries each publisher's message should get (for fan-out completeness). */
  expectedReceivers?: Map<number, number>;
  /** Run publishers/churn: warm-up, then a measured window, then a drain. */
  run?: { warmupMs: number; durationMs: number; drainMs: number };
  /** Wait this long after connecting before sampling memory. */
  settleMs: number;
  /** Ping round trips to measure after connecting (spread over workers). */
  pings?: number;
}

export interface RunOptions extends ServerOptions {
  socketIoBundle?: string;
  /** `taskset -c` CPU list for the load workers. */
  loadCpus?: string;
  /** Profile the load workers too (`bun --cpu-prof`), into this directory. */
  workerProfileDir?: string;
}

export interface FanoutStats {
  /** Sampled messages that reached every expected receiver, and the time until the last one had it. */
  complete: number;
  incomplete: number;
  time: Percentiles;
}

export interface TargetRun {
  target: string;
  label: string;
  banner: string;
  connections: number;
  connect: { ok: number; failed: number; seconds: number; perSecond: number; time: Percentiles; failures: Record<string, number> };
  server: {
    rssBeforeBytes: number;
    rssConnectedBytes: number;
    rssPeakBytes: number;
    /** (RSS once connected − RSS before) / connections. */
    bytesPerConnection: number;
    cpuConnectPercent: number;
    cpuRunPercent: number;
  };
  load: { workers: number; cpuConnectPercent: number; cpuRunPercent: number };
  /**
   * CPU used by processes other than the server, the workers and the runner (percent of one
   * core), while connecting and during the window: a busy neighbour on a shared machine skews
   * every figure, so the bench says so.
   */
  otherCpuConnectPercent: number;
  otherCpuRunPercent: number;
  run?: {
    seconds: number;
    published: number;
    /** Paced sends skipped because a publisher's window was full (server behind the rate). */
    skipped: number;
    acked: number;
    delivered: number;
    echoes: number;
    publishedPerSecond: number;
    deliveredPerSecond: number;
    /** Deliveries expected for the acked messages minus those seen (≥ 0 means some were lost or late). */
    missing: number;
    latency: Percentiles;
    ackLatency: Percentiles;
    fanout?: FanoutStats;
    churn?: { connectsPerSecond: number; disconnectsPerSecond: number; connectTime: Percentiles; failures: Record<string, number> };
    replyErrors: Record<string, number>;
    dropped: Record<string, number>;
  };
  ping?: Percentiles & { failed: number };
}

const fmt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function mergeCounts(into: Record<string, number>, from: Record<string, number>): Record<string, number> {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  return into;
}

/** CPU of several processes between two sample sets, percent of one core, summed. */
function cpuOf(pids: number[], a: Map<number, ProcSample | undefined>, b: Map<number, ProcSample | undefined>): number {
  return sum(pids.map((pid) => cpuPercent(a.get(pid), b.get(pid))).filter((v) => Number.isFinite(v)));
}

function sampleAll(pids: number[]): Map<number, ProcSample | undefined> {
  const at = sharedNow();
  return new Map(pids.map((pid) => [pid, sampleProc(pid, at)]));
}

/** CPU snapshot of the server, the workers, this runner and the whole machine. */
interface Snapshot {
  at: number;
  busy: number;
  procs: Map<number, ProcSample | undefined>;
}

function snapshot(server: number, workers: number[]): Snapshot {
  return { at: sharedNow(), busy: machineBusySeconds(), procs: sampleAll([server, process.pid, ...workers]) };
}

/** Server, load and everyone else's CPU between two snapshots, percent of one core. */
function cpuBetween(a: Snapshot, b: Snapshot, server: number, workers: number[]): { server: number; load: number; other: number } {
  const ours = cpuOf([server, process.pid, ...workers], a.procs, b.procs);
  const machine = ((b.busy - a.busy) / ((b.at - a.at) / 1000)) * 100;
  return { server: cpuPercent(a.procs.get(server), b.procs.get(server)), load: cpuOf(workers, a.procs, b.procs), other: Math.max(0, machine - ours) };
}

/** Live progress on stderr: one line, rewritten in place on a terminal, every 2 s otherwise. */
class Progress {
  private timer: ReturnType<typeof setInterval> | undefined;
  private last = { at: sharedNow(), delivered: 0, samples: new Map<number, ProcSample | undefined>() };
  phase = "starting";
  private readonly tty = process.stderr.isTTY === true;

  constructor(
    private readonly label: string,
    private readonly server: RunningServer,
    private readonly workers: () => WorkerHandle[],
    private readonly total: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.tty ? 1000 : 2000);
  }

  private tick(): void {
    const workers = this.workers();
    const pids = [this.server.pid, ...workers.map((w) => w.pid)];
    const samples = sampleAll(pids);
    const now = sharedNow();
    const delivered = sum(workers.map((w) => w.progress.delivered));
    const ready = sum(workers.map((w) => w.progress.ready));
    const churned = sum(workers.map((w) => w.progress.churnConnects));
    const rate = ((delivered - this.last.delivered) / (now - this.last.at)) * 1000;
    const serverCpu = cpuPercent(this.last.samples.get(this.server.pid), samples.get(this.server.pid));
    const loadCpu = cpuOf(workers.map((w) => w.pid), this.last.samples, samples);
    const rss = samples.get(this.server.pid)?.rssBytes ?? 0;
    this.last = { at: now, delivered, samples };
    const parts = [
      `[${this.label}] ${this.phase}`,
      `conns ${fmt.format(ready)}/${fmt.format(this.total)}`,
      `delivered ${fmt.format(Math.max(0, rate))} msg/s`,
      churned ? `churned ${fmt.format(churned)}` : "",
      `server cpu ${Number.isFinite(serverCpu) ? serverCpu.toFixed(0) : "-"}% rss ${(rss / 2 ** 20).toFixed(0)} MiB`,
      `load cpu ${loadCpu.toFixed(0)}%`,
    ].filter(Boolean);
    const line = parts.join(" | ");
    if (this.tty) process.stderr.write(`\r\x1b[2K${line}`);
    else process.stderr.write(`${line}\n`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.tty) process.stderr.write("\r\x1b[2K");
  }
}

function fanoutStats(reports: RunReport[], expected: Map<number, number>): FanoutStats {
  const merged = new Map<number, [number, number]>();
  for (const report of reports) {
    for (const [publisher, seq, count, latest] of report.fanout) {
      const key = publisher * 2 ** 24 + seq;
      const entry = merged.get(key);
      if (entry) {
        entry[0] += count;
        entry[1] = Math.max(entry[1], latest);
      } else merged.set(key, [count, latest]);
    }
  }
  const h = new Histogram();
  let incomplete = 0;
  for (const [key, [count, latest]] of merged) {
    const want = expected.get(Math.floor(key / 2 ** 24)) ?? 0;
    if (count >= want) h.record(latest);
    else incomplete++;
  }
  return { complete: h.count, incomplete, time: h.percentiles() };
}

/**
 * Waits (up to `maxMs`) until the machine is quiet: other processes using less than a fifth of a
 * core over one second. The machine may be shared; a busy neighbour skews every figure.
 */
export async function waitForQuiet(maxMs = 60_000): Promise<number> {
  const until = Date.now() + maxMs;
  let others = NaN;
  for (let first = true; ; first = false) {
    const a = machineBusySeconds();
    const self = sampleProc(process.pid, 0)?.cpuSeconds ?? 0;
    await Bun.sleep(1000);
    const used = machineBusySeconds() - a - ((sampleProc(process.pid, 0)?.cpuSeconds ?? 0) - self);
    others = used * 100;
    if (!(others > 20) || Date.now() > until) return others;
    if (first) process.stderr.write(`waiting for a quiet machine (other processes use ${others.toFixed(0)}% of a core)...\n`);
  }
}

/**
 * Source addresses for load workers. Each run gets addresses no recent run used: a worker that
 * exits leaves its ports in TIME_WAIT for a minute, and connecting from those again makes the
 * kernel scan for free ports, which costs the load generator more CPU than the connect itself.
 */
let nextSource = Math.floor(Math.random() * 200) * 250;
function sourceAddress(): string {
  const n = nextSource++ % 50_000;
  return `127.0.${1 + Math.floor(n / 250)}.${1 + (n % 250)}`;
}

/** Runs one target through a load and returns what was measured. */
export async function runLoad(spec: LoadSpec, options: RunOptions): Promise<TargetRun> {
  const { target } = spec;
  const connections = sum(spec.jobs.map((j) => j.conns.length));
  await waitForQuiet();
  const server = await startServer(target, options, options.socketIoBundle);
  let workers: WorkerHandle[] = [];
  const progress = new Progress(target.name, server, () => workers, connections);
  try {
    await Bun.sleep(500);
    const rssBeforeBytes = sampleProc(server.pid, sharedNow())?.rssBytes ?? 0;
    let rssPeakBytes = rssBeforeBytes;
    const peak = setInterval(() => {
      rssPeakBytes = Math.max(rssPeakBytes, sampleProc(server.pid, sharedNow())?.rssBytes ?? 0);
    }, 250);
    try {
      workers = await Promise.all(
        spec.jobs.map((job) =>
          WorkerHandle.spawn({ ...job, host: server.host, port: server.port, protocol: target.protocol, sourceAddress: sourceAddress() }, options.loadCpus, options.workerProfileDir),
        ),
      );
      const pids = () => workers.map((w) => w.pid);
      progress.start();

      progress.phase = "connecting";
      const beforeConnect = snapshot(server.pid, pids());
      const connected = await all(workers, { t: "connect" }, "connected", 180_000);
      const afterConnect = snapshot(server.pid, pids());
      const connectCpu = cpuBetween(beforeConnect, afterConnect, server.pid, pids());
      const reports = connected.map((c) => c.report);
      const ok = sum(reports.map((r) => r.ok));
      const firstStart = Math.min(...reports.map((r) => r.firstStart));
      const lastReady = Math.max(...reports.map((r) => r.lastReady));
      const connectTime = new Histogram();
      const failures: Record<string, number> = {};
      for (const r of reports) {
        connectTime.merge(r.connectTime);
        mergeCounts(failures, r.failures);
      }
      const seconds = Math.max(1e-3, (lastReady - firstStart) / 1000);

      progress.phase = "settling";
      await Bun.sleep(spec.settleMs);
      const rssConnectedBytes = sampleProc(server.pid, sharedNow())?.rssBytes ?? 0;

      const result: TargetRun = {
        target: target.name,
        label: target.label,
        banner: server.banner,
        connections,
        connect: { ok, failed: sum(reports.map((r) => r.failed)), seconds, perSecond: ok / seconds, time: connectTime.percentiles(), failures },
        server: {
          rssBeforeBytes,
          rssConnectedBytes,
          rssPeakBytes: 0,
          bytesPerConnection: ok > 0 ? (rssConnectedBytes - rssBeforeBytes) / ok : NaN,
          cpuConnectPercent: connectCpu.server,
          cpuRunPercent: NaN,
        },
        load: { workers: workers.length, cpuConnectPercent: connectCpu.load, cpuRunPercent: NaN },
        otherCpuConnectPercent: connectCpu.other,
        otherCpuRunPercent: NaN,
      };

      if (spec.run) {
        progress.phase = "warming up";
        const start = sharedNow() + spec.run.warmupMs;
        const end = start + spec.run.durationMs;
        const ran = all(workers, { t: "run", start, end, drainMs: spec.run.drainMs }, "ran", spec.run.warmupMs + spec.run.durationMs + spec.run.drainMs + 60_000);
        await Bun.sleep(Math.max(0, start - sharedNow()));
        progress.phase = "measuring";
        const atStart = snapshot(server.pid, pids());
        await Bun.sleep(Math.max(0, end - sharedNow()));
        const atEnd = snapshot(server.pid, pids());
        progress.phase = "draining";
        const runReports = (await ran).map((r) => r.report);
        const runCpu = cpuBetween(atStart, atEnd, server.pid, pids());
        result.server.cpuRunPercent = runCpu.server;
        result.load.cpuRunPercent = runCpu.load;
        result.otherCpuRunPercent = runCpu.other;
        const latency = new Histogram();
        const ackLatency = new Histogram();
        const churnTime = new Histogram();
        const replyErrors: Record<string, number> = {};
        const dropped: Record<string, number> = {};
        const churnFailures: Record<string, number> = {};
        for (const r of runReports) {
          latency.merge(r.latency);
          ackLatency.merge(r.ackLatency);
          churnTime.merge(r.churn.connectTime);
          mergeCounts(replyErrors, r.replyErrors);
          mergeCounts(dropped, r.dropped);
          mergeCounts(churnFailures, r.churn.failures);
        }
        const windowSeconds = spec.run.durationMs / 1000;
        const acked = sum(runReports.map((r) => r.acked));
        const delivered = sum(runReports.map((r) => r.delivered));
        let expectedDeliveries = 0;
        if (spec.expectedReceivers) {
          // Every acked message should have reached its receivers by the end of the drain.
          const perPublisher = [...spec.expectedReceivers.values()];
          const average = perPublisher.length ? sum(perPublisher) / perPublisher.length : 0;
          expectedDeliveries = Math.round(acked * average);
        }
        const churnConnects = sum(runReports.map((r) => r.churn.connects));
        result.run = {
          seconds: windowSeconds,
          published: sum(runReports.map((r) => r.published)),
          skipped: sum(runReports.map((r) => r.skipped)),
          acked,
          delivered,
          echoes: sum(runReports.map((r) => r.echoes)),
          publishedPerSecond: acked / windowSeconds,
          deliveredPerSecond: delivered / windowSeconds,
          missing: spec.expectedReceivers ? Math.max(0, expectedDeliveries - delivered) : 0,
          latency: latency.percentiles(),
          ackLatency: ackLatency.percentiles(),
          replyErrors,
          dropped,
        };
        if (spec.expectedReceivers && runReports.some((r) => r.fanout.length > 0)) {
          result.run.fanout = fanoutStats(runReports, spec.expectedReceivers);
        }
        if (churnConnects > 0 || Object.keys(churnFailures).length > 0) {
          result.run.churn = {
            connectsPerSecond: churnConnects / windowSeconds,
            disconnectsPerSecond: sum(runReports.map((r) => r.churn.disconnects)) / windowSeconds,
            connectTime: churnTime.percentiles(),
            failures: churnFailures,
          };
        }
      }

      if (spec.pings) {
        progress.phase = "pinging";
        const perWorker = Math.ceil(spec.pings / workers.length);
        const pinged = await all(workers, { t: "ping", count: perWorker }, "pinged", 120_000);
        const h = new Histogram();
        for (const p of pinged) h.merge(p.latency);
        result.ping = { ...h.percentiles(), failed: sum(pinged.map((p) => p.failed)) };
      }
      result.server.rssPeakBytes = Math.max(rssPeakBytes, rssConnectedBytes);
      return result;
    } finally {
      clearInterval(peak);
    }
  } catch (err) {
    throw new Error(`${target.name}: ${err instanceof Error ? err.message : String(err)}\n--- last server output ---\n${server.tail()}`);
  } finally {
    progress.stop();
    await Promise.all(workers.map((w) => w.stop()));
    await server.stop();
  }
}
