/**
 * @module bench/scenarios/abuse
 * Scenario `abuse`: can one hostile but authenticated user stall everyone else, or grow the server's
 * memory without bound? (Issue 10, items 2–4 and 7.)
 *
 * Every attack gets a fresh server (the compiled binary) with the server's **own default limits**
 * (the other scenarios lift the rate limit; this one must not), started from a copy of one seeded
 * store: `--rooms` rooms of `--messages` messages each, written through the server API
 * (`POST /api/rooms/:room/publish`) by another user. Then:
 *
 * 1. a **bystander** session (its own process) sends PING every `--ping-every` ms and logs each
 *    round trip, alone for `--lead` seconds;
 * 2. the **hostile** session (another process) runs its attack for `--duration` seconds as fast as
 *    the server accepts it (bench/abuse-client.ts: reconnecting at once when closed);
 * 3. the bystander keeps pinging until every PING of the attack window is answered (at most
 *    `--drain` seconds), then `--after` seconds more; server RSS is sampled every 100 ms throughout.
 *
 * Attacks: `quiet` (no hostile: the baseline of the same run), `unread`, `history`, `recover`,
 * `ack`, `invalid`, `webhook` (see {@link DESCRIPTIONS}). Reported per attack: the bystander's PING
 * p50/p99/max over the attack window (unanswered PINGs count with the time they waited), how long
 * the server stayed busy after the attack stopped, the hostile's frames sent, requests served and
 * ERRORs per second of attack, the sessions it went through, server RSS before/peak/after, and
 * met/missed against the targets: bystander PING p99 ≤ `--p99-target` ms (50) and RSS growth within
 * the configured bounds (see {@link rssAllowance}).
 *
 * Options (defaults): --attacks a,b (all, in the order above) · --rooms 20 · --messages 10000 per
 * room · --duration 8 s per attack · --lead 2 s · --drain 20 s · --after 1 s · --ping-every 10 ms ·
 * --max-outstanding-pings 50 · --window 200 unanswered requests · --pace 0 (requests/s; 0 = as fast
 * as answers come) · --reconnect-delay 0 ms · --history-limit 1000 · --recover 5000 messages ·
 * --dm-bytes 65000 · --dm-users 1000 · --receiver hang|down · --p99-target 50 ms · --rss-margin 32 MiB · --quiet-wait 30 s.
 */
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ATTACKS, type AbuseClientJob, type AttackName, type AttackPlan, type FromAbuseClient, type HostileReport, type PingLog, type ToAbuseClient } from "../lib/abuse-ipc.ts";
import { track } from "../lib/children.ts";
import { sharedNow } from "../lib/clock.ts";
import { Histogram, type Percentiles } from "../lib/histogram.ts";
import { waitForQuiet } from "../lib/load.ts";
import { cpuPercent, machineBusySeconds, sampleProc, type ProcSample } from "../lib/proc.ts";
import { bytes, check, count, ms, percent, table, type Check } from "../lib/report.ts";
import { startServer, TARGETS, type RunningServer } from "../lib/servers.ts";
import { num, str, type Context, type ScenarioResult } from "./common.ts";

/** What the hostile sends in each attack, as the table says it. */
const DESCRIPTIONS: Record<AttackName, string> = {
  quiet: "nothing (bystander alone)",
  unread: "UNREAD, member of every seeded room",
  history: "HISTORY limit 1000, rooms in turn",
  recover: "JOIN with `since` (recovery) then LEAVE, per room",
  ack: "ACK floods (no rate limit, no reply)",
  invalid: "invalid frames (JOIN without a room)",
  webhook: "DIRECT ~64 KiB to offline users, webhook receiver hangs (or is down)",
};

/** The request an attack is about (its served count is the one the table shows). */
const MAIN_REQUEST: Partial<Record<AttackName, string>> = { unread: "UNREAD", history: "HISTORY", recover: "JOIN", webhook: "DIRECT" };
/** The attack's frame as /metrics names it (`hubbub_frames_in_total{type}`); invalid frames are not counted there. */
const METRIC_TYPE: Partial<Record<AttackName, string>> = { unread: "unread", history: "history", recover: "join", ack: "ack", webhook: "direct" };

/** Server defaults the RSS bound is made of (src/config.ts; the store's SQLite page cache in src/store/sqlite.ts). */
const DEFAULTS = { slowConsumerBytes: 4 * 2 ** 20, webhookQueueBytes: 16 * 2 ** 20, sqliteCacheBytes: 64 * 2 ** 20 };
const ROOM_PREFIX = "abuse:room:";
/** The server counts as answering again after this many PINGs in a row within the p99 target. */
const CALM_PINGS = 20;
const API_KEY = `bench-abuse-${"k".repeat(16)}`;
const TEXT = "Hello everyone, this is a typical chat message of about one hundred bytes!";

/** Settings the server must run with here: its own defaults, unless this environment sets them. */
function serverEnv(webhookUrl: string | undefined, secret: string): Record<string, string> {
  const keep = (name: string) => process.env[name] ?? "";
  return {
    HUBBUB_API_KEYS: API_KEY,
    HUBBUB_RATE_PER_SECOND: keep("HUBBUB_RATE_PER_SECOND"),
    HUBBUB_RATE_BURST: keep("HUBBUB_RATE_BURST"),
    HUBBUB_MAX_SESSIONS_PER_USER: keep("HUBBUB_MAX_SESSIONS_PER_USER"),
    HUBBUB_MAX_CONNECTIONS: keep("HUBBUB_MAX_CONNECTIONS"),
    HUBBUB_NAMESPACES: keep("HUBBUB_NAMESPACES"),
    HUBBUB_WEBHOOK_URL: webhookUrl ?? keep("HUBBUB_WEBHOOK_URL"),
    HUBBUB_WEBHOOK_SECRET: webhookUrl ? secret.slice(0, 32) : keep("HUBBUB_WEBHOOK_SECRET"),
  };
}

/** One client process (bystander or hostile), spoken to over IPC. */
class ClientProcess {
  private readonly inbox: FromAbuseClient[] = [];
  private waiter: ((m: FromAbuseClient) => void) | undefined;
  private failure: Error | undefined;
  private readonly proc: Subprocess;

  constructor(job: AbuseClientJob) {
    this.proc = track(
      Bun.spawn([process.execPath, join(import.meta.dir, "..", "abuse-client.ts")], {
        stdio: ["ignore", "inherit", "inherit"],
        serialization: "json",
        ipc: (message) => this.receive(message as FromAbuseClient),
      }),
    );
    void this.proc.exited.then((code) => this.receive({ t: "fatal", message: `${job.role} exited with ${code}` }));
    this.send({ t: "job", job });
  }

  get pid(): number {
    return this.proc.pid;
  }

  send(message: ToAbuseClient): void {
    this.proc.send(message);
  }

  private receive(message: FromAbuseClient): void {
    if (message.t === "fatal") this.failure ??= new Error(message.message);
    if (this.waiter) this.waiter(message);
    else this.inbox.push(message);
  }

  /** The next message of kind `t` (a fatal report, or nothing within `timeoutMs`, rejects). */
  async next<K extends FromAbuseClient["t"]>(t: K, timeoutMs: number): Promise<Extract<FromAbuseClient, { t: K }>> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.t === t);
      if (i >= 0) return this.inbox.splice(i, 1)[0] as Extract<FromAbuseClient, { t: K }>;
      if (this.failure) throw this.failure;
      const left = until - Date.now();
      if (left <= 0) throw new Error(`no "${t}" from a client within ${timeoutMs} ms`);
      const got = await new Promise<FromAbuseClient | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), left);
        this.waiter = (m) => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve(m);
        };
      });
      if (got) this.inbox.push(got);
    }
  }

  async stop(): Promise<void> {
    try {
      this.send({ t: "exit" });
    } catch {
      // already gone
    }
    const exited = await Promise.race([this.proc.exited.then(() => true), Bun.sleep(3_000).then(() => false)]);
    if (!exited) this.proc.kill("SIGKILL");
  }
}

/**
 * The webhook receiver of the `webhook` attack: `hang` accepts every request and never answers;
 * `down` is a loopback port nothing listens on any more (connections refused).
 */
function deadReceiver(mode: string): { url: string; requests: () => number; stop: () => void } {
  if (mode !== "hang" && mode !== "down") throw new Error(`--receiver: hang or down, got "${mode}"`);
  let requests = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    fetch() {
      requests++;
      return new Promise<Response>(() => {});
    },
  });
  const url = `http://127.0.0.1:${server.port}/hooks`;
  if (mode === "down") void server.stop(true);
  return { url, requests: () => requests, stop: () => void server.stop(true) };
}

/** Publishes `messages` messages to each of `rooms` rooms through the server API, 64 at a time. */
async function seedRooms(server: RunningServer, rooms: string[], messages: number): Promise<void> {
  const total = rooms.length * messages;
  let next = 0;
  let done = 0;
  const started = Date.now();
  const ticker = setInterval(() => process.stderr.write(`[seed] ${count(done)} / ${count(total)} messages\n`), 5_000);
  const lane = async () => {
    while (next < total) {
      const i = next++;
      const room = rooms[i % rooms.length]!;
      const response = await fetch(`http://${server.host}:${server.port}/api/rooms/${room}/publish`, {
        method: "POST",
        headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ payload: { text: TEXT, n: Math.floor(i / rooms.length) }, from: "abuse-filler" }),
        signal: AbortSignal.timeout(30_000),
      });
      if (response.status !== 200) throw new Error(`seeding: POST /api/rooms/${room}/publish answered ${response.status}: ${await response.text()}`);
      await response.arrayBuffer();
      done++;
    }
  };
  try {
    await Promise.all(Array.from({ length: 64 }, lane));
  } finally {
    clearInterval(ticker);
  }
  process.stderr.write(`[seed] ${count(total)} messages in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

/** A GET on the server with the API key, as JSON or text; undefined if it does not answer within 2 s. */
async function probe(server: RunningServer, path: string): Promise<string | undefined> {
  try {
    const response = await fetch(`http://${server.host}:${server.port}${path}`, { headers: { authorization: `Bearer ${API_KEY}` }, signal: AbortSignal.timeout(2_000) });
    return response.ok ? await response.text() : undefined;
  } catch {
    return undefined;
  }
}

/** `hubbub_frames_in_total` by frame type, from /metrics. */
function framesIn(metrics: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const match of metrics.matchAll(/^hubbub_frames_in_total\{type="([^"]+)"\} (\d+)/gm)) out[match[1]!] = Number(match[2]);
  return out;
}

/** What one attack measured. */
export interface AttackRun {
  attack: AttackName;
  description: string;
  /** Attack window on the shared clock, ms. */
  start: number;
  end: number;
  /** Bystander PING round trips sent during the window (unanswered ones count with the time they waited). */
  ping: Percentiles;
  /** Bystander PINGs of the lead-in (before the attack, same server). */
  pingBefore: Percentiles;
  /** Bystander PING slots of the window never answered. */
  unanswered: number;
  /** Bystander PING slots of the window skipped because `--max-outstanding-pings` waited (counted as queued, see PingLog). */
  skippedPings: number;
  /** The bystander's own session: how it ended, or ERRORs it got (empty when all went well). */
  bystanderProblems: Record<string, number>;
  /** How long after the window the bystander's PINGs were still answered late (> the p99 target), ms (Infinity: not over within the drain). */
  busyAfterMs: number;
  hostile?: HostileReport;
  /** Server frames in by type (from /metrics after the drain; undefined if it did not answer). */
  serverFramesIn?: Record<string, number>;
  /** /api/stats after the drain (webhook counters), if it answered. */
  serverStats?: unknown;
  /** Requests the hanging webhook receiver got. */
  webhookRequests?: number;
  rss: { beforeBytes: number; peakBytes: number; afterBytes: number; allowanceBytes: number };
  cpu: { serverPercent: number; clientsPercent: number; otherPercent: number };
  /** Other processes' CPU while waiting for a quiet machine before this attack, % of a core. */
  otherBeforePercent: number;
  targets: { p99: boolean; rss: boolean };
}

/**
 * RSS growth allowed during an attack: what the configured limits let the server hold (the
 * webhook queue's bytes, two slow-consumer buffers, the SQLite page cache) plus `marginMiB` for
 * the JS heap's own growth.
 */
function rssAllowance(marginMiB: number): number {
  return DEFAULTS.webhookQueueBytes + 2 * DEFAULTS.slowConsumerBytes + DEFAULTS.sqliteCacheBytes + marginMiB * 2 ** 20;
}

/**
 * How long after `end` the server stayed slow for the bystander: the latest time a PING slot sent
 * from `start` on was answered late (over `slowMs`), minus `end`; Infinity when a slow PING was
 * still unanswered when the bystander stopped.
 */
function busyAfter(log: PingLog, start: number, end: number, slowMs: number): number {
  let last = end;
  for (let i = 0; i < log.sentAt.length; i++) {
    const sent = log.sentAt[i]!;
    const rtt = log.rtt[i]!;
    if (sent < start) continue;
    if (rtt < 0 && log.stoppedAt - sent > slowMs) return Infinity;
    if (rtt > slowMs) last = Math.max(last, sent + rtt);
  }
  return last - end;
}

function pingStats(log: PingLog, from: number, to: number): { stats: Percentiles; unanswered: number; skipped: number } {
  const h = new Histogram();
  let unanswered = 0;
  const skipped = log.skipped.filter((i) => log.sentAt[i]! >= from && log.sentAt[i]! < to).length;
  for (let i = 0; i < log.sentAt.length; i++) {
    const sent = log.sentAt[i]!;
    if (sent < from || sent >= to) continue;
    const rtt = log.rtt[i]!;
    if (rtt >= 0) h.record(rtt);
    else {
      unanswered++;
      h.record(log.stoppedAt - sent);
    }
  }
  return { stats: h.percentiles(), unanswered, skipped };
}

export async function abuse(ctx: Context): Promise<ScenarioResult> {
  const o = {
    attacks: str(ctx, "attacks", ATTACKS.join(",")),
    rooms: num(ctx, "rooms", 20),
    messages: num(ctx, "messages", 10_000),
    durationMs: num(ctx, "duration", 8) * 1000,
    leadMs: num(ctx, "lead", 2) * 1000,
    drainMs: num(ctx, "drain", 20) * 1000,
    afterMs: num(ctx, "after", 1) * 1000,
    pingEveryMs: num(ctx, "ping-every", 10),
    maxOutstandingPings: num(ctx, "max-outstanding-pings", 50),
    quietWaitMs: num(ctx, "quiet-wait", 30) * 1000,
    window: num(ctx, "window", 200),
    pace: num(ctx, "pace", 0),
    reconnectDelayMs: num(ctx, "reconnect-delay", 0),
    historyLimit: num(ctx, "history-limit", 1000),
    recoverMessages: num(ctx, "recover", 5000),
    dmBytes: num(ctx, "dm-bytes", 65_000),
    dmUsers: num(ctx, "dm-users", 1000),
    receiver: str(ctx, "receiver", "hang"),
    p99TargetMs: num(ctx, "p99-target", 50),
    rssMarginMiB: num(ctx, "rss-margin", 32),
  };
  const attacks = o.attacks.split(",").map((a) => a.trim()) as AttackName[];
  for (const a of attacks) if (!ATTACKS.includes(a)) throw new Error(`--attacks: unknown attack "${a}" (one of ${ATTACKS.join(", ")})`);
  const target = TARGETS.hubbub;
  const rooms = Array.from({ length: o.rooms }, (_, i) => `${ROOM_PREFIX}${i}`);
  const allowance = rssAllowance(o.rssMarginMiB);

  // One seeded store, copied for every attack's server.
  let seed: string | undefined;
  let seedServer: RunningServer | undefined;
  if (o.rooms > 0 && o.messages > 0 && attacks.some((a) => a === "unread" || a === "history" || a === "recover")) {
    seedServer = await startServer(target, ctx.options, undefined, { env: serverEnv(undefined, ctx.options.secret) });
    try {
      await seedRooms(seedServer, rooms, o.messages);
    } finally {
      await seedServer.stop({ keepData: true });
    }
    seed = seedServer.dataFile;
  }

  const runs: AttackRun[] = [];
  for (const attack of attacks) {
    const otherBeforePercent = await waitForQuiet(o.quietWaitMs);
    const receiver = attack === "webhook" ? deadReceiver(o.receiver) : undefined;
    const server = await startServer(target, ctx.options, undefined, { env: serverEnv(receiver?.url, ctx.options.secret), seed });
    const clients: ClientProcess[] = [];
    const samples: ProcSample[] = [];
    const sampler = setInterval(() => {
      const s = sampleProc(server.pid, sharedNow());
      if (s) samples.push(s);
    }, 100);
    let ticker: ReturnType<typeof setInterval> | undefined;
    try {
      const base = { host: server.host, port: server.port, secret: ctx.options.secret, pingEveryMs: o.pingEveryMs, maxOutstandingPings: o.maxOutstandingPings };
      const maxPingMs = o.leadMs + o.durationMs + o.drainMs + o.afterMs + 30_000;
      const bystander = new ClientProcess({ ...base, role: "bystander", user: "abuse-bystander", tokenRooms: [], maxPingMs });
      clients.push(bystander);
      await bystander.next("ready", 20_000);
      let hostile: ClientProcess | undefined;
      if (attack !== "quiet") {
        const plan: AttackPlan = {
          name: attack,
          window: o.window,
          pace: o.pace,
          rooms,
          historyLimit: o.historyLimit,
          recoverMessages: o.recoverMessages,
          dmBytes: o.dmBytes,
          dmUsers: o.dmUsers,
          maxMessageBytes: 200_000,
          maxReconnects: 20_000,
          reconnectDelayMs: o.reconnectDelayMs,
          maxFrames: 50_000_000,
        };
        hostile = new ClientProcess({ ...base, role: "hostile", user: "abuse-hostile", tokenRooms: [`${ROOM_PREFIX}*`], maxPingMs, attack: plan });
        clients.push(hostile);
        await hostile.next("ready", 60_000);
      }
      const start = sharedNow() + o.leadMs;
      const end = start + o.durationMs;
      hostile?.send({ t: "run", start, end });
      let last = sampleProc(server.pid, sharedNow());
      ticker = setInterval(() => {
        const now = sampleProc(server.pid, sharedNow());
        const phase = sharedNow() < start ? "lead-in" : sharedNow() < end ? "attacking" : "draining";
        process.stderr.write(`[${attack}] ${phase} | server cpu ${percent(cpuPercent(last, now))} rss ${bytes(now?.rssBytes ?? NaN)}\n`);
        last = now;
      }, 2_000);
      await Bun.sleep(Math.max(0, start - sharedNow()));
      const pids = clients.map((c) => c.pid);
      const cpuAt = () => ({ at: sharedNow(), busy: machineBusySeconds(), server: sampleProc(server.pid, sharedNow()), clients: pids.map((p) => sampleProc(p, sharedNow())), self: sampleProc(process.pid, sharedNow()) });
      const cpu0 = cpuAt();
      const rssBefore = cpu0.server?.rssBytes ?? NaN;
      await Bun.sleep(Math.max(0, end - sharedNow()));
      const cpu1 = cpuAt();
      const pingsPromise = bystander.next("pings", o.drainMs + o.afterMs + 30_000);
      bystander.send({ t: "report", until: end, maxWaitMs: o.drainMs, afterMs: o.afterMs, calmMs: o.p99TargetMs, calmCount: CALM_PINGS });
      const log = (await pingsPromise).log;
      let hostileReport: HostileReport | undefined;
      if (hostile) {
        const reported = hostile.next("hostile", 10_000);
        hostile.send({ t: "report", until: end, maxWaitMs: 0, afterMs: 0, calmMs: 0, calmCount: 0 });
        hostileReport = (await reported).report;
      }
      const rssAfter = sampleProc(server.pid, sharedNow())?.rssBytes ?? NaN;
      const [metrics, stats] = await Promise.all([probe(server, "/metrics"), probe(server, "/api/stats")]);
      const window = pingStats(log, start, end);
      const lead = pingStats(log, start - o.leadMs, start);
      const peak = Math.max(rssBefore, ...samples.filter((s) => s.at >= start).map((s) => s.rssBytes));
      const serverCpu = cpuPercent(cpu0.server, cpu1.server);
      const clientsCpu = pids.reduce((sum, _, i) => sum + (cpuPercent(cpu0.clients[i], cpu1.clients[i]) || 0), 0);
      const machine = ((cpu1.busy - cpu0.busy) / ((cpu1.at - cpu0.at) / 1000)) * 100;
      const other = Math.max(0, machine - (serverCpu || 0) - clientsCpu - (cpuPercent(cpu0.self, cpu1.self) || 0));
      const run: AttackRun = {
        attack,
        description: DESCRIPTIONS[attack],
        start,
        end,
        ping: window.stats,
        pingBefore: lead.stats,
        unanswered: window.unanswered,
        skippedPings: window.skipped,
        bystanderProblems: log.dropped,
        busyAfterMs: busyAfter(log, start, end, o.p99TargetMs),
        hostile: hostileReport,
        serverFramesIn: metrics === undefined ? undefined : framesIn(metrics),
        serverStats: stats ? (JSON.parse(stats) as unknown) : undefined,
        webhookRequests: receiver?.requests(),
        rss: { beforeBytes: rssBefore, peakBytes: peak, afterBytes: rssAfter, allowanceBytes: allowance },
        cpu: { serverPercent: serverCpu, clientsPercent: clientsCpu, otherPercent: other },
        otherBeforePercent,
        targets: { p99: window.stats.p99 <= o.p99TargetMs && Object.keys(log.dropped).length === 0, rss: peak - rssBefore <= allowance },
      };
      runs.push(run);
      process.stderr.write(
        `[${attack}] ping p50 ${ms(run.ping.p50)} p99 ${ms(run.ping.p99)} max ${ms(run.ping.max)}${run.unanswered ? ` (${run.unanswered} unanswered)` : ""}; ` +
          `rss ${bytes(rssBefore)} → ${bytes(peak)} → ${bytes(rssAfter)}\n`,
      );
    } catch (err) {
      throw new Error(`abuse ${attack}: ${err instanceof Error ? err.message : String(err)}\n--- last server output ---\n${server.tail()}`);
    } finally {
      clearInterval(sampler);
      clearInterval(ticker);
      await Promise.all(clients.map((c) => c.stop()));
      await server.stop();
      receiver?.stop();
    }
  }
  if (seedServer) await seedServer.stop();
  return report(o, runs, seed !== undefined);
}

function perSecond(n: number | undefined, windowMs: number): string {
  return n === undefined ? "–" : count(n / (windowMs / 1000));
}

function sum(counts: Record<string, number> | undefined): number {
  return Object.values(counts ?? {}).reduce((a, b) => a + b, 0);
}

interface ReportOptions {
  durationMs: number;
  drainMs: number;
  pingEveryMs: number;
  maxOutstandingPings: number;
  p99TargetMs: number;
  rssMarginMiB: number;
  rooms: number;
  messages: number;
  window: number;
  pace: number;
}

function report(o: ReportOptions & Record<string, unknown>, runs: AttackRun[], seeded: boolean): ScenarioResult {
  const windowMs = o.durationMs;
  const rows = runs.map((r) => {
    const h = r.hostile;
    const main = MAIN_REQUEST[r.attack];
    const served = !h ? "–" : main ? perSecond(h.served[main] ?? 0, windowMs) : "– (no reply)";
    const errors = h ? sum(h.errors) : undefined;
    const top = h ? Object.entries(h.errors).sort((a, b) => b[1] - a[1])[0] : undefined;
    const bystanderHurt = Object.keys(r.bystanderProblems).length > 0;
    const missed = [!r.targets.p99 && (bystanderHurt ? "bystander cut off" : "p99"), !r.targets.rss && "RSS"].filter(Boolean);
    const maxText = `${r.unanswered > 0 ? "≥ " : ""}${ms(r.ping.max)}`;
    return [
      r.attack,
      r.description,
      `${ms(r.ping.p50)} / ${ms(r.ping.p99)} / ${maxText}`,
      count(r.unanswered),
      Number.isFinite(r.busyAfterMs) ? ms(r.busyAfterMs) : `> ${ms(o.drainMs)}`,
      h ? `${perSecond(sum(h.sent), windowMs)} (${perSecond(r.serverFramesIn && METRIC_TYPE[r.attack] ? (r.serverFramesIn[METRIC_TYPE[r.attack]!] ?? 0) : undefined, windowMs)})` : "–",
      served,
      h ? `${perSecond(errors, windowMs)}${top && errors ? ` (${top[0]})` : ""}` : "–",
      h ? count(h.sessions) : "–",
      `${bytes(r.rss.beforeBytes)} / ${bytes(r.rss.peakBytes)} / ${bytes(r.rss.afterBytes)}`,
      percent(r.cpu.serverPercent),
      percent(r.cpu.otherPercent),
      missed.length ? `missed (${missed.join(", ")})` : "met",
    ];
  });
  const checks: Check[] = [];
  for (const r of runs) {
    checks.push(check(`${r.attack}: bystander PING p99`, r.ping.p99, "<=", o.p99TargetMs, ms));
    checks.push(check(`${r.attack}: server RSS growth`, r.rss.peakBytes - r.rss.beforeBytes, "<=", r.rss.allowanceBytes, bytes));
  }
  const extra: string[] = [];
  for (const r of runs) {
    if (Object.keys(r.bystanderProblems).length) {
      extra.push(`${r.attack}: the bystander's own session got ${Object.entries(r.bystanderProblems).map(([k, v]) => `${count(v)}× ${k}`).join(", ")}`);
    }
    if (r.skippedPings) extra.push(`${r.attack}: ${count(r.skippedPings)} bystander PING slots skipped while ${o.maxOutstandingPings} waited (counted as queued behind them)`);
    const h = r.hostile;
    if (!h) continue;
    const parts = [`${r.attack}: sent ${Object.entries(h.sent).map(([k, v]) => `${count(v)} ${k}`).join(", ") || "nothing"}`];
    if (Object.keys(h.served).length) parts.push(`served ${Object.entries(h.served).map(([k, v]) => `${count(v)} ${k}`).join(", ")}`);
    if (h.recovered) parts.push(`${count(h.recovered)} recovered`);
    if (sum(h.errors)) parts.push(`ERRORs ${Object.entries(h.errors).map(([k, v]) => `${count(v)}× ${k}`).join(", ")}`);
    if (sum(h.disconnects)) parts.push(`sessions closed: ${Object.entries(h.disconnects).map(([k, v]) => `${count(v)}× ${k}`).join(", ")}`);
    if (sum(h.connectFailures)) parts.push(`connects failed: ${Object.entries(h.connectFailures).map(([k, v]) => `${count(v)}× ${k}`).join(", ")}`);
    const framesRead = Object.entries(r.serverFramesIn ?? {}).filter(([k]) => k !== "ping");
    if (!r.serverFramesIn) parts.push("server /metrics did not answer within 2 s after the drain");
    else parts.push(`server read ${framesRead.map(([k, v]) => `${count(v)} ${k}`).join(", ") || "no valid frame but PINGs"}`);
    if (r.webhookRequests !== undefined) parts.push(`webhook receiver got ${count(r.webhookRequests)} requests`);
    const webhooks = (r.serverStats as { webhooks?: Record<string, number> } | undefined)?.webhooks;
    if (webhooks) parts.push(`server webhook queue: ${Object.entries(webhooks).map(([k, v]) => `${k} ${count(v)}`).join(", ")}`);
    extra.push(parts.join("; "));
  }
  return {
    scenario: "abuse",
    question: "Can one hostile but authenticated user stall everyone else or grow the server's memory?",
    options: o as unknown as Record<string, number | string>,
    runs: [],
    details: { attacks: runs },
    tables: [
      {
        title: `One hostile session, ${o.durationMs / 1000} s per attack, against a bystander pinging every ${o.pingEveryMs} ms (server defaults: 100 frames/s, burst 200)`,
        markdown: table(
          ["Attack", "Hostile sends", "Bystander PING p50 / p99 / max", "Unanswered", "Busy after", "Sent/s (server read/s)", "Served/s", "ERRORs/s", "Sessions", "RSS before / peak / after", "Server CPU", "Other CPU", `Target (p99 ≤ ${o.p99TargetMs} ms, RSS)`],
          rows,
        ),
      },
    ],
    ratios: {},
    checks,
    notes: [
      seeded
        ? `Seeded store: ${count(o.rooms)} rooms × ${count(o.messages)} messages (~100-byte payloads from another user), written through POST /api/rooms/:room/publish and copied for each attack's fresh server. Every server runs with its own default limits.`
        : "No seeded store (no selected attack reads rooms). Every server runs with its own default limits.",
      `PING figures cover the bystander's PING slots (one every ${o.pingEveryMs} ms) during the attack window; an unanswered PING counts with the time it had waited when the bystander stopped (so max is then a lower bound, "≥"). At most ${o.maxOutstandingPings} PINGs wait at once; a slot skipped meanwhile counts as a PING queued behind the last one sent. Busy after: how long after the attack stopped the bystander's PINGs were still answered late (over ${o.p99TargetMs} ms); the drain waits at most ${o.drainMs / 1000} s for ${CALM_PINGS} PINGs in a row within that.`,
      `Sent/s, served/s and ERRORs/s are per second of attack (answers that arrived during the drain included). Sent: frames the hostile wrote (a flood writes on until it sees its session closed); server read: those frames the server decoded (/metrics hubbub_frames_in_total after the drain; invalid frames are not counted there). Served: REPLYs to the attack's main request; ERRORs/s names the most frequent code. Sessions: sessions the hostile opened (it reconnects at once when closed, with a fresh rate-limit bucket). Request/reply attacks keep ${o.window} requests unanswered${o.pace ? `, paced at ${o.pace}/s` : ""}; flood attacks write while the socket takes more.`,
      `RSS target: peak − before ≤ ${bytes(rssAllowance(o.rssMarginMiB))} (webhook queue 16 MiB + 2 slow-consumer buffers of 4 MiB + SQLite page cache 64 MiB + ${o.rssMarginMiB} MiB margin). Server CPU and Other CPU (other processes on the machine) are averages over the attack window, % of one core.`,
      ...extra,
    ],
  };
}
