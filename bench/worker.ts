/**
 * @module bench/worker
 * A load worker process, started by bench/run.ts (never by hand). It receives a
 * {@link WorkerJob} over IPC, then on command: opens its connections (and joins their rooms),
 * runs its publishers and churn loops for the measurement window, answers pings, and reports
 * what it measured. Latency is measured from the send time carried in each payload to the moment
 * the frame is parsed here, on the clock shared by all processes of the run.
 */
import { sharedNow } from "./lib/clock.ts";
import { Histogram } from "./lib/histogram.ts";
import type { ConnectReport, FromWorker, PublisherPlan, RunReport, ToWorker, WorkerJob } from "./lib/ipc.ts";
import { mintToken } from "./lib/jwt.ts";
import { BenchConn, createProtocol, type ClientProtocol, type ClientSink } from "./lib/protocols.ts";
import { upgradeRequest, type WsConn, type WsEvents } from "./lib/ws-client.ts";

const CONNECT_TIMEOUT_MS = 15_000;
const PING_TIMEOUT_MS = 5_000;

interface PublisherState {
  plan: PublisherPlan;
  conn: Conn;
  seq: number;
  /** Paced publishers (plan.rate > 0): when the next send is due, shared clock ms. */
  nextDue: number;
  /** Send time by rid of requests not answered yet. */
  sent: Map<number, number>;
}

/** A connection with the worker's waiters and roles. */
class Conn extends BenchConn {
  onReady: (() => void) | undefined;
  onJoined: ((error: string | undefined) => void) | undefined;
  onPong: (() => void) | undefined;
  onClosed: ((reason: string) => void) | undefined;
  publisher: PublisherState | undefined;
  /** Publisher id whose direct messages come back here as the sender's copy (-1: none). */
  echoOf = -1;
  longLived = false;
}

function send(message: FromWorker): void {
  process.send?.(message);
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Short, countable failure reasons (no per-connection details such as ports). */
function reasonOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\d{4,}/g, "N").slice(0, 160);
}

let job: WorkerJob;
let protocol: ClientProtocol;
let tokens: string[] = [];
let churnTokens: string[] = [];
const conns: (Conn | undefined)[] = [];
let readyCount = 0;
let failedCount = 0;
let exiting = false;

// Measurement window and what was measured in it.
let windowStart = Infinity;
let windowEnd = -Infinity;
let sending = false;
let published = 0;
let acked = 0;
let delivered = 0;
let deliveredTotal = 0;
let publishedTotal = 0;
let echoes = 0;
/** Paced sends skipped because the publisher's window was full (the server fell behind the rate). */
let skipped = 0;
const replyErrors: Record<string, number> = {};
const dropped: Record<string, number> = {};
const latency = new Histogram();
const ackLatency = new Histogram();
const fanoutCount = new Map<number, number>();
const fanoutLatest = new Map<number, number>();
const churn = { connects: 0, disconnects: 0, failures: {} as Record<string, number>, connectTime: new Histogram() };
const SEQ_BITS = 2 ** 24;

const sink: ClientSink = {
  ready(c) {
    c.ready = true;
    (c as Conn).onReady?.();
  },
  reply(bc, rid, error) {
    const c = bc as Conn;
    if (rid === c.joinRid) {
      c.joinRid = -1;
      c.onJoined?.(error);
      return;
    }
    const p = c.publisher;
    if (!p) return;
    const sentAt = p.sent.get(rid);
    if (sentAt === undefined) return;
    p.sent.delete(rid);
    c.inflight--;
    const now = c.now();
    if (sentAt >= windowStart && sentAt < windowEnd) {
      acked++;
      ackLatency.record(now - sentAt);
      if (error) bump(replyErrors, error);
    }
    if (sending && now < windowEnd && !c.ended && !p.plan.rate) publishNext(p);
  },
  delivery(bc, sentAt, publisher, seq) {
    deliveredTotal++;
    if (sentAt < windowStart || sentAt >= windowEnd) return;
    const c = bc as Conn;
    if (c.echoOf === publisher) {
      echoes++;
      return;
    }
    const ms = c.now() - sentAt;
    delivered++;
    latency.record(ms);
    const every = job.fanoutSampleEvery;
    if (every > 0 && seq % every === 0) {
      const key = publisher * SEQ_BITS + seq;
      fanoutCount.set(key, (fanoutCount.get(key) ?? 0) + 1);
      if (ms > (fanoutLatest.get(key) ?? -1)) fanoutLatest.set(key, ms);
    }
  },
  pong(c) {
    (c as Conn).onPong?.();
  },
};

const events: WsEvents = {
  upgraded(c: WsConn) {
    protocol.upgraded(c as Conn);
  },
  message(c: WsConn, buf: Uint8Array, start: number, end: number, opcode: number) {
    protocol.message(c as Conn, buf, start, end, opcode, sink);
  },
  closed(wc: WsConn, reason: string) {
    const c = wc as Conn;
    const why = c.disconnectCode ? `disconnect ${c.disconnectCode}` : c.closeCode ? `close ${c.closeCode}` : reason;
    if (c.longLived && !exiting) {
      bump(dropped, why);
      if (c.ready) readyCount--;
    }
    c.onClosed?.(why);
  },
};

/** Opens one connection, waits for the session, joins `rooms`; rejects with a reason. */
function open(index: number, user: string, token: string, rooms: readonly string[]): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const request = upgradeRequest(job.host, job.port, protocol.path(user, token), protocol.headers);
    const c = new Conn(events, request, index, user);
    let settled = false;
    const timer = setTimeout(() => fail("timeout"), CONNECT_TIMEOUT_MS);
    function fail(reason: string): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      c.onClosed = undefined;
      c.terminate();
      reject(new Error(reason));
    }
    let next = 0;
    const joinNext = () => {
      if (next >= rooms.length) {
        settled = true;
        clearTimeout(timer);
        c.onClosed = undefined;
        resolve(c);
        return;
      }
      const rid = ++c.rid;
      c.joinRid = rid;
      protocol.join(c, rid, rooms[next++]!);
    };
    c.onJoined = (error) => (error ? fail(`join refused: ${error}`) : joinNext());
    c.onReady = joinNext;
    c.onClosed = (reason) => fail(reason);
    c.connect(job.host, job.port, job.sourceAddress);
  });
}

/** Closes a connection and waits until the TCP connection is gone. */
function closeConn(c: Conn): Promise<void> {
  return new Promise((resolve) => {
    if (c.ended) return resolve();
    const timer = setTimeout(() => c.terminate(), 5_000);
    c.onClosed = () => {
      clearTimeout(timer);
      resolve();
    };
    c.close();
  });
}

async function connectAll(): Promise<ConnectReport> {
  const failures: Record<string, number> = {};
  const connectTime = new Histogram();
  const firstStart = sharedNow();
  let lastReady = firstStart;
  let next = 0;
  const lane = async () => {
    while (next < job.conns.length) {
      const i = next++;
      const plan = job.conns[i]!;
      const started = sharedNow();
      try {
        const c = await open(i, plan.user, tokens[i]!, plan.rooms);
        c.longLived = true;
        conns[i] = c;
        readyCount++;
        lastReady = sharedNow();
        connectTime.record(lastReady - started);
      } catch (err) {
        failedCount++;
        bump(failures, reasonOf(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(job.connectConcurrency, job.conns.length)) }, lane));
  return { ok: readyCount, failed: failedCount, firstStart, lastReady, failures, connectTime: connectTime.toJSON() };
}

function publishNext(p: PublisherState): void {
  const c = p.conn;
  const rid = ++c.rid;
  const seq = ++p.seq;
  const now = sharedNow();
  p.sent.set(rid, now);
  c.inflight++;
  publishedTotal++;
  if (now >= windowStart && now < windowEnd) published++;
  if (p.plan.room !== undefined) protocol.publish(c, rid, p.plan.room, now, p.plan.id, seq);
  else protocol.direct(c, rid, p.plan.to!, now, p.plan.id, seq);
}

async function churnSlot(slot: number): Promise<void> {
  const plan = job.churn!;
  const user = `${plan.userPrefix}${slot}`;
  while (sharedNow() < windowEnd) {
    try {
      const started = sharedNow();
      const c = await open(-1, user, churnTokens[slot]!, plan.rooms);
      const readyAt = sharedNow();
      if (readyAt >= windowStart && readyAt < windowEnd) {
        churn.connects++;
        churn.connectTime.record(readyAt - started);
      }
      await closeConn(c);
      const closedAt = sharedNow();
      if (closedAt >= windowStart && closedAt < windowEnd) churn.disconnects++;
    } catch (err) {
      if (sharedNow() < windowEnd) bump(churn.failures, reasonOf(err));
      await Bun.sleep(5);
    }
  }
}

async function run(start: number, end: number, drainMs: number): Promise<RunReport> {
  windowStart = start;
  windowEnd = end;
  sending = true;
  const publishers: PublisherState[] = [];
  for (const plan of job.publishers) {
    const conn = conns[plan.conn];
    if (!conn || conn.ended) continue;
    const p: PublisherState = { plan, conn, seq: 0, nextDue: sharedNow(), sent: new Map() };
    conn.publisher = p;
    if (plan.to !== undefined) conn.echoOf = plan.id;
    publishers.push(p);
  }
  const paced = publishers.filter((p) => p.plan.rate);
  for (const p of publishers) if (!p.plan.rate) for (let i = 0; i < p.plan.window; i++) publishNext(p);
  // Paced publishers send on schedule (open loop), skipping a send when their window is full.
  const pacer = paced.length
    ? setInterval(() => {
        const now = sharedNow();
        if (now >= windowEnd) return;
        for (const p of paced) {
          const interval = 1000 / p.plan.rate!;
          while (p.nextDue <= now) {
            p.nextDue += interval;
            if (p.conn.inflight < p.plan.window && !p.conn.ended) publishNext(p);
            else if (now >= windowStart) skipped++;
          }
        }
      }, 1)
    : undefined;
  const churning = job.churn ? Array.from({ length: job.churn.slots }, (_, i) => churnSlot(i)) : [];
  await Bun.sleep(Math.max(0, end - sharedNow()));
  sending = false;
  if (pacer) clearInterval(pacer);
  await Promise.all(churning);
  await Bun.sleep(Math.max(0, end + drainMs - sharedNow()));
  const fanout: [number, number, number, number][] = [];
  for (const [key, count] of fanoutCount) {
    fanout.push([Math.floor(key / SEQ_BITS), key % SEQ_BITS, count, fanoutLatest.get(key)!]);
  }
  return {
    published,
    skipped,
    acked,
    replyErrors,
    delivered,
    echoes,
    latency: latency.toJSON(),
    ackLatency: ackLatency.toJSON(),
    fanout,
    churn: { connects: churn.connects, disconnects: churn.disconnects, failures: churn.failures, connectTime: churn.connectTime.toJSON() },
    dropped,
  };
}

async function ping(count: number): Promise<{ latency: Histogram; failed: number }> {
  const ready = conns.filter((c): c is Conn => c !== undefined && c.ready && !c.ended);
  const h = new Histogram();
  let failed = 0;
  const n = Math.min(count, ready.length);
  for (let i = 0; i < n; i++) {
    const c = ready[Math.floor((i * ready.length) / n)]!;
    const started = sharedNow();
    const ok = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS);
      c.onPong = () => {
        clearTimeout(timer);
        resolve(true);
      };
      protocol.ping(c, ++c.rid);
    });
    c.onPong = undefined;
    if (ok) h.record(sharedNow() - started);
    else failed++;
  }
  return { latency: h, failed };
}

process.on("message", (raw: unknown) => {
  const message = raw as ToWorker;
  const fatal = (err: unknown) => send({ t: "fatal", message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  switch (message.t) {
    case "job": {
      job = message.job;
      protocol = createProtocol(job.protocol, job.padBytes);
      const exp = Math.floor(Date.now() / 1000) + 3600;
      tokens = job.conns.map((c) => mintToken(job.secret, { sub: c.user, exp, rooms: job.tokenRooms }));
      churnTokens = Array.from({ length: job.churn?.slots ?? 0 }, (_, i) =>
        mintToken(job.secret, { sub: `${job.churn!.userPrefix}${i}`, exp, rooms: job.tokenRooms }),
      );
      setInterval(() => {
        send({ t: "progress", ready: readyCount, failed: failedCount, delivered: deliveredTotal, published: publishedTotal, churnConnects: churn.connects });
      }, 500).unref();
      send({ t: "prepared" });
      break;
    }
    case "connect":
      connectAll().then((report) => send({ t: "connected", report }), fatal);
      break;
    case "run":
      run(message.start, message.end, message.drainMs).then((report) => send({ t: "ran", report }), fatal);
      break;
    case "ping":
      ping(message.count).then((r) => send({ t: "pinged", latency: r.latency.toJSON(), failed: r.failed }), fatal);
      break;
    case "exit":
      exiting = true;
      process.exit(0);
  }
});
