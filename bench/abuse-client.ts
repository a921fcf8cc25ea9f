/**
 * @module bench/abuse-client
 * A client process of the abuse scenario, started by bench/scenarios/abuse.ts (never by hand). It
 * receives an {@link AbuseClientJob} over IPC and plays one role:
 *
 * - **bystander**: one ordinary session that sends PING every `pingEveryMs` (open loop, whatever
 *   the answers do) and logs every round trip. PONGs come back in order on one connection, so each
 *   answers the oldest unanswered PING.
 * - **hostile**: one authenticated user running one attack from `start` to `end`, as fast as the
 *   server accepts it. Request/reply attacks keep `window` requests unanswered (each answer, REPLY
 *   or ERROR 429, lets the next one go); flood attacks (ACK, invalid frames: no reply, or no rate
 *   limit) write whenever the socket takes more. Frames are batched into WebSocket messages of at
 *   most 128 frames and `maxMessageBytes`. A session the server closes (4003 after too many 429s,
 *   4001 slow consumer, …) is replaced at once by a new one, which starts with a full rate-limit
 *   bucket: that is what a hostile client does, and the report counts the sessions it took.
 *
 * Every loop is bounded by time (the attack window, `maxPingMs`) and by count (`maxFrames`,
 * `maxReconnects`). Connections go to the loopback server the runner started, nowhere else.
 */
import type { AbuseClientJob, AttackPlan, FromAbuseClient, HostileReport, ToAbuseClient } from "./lib/abuse-ipc.ts";
import { sharedNow } from "./lib/clock.ts";
import { Histogram } from "./lib/histogram.ts";
import { mintToken } from "./lib/jwt.ts";
import { Cursor, Writer } from "./lib/msgpack-lite.ts";
import { Opcode, upgradeRequest, WsConn, type WsEvents } from "./lib/ws-client.ts";

/** Frame types used here (PROTOCOL.md §3). */
const T = { Ping: 0, Pong: 1, Hello: 2, Reply: 3, Error: 4, Disconnect: 5, Join: 10, Leave: 11, Direct: 13, History: 15, Ack: 19, Unread: 24 } as const;
const NAMES: Record<number, string> = { 10: "JOIN", 11: "LEAVE", 13: "DIRECT", 15: "HISTORY", 19: "ACK", 24: "UNREAD" };
const MAX_FRAMES_PER_MESSAGE = 128;
const CONNECT_TIMEOUT_MS = 10_000;
/** Setup requests (joins, epoch lookups) use rids from here, apart from the attack's. */
const SETUP_RID = 2 ** 40;
const PING = new Uint8Array([0x91, T.Ping]);

function send(message: FromAbuseClient): void {
  process.send?.(message);
}

function bump(counts: Record<string, number>, key: string, n = 1): void {
  counts[key] = (counts[key] ?? 0) + n;
}

/** A request waiting for its answer. */
interface Pending {
  type: number;
  sentAt: number;
  /** Room index (history, recover). */
  room: number;
  setup: boolean;
}

class Conn extends WsConn {
  hello = false;
  disconnectCode = 0;
  readonly pending = new Map<number, Pending>();
  /** Attack requests among `pending`. */
  inflight = 0;
  timer: ReturnType<typeof setTimeout> | undefined;
}

let job: AbuseClientJob;
let token = "";
const cursor = new Cursor();

function open(): Conn {
  const request = upgradeRequest(job.host, job.port, `/ws?token=${token}`, "Sec-WebSocket-Protocol: hubbub.v1.msgpack\r\n");
  const c = new Conn(events, request);
  c.timer = setTimeout(() => c.terminate(), CONNECT_TIMEOUT_MS);
  c.connect(job.host, job.port);
  return c;
}

/** Reads the keys of a result map that the hostile needs; skips the rest. */
function readResult(c: Cursor): { epoch?: string; head?: number; recovered?: boolean } {
  const out: { epoch?: string; head?: number; recovered?: boolean } = {};
  const b = c.peek();
  if (!((b >= 0x80 && b <= 0x8f) || b === 0xde || b === 0xdf)) {
    c.skip();
    return out;
  }
  for (let i = c.mapHeader(); i > 0; i--) {
    const key = c.str();
    if (key === "epoch") out.epoch = c.str();
    else if (key === "head") out.head = c.number();
    else if (key === "recovered") out.recovered = c.bool();
    else c.skip();
  }
  return out;
}

const events: WsEvents = {
  upgraded() {},
  message(wc, buf, start, end) {
    const c = wc as Conn;
    if (role) role.bytesIn += end - start;
    const cur = cursor.reset(buf, start, end);
    while (cur.pos < cur.end) {
      const n = cur.arrayHeader();
      const type = cur.number();
      let used = 1;
      switch (type) {
        case T.Hello:
          c.hello = true;
          clearTimeout(c.timer);
          role?.onHello(c);
          break;
        case T.Pong:
          role?.onPong(c);
          break;
        case T.Reply: {
          const rid = cur.number();
          used = 2;
          const p = c.pending.get(rid);
          const result = n > 2 && p && (p.type === T.History || p.type === T.Join) ? readResult(cur) : undefined;
          if (result) used = 3;
          role?.onAnswer(c, rid, undefined, result);
          break;
        }
        case T.Error: {
          const rid = cur.number();
          const code = cur.number();
          used = 3;
          role?.onAnswer(c, rid, code, undefined);
          break;
        }
        case T.Disconnect:
          c.disconnectCode = cur.number();
          used = 2;
          break;
      }
      for (let i = used; i < n; i++) cur.skip();
    }
    role?.afterRead(c);
  },
  closed(wc, reason) {
    const c = wc as Conn;
    clearTimeout(c.timer);
    const why = c.disconnectCode ? `disconnect ${c.disconnectCode}` : c.closeCode ? `close ${c.closeCode}` : reason;
    role?.onClosed(c, why);
  },
  drained(wc) {
    role?.onDrained(wc as Conn);
  },
};

interface Role {
  bytesIn: number;
  onHello(c: Conn): void;
  onPong(c: Conn): void;
  onAnswer(c: Conn, rid: number, code: number | undefined, result: ReturnType<typeof readResult> | undefined): void;
  afterRead(c: Conn): void;
  onClosed(c: Conn, why: string): void;
  onDrained(c: Conn): void;
}
let role: Role | undefined;

/** The bystander: PING every `pingEveryMs`, every round trip logged. */
class Bystander implements Role {
  bytesIn = 0;
  private conn: Conn | undefined;
  private readonly sentAt: number[] = [];
  private readonly rtt: number[] = [];
  /** Indexes of PINGs not answered yet, oldest first. */
  private readonly waiting: number[] = [];
  private head = 0;
  /** Skipped slots, and the PING each one waits behind (by that PING's index). */
  private readonly skipped: number[] = [];
  private readonly behind = new Map<number, number[]>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private stopAt = Infinity;
  private readonly dropped: Record<string, number> = {};

  start(): void {
    this.conn = open();
  }

  onHello(): void {
    this.stopAt = sharedNow() + job.maxPingMs;
    this.timer = setInterval(() => this.ping(), job.pingEveryMs);
    send({ t: "ready" });
  }

  private ping(): void {
    const c = this.conn;
    const now = sharedNow();
    if (!c || c.ended || now >= this.stopAt) return;
    const i = this.sentAt.length;
    this.sentAt.push(now);
    this.rtt.push(-1);
    if (this.waiting.length - this.head >= job.maxOutstandingPings) {
      const last = this.waiting[this.waiting.length - 1]!;
      this.skipped.push(i);
      const list = this.behind.get(last);
      if (list) list.push(i);
      else this.behind.set(last, [i]);
      return;
    }
    this.waiting.push(i);
    c.send(Opcode.Binary, PING);
  }

  onPong(): void {
    if (this.head >= this.waiting.length) return;
    const i = this.waiting[this.head++]!;
    const now = sharedNow();
    this.rtt[i] = now - this.sentAt[i]!;
    for (const j of this.behind.get(i) ?? []) this.rtt[j] = now - this.sentAt[j]!;
    this.behind.delete(i);
  }

  onAnswer(_c: Conn, _rid: number, code: number | undefined): void {
    if (code !== undefined) bump(this.dropped, `ERROR ${code}`);
  }
  afterRead(): void {}
  onDrained(): void {}

  onClosed(_c: Conn, why: string): void {
    bump(this.dropped, why);
  }

  /** True when the newest `count` answered PINGs were sent after `since` and answered within `ms`. */
  private calm(since: number, ms: number, count: number): boolean {
    let seen = 0;
    for (let i = this.sentAt.length - 1; i >= 0 && seen < count; i--) {
      if (this.sentAt[i]! < since) return false;
      const rtt = this.rtt[i]!;
      if (rtt < 0) continue; // still in flight (or skipped behind one that is)
      if (rtt > ms) return false;
      seen++;
    }
    return seen >= count;
  }

  /**
   * Waits (at most `maxWaitMs`) until every PING sent before `until` is answered and the server
   * answers quickly again, then `afterMs` more, and reports the log.
   */
  async report(until: number, maxWaitMs: number, afterMs: number, calmMs: number, calmCount: number): Promise<void> {
    const giveUp = sharedNow() + maxWaitMs;
    for (;;) {
      // PINGs are answered in order: when the oldest unanswered one is newer than `until`, all older ones are answered.
      const oldest = this.head < this.waiting.length ? this.sentAt[this.waiting[this.head]!]! : Infinity;
      if ((oldest >= until && this.calm(until, calmMs, calmCount)) || sharedNow() >= giveUp || this.conn?.ended) break;
      await Bun.sleep(10);
    }
    await Bun.sleep(afterMs);
    clearInterval(this.timer);
    send({ t: "pings", log: { sentAt: this.sentAt, rtt: this.rtt, skipped: this.skipped, stoppedAt: sharedNow(), dropped: this.dropped } });
  }
}

/** The hostile session: one attack, as fast as the server takes it, reconnecting when closed. */
class Hostile implements Role {
  bytesIn = 0;
  private conn: Conn | undefined;
  private readonly plan: AttackPlan;
  private readonly flood: boolean;
  private running = false;
  private start = Infinity;
  private end = -Infinity;
  private reconnects = 0;
  private rid = 0;
  private setupRid = SETUP_RID;
  private framesSent = 0;
  private ackOffset = 0;
  private nextRoom = 0;
  private nextUser = 0;
  private lastSelfAck = 0;
  /** Pace budget, requests (Infinity: unpaced). */
  private budget = Infinity;
  private budgetAt = 0;
  private readyAnnounced = false;
  /** Recovery: each room's epoch and head, learned once with HISTORY limit 1. */
  private readonly streams: ({ epoch: string; head: number } | undefined)[];
  /** Recovery: what each room does next (a room is in one JOIN → LEAVE cycle at a time). */
  private readonly todo: { type: number; room: number }[] = [];
  private setupLeft = 0;
  private readonly writer = new Writer(1024, 0);
  private framesInMessage = 0;
  private readonly payload: Uint8Array;
  private readonly report: HostileReport = {
    sent: {},
    served: {},
    errors: {},
    recovered: 0,
    sessions: 0,
    disconnects: {},
    connectFailures: {},
    answerTime: new Histogram().toJSON(),
    bytesIn: 0,
    lastAnswerAt: 0,
  };
  private readonly answerTime = new Histogram();

  constructor() {
    this.plan = job.attack!;
    this.flood = this.plan.name === "ack" || this.plan.name === "invalid";
    this.streams = this.plan.rooms.map(() => undefined);
    this.payload = new Writer(this.plan.dmBytes + 8).bin(new Uint8Array(this.plan.dmBytes).fill(0x61)).copy();
  }

  begin(): void {
    this.conn = open();
  }

  run(start: number, end: number): void {
    this.start = start;
    this.end = end;
    this.running = true;
    this.budgetAt = start;
    if (this.plan.pace > 0) {
      this.budget = 0;
      const pacer = setInterval(() => {
        const now = sharedNow();
        if (now >= this.end) return clearInterval(pacer);
        if (now < this.start) return;
        const cap = Math.max(this.plan.window, MAX_FRAMES_PER_MESSAGE);
        this.budget = Math.min(cap, this.budget + ((now - this.budgetAt) * this.plan.pace) / 1000);
        this.budgetAt = now;
        this.pump();
      }, 10);
    }
    const go = () => {
      // Timers may fire a little early on the shared clock: wait for the start itself.
      if (sharedNow() < start) return void setTimeout(go, Math.max(1, start - sharedNow()));
      if (this.conn?.ended) this.conn = open();
      else this.pump();
    };
    go();
  }

  private attacking(): boolean {
    const now = sharedNow();
    return this.running && now >= this.start && now < this.end && this.framesSent < this.plan.maxFrames;
  }

  onHello(c: Conn): void {
    if (c !== this.conn) return;
    this.report.sessions++;
    this.todo.length = 0;
    this.setupLeft = 0;
    const name = this.plan.name;
    if (name === "unread") {
      // UNREAD counts every joined room: join them all (setup requests, not counted as served).
      this.plan.rooms.forEach((room, i) => this.setup(c, T.Join, i, (w) => w.str(room)));
    } else if (name === "recover") {
      this.plan.rooms.forEach((room, i) => {
        if (!this.streams[i]) this.setup(c, T.History, i, (w) => w.str(room).nil().nil().uint(1));
        else this.todo.push({ type: T.Join, room: i });
      });
    }
    this.flushMessage(c);
    if (this.setupLeft === 0) this.prepared(c);
  }

  private setup(c: Conn, type: number, room: number, fields: (w: Writer) => void): void {
    const rid = ++this.setupRid;
    c.pending.set(rid, { type, sentAt: sharedNow(), room, setup: true });
    this.setupLeft++;
    this.frame(c, 2 + (type === T.History ? 4 : 1), type, rid, fields);
  }

  private prepared(c: Conn): void {
    if (!this.readyAnnounced) {
      this.readyAnnounced = true;
      send({ t: "ready" });
    }
    this.pump(c);
  }

  onPong(): void {}

  onAnswer(c: Conn, rid: number, code: number | undefined, result: ReturnType<typeof readResult> | undefined): void {
    const p = c.pending.get(rid);
    if (!p) {
      // Flood frames are not tracked one by one; their answers (ERRORs) are counted here.
      if (code !== undefined) bump(this.report.errors, String(code));
      return;
    }
    c.pending.delete(rid);
    if (p.setup) {
      if (p.type === T.History && result?.epoch !== undefined && result.head !== undefined) {
        this.streams[p.room] = { epoch: result.epoch, head: result.head };
        this.todo.push({ type: T.Join, room: p.room });
      }
      if (--this.setupLeft === 0) this.prepared(c);
      return;
    }
    c.inflight--;
    const now = sharedNow();
    this.answerTime.record(now - p.sentAt);
    this.report.lastAnswerAt = now;
    if (code === undefined) bump(this.report.served, NAMES[p.type] ?? String(p.type));
    else bump(this.report.errors, String(code));
    if (this.plan.name === "recover") {
      if (p.type === T.Join) {
        if (result?.recovered) this.report.recovered++;
        // Joined (or already in the room): leave it; refused (429, 503): try the join again.
        this.todo.push({ type: code === undefined || code === 400 ? T.Leave : T.Join, room: p.room });
      } else this.todo.push({ type: T.Join, room: p.room });
    }
  }

  afterRead(c: Conn): void {
    if (c !== this.conn || this.flood) return;
    // A client that behaves acknowledges its inbox (its own sent direct messages are in it), so a
    // reconnect does not replay them: one ACK of everything, at most every 200 ms. ACK is free.
    if (this.plan.name === "webhook" && this.running) {
      const now = sharedNow();
      if (now - this.lastSelfAck > 200) {
        this.lastSelfAck = now;
        this.frame(c, 2, T.Ack, undefined, (w) => w.uint(Number.MAX_SAFE_INTEGER));
        this.flushMessage(c);
      }
    }
    this.pump(c);
  }

  onDrained(c: Conn): void {
    if (this.flood) this.pump(c);
  }

  onClosed(c: Conn, why: string): void {
    if (c !== this.conn) return;
    const now = sharedNow();
    if (!c.hello) bump(this.report.connectFailures, c.refusedWith || why);
    else if (now < this.end) bump(this.report.disconnects, why);
    if (!this.readyAnnounced) {
      send({ t: "fatal", message: `hostile session closed before it was ready: ${c.refusedWith || why}` });
      return;
    }
    if (this.running && now < this.end && this.reconnects < this.plan.maxReconnects) {
      this.reconnects++;
      const delay = c.hello ? this.plan.reconnectDelayMs : Math.max(10, this.plan.reconnectDelayMs);
      setTimeout(() => {
        if (sharedNow() < this.end) this.conn = open();
      }, delay);
    }
  }

  /** Sends what the attack allows now: fills the window, or floods until the socket is full. */
  private pump(c = this.conn): void {
    if (!c || c !== this.conn || !c.hello || this.setupLeft > 0 || !this.attacking()) return;
    if (this.flood) return this.floodSome(c);
    const window = this.plan.window;
    while (c.inflight < window && this.budget >= 1 && this.attacking()) {
      if (!this.request(c)) break;
      this.budget--;
    }
    this.flushMessage(c);
  }

  /** One request of a request/reply attack; false when there is nothing to send now. */
  private request(c: Conn): boolean {
    const plan = this.plan;
    let type: number;
    let room = -1;
    let fields: (w: Writer) => void;
    let count = 2;
    switch (plan.name) {
      case "unread":
        type = T.Unread;
        fields = () => {};
        break;
      case "history": {
        type = T.History;
        room = this.nextRoom++ % plan.rooms.length;
        const name = plan.rooms[room]!;
        fields = (w) => w.str(name).nil().nil().uint(plan.historyLimit);
        count = 6;
        break;
      }
      case "recover": {
        const next = this.todo.shift();
        if (!next) return false;
        type = next.type;
        room = next.room;
        const name = plan.rooms[room]!;
        const stream = this.streams[room]!;
        if (type === T.Join) {
          const since = Math.max(0, stream.head - plan.recoverMessages);
          fields = (w) => w.str(name).arrayHeader(2).uint(since).str(stream.epoch);
          count = 4;
        } else {
          fields = (w) => w.str(name);
          count = 3;
        }
        break;
      }
      case "webhook": {
        type = T.Direct;
        const to = `offline-${this.nextUser++ % plan.dmUsers}`;
        fields = (w) => w.str(to).raw(this.payload);
        count = 4;
        break;
      }
      default:
        return false;
    }
    const rid = ++this.rid;
    c.pending.set(rid, { type, sentAt: sharedNow(), room, setup: false });
    c.inflight++;
    this.frame(c, count, type, rid, fields);
    bump(this.report.sent, NAMES[type] ?? String(type));
    return true;
  }

  /** ACK or invalid frames, 128 per WebSocket message, while the kernel takes them. */
  private floodSome(c: Conn): void {
    const invalid = this.plan.name === "invalid";
    let messages = 0;
    while (c.writable && this.budget >= 1 && this.attacking() && messages < 64) {
      const n = Math.min(MAX_FRAMES_PER_MESSAGE, this.plan.maxFrames - this.framesSent, Math.floor(Math.min(this.budget, 1e9)));
      for (let i = 0; i < n; i++) {
        // JOIN without a room: decodable, but not a valid frame (ERROR 400 with the rid, PROTOCOL.md §5.3).
        if (invalid) this.frame(c, 2, T.Join, ++this.rid, () => {});
        else this.frame(c, 2, T.Ack, undefined, (w) => w.uint(++this.ackOffset));
      }
      this.flushMessage(c);
      bump(this.report.sent, invalid ? "invalid" : "ACK", n);
      this.budget -= n;
      messages++;
    }
    // Let reads in between; continue at once while the socket takes more, else on `drained`.
    if (c.writable && this.budget >= 1 && this.attacking()) setImmediate(() => this.pump(c));
  }

  /** Appends one frame `[type, rid?, ...fields]` of `count` elements to the message being built. */
  private frame(c: Conn, count: number, type: number, rid: number | undefined, fields: (w: Writer) => void): void {
    const w = this.writer;
    const before = w.pos;
    w.arrayHeader(count).uint(type);
    if (rid !== undefined) w.uint(rid);
    fields(w);
    if (this.framesInMessage > 0 && w.pos - w.reserve > this.plan.maxMessageBytes) {
      // Too big with this frame: send the message without it, start the next one with it.
      const frame = w.buf.slice(before, w.pos);
      w.pos = before;
      this.flushMessage(c);
      w.raw(frame);
    }
    this.framesInMessage++;
    this.framesSent++;
    if (this.framesInMessage >= MAX_FRAMES_PER_MESSAGE) this.flushMessage(c);
  }

  private flushMessage(c: Conn): void {
    const w = this.writer;
    if (this.framesInMessage > 0) c.send(Opcode.Binary, w.buf, w.reserve, w.pos);
    w.reset();
    this.framesInMessage = 0;
  }

  finish(): HostileReport {
    this.running = false;
    this.report.answerTime = this.answerTime.toJSON();
    this.report.bytesIn = this.bytesIn;
    return this.report;
  }
}

process.on("message", (raw: unknown) => {
  const message = raw as ToAbuseClient;
  try {
    switch (message.t) {
      case "job": {
        job = message.job;
        token = mintToken(job.secret, { sub: job.user, exp: Math.floor(Date.now() / 1000) + 3600, rooms: job.tokenRooms });
        if (job.role === "bystander") {
          const b = new Bystander();
          role = b;
          b.start();
        } else {
          const h = new Hostile();
          role = h;
          h.begin();
        }
        break;
      }
      case "run":
        if (role instanceof Hostile) role.run(message.start, message.end);
        break;
      case "report":
        if (role instanceof Bystander) {
          role.report(message.until, message.maxWaitMs, message.afterMs, message.calmMs, message.calmCount).catch((err) => send({ t: "fatal", message: String(err) }));
        } else if (role instanceof Hostile) send({ t: "hostile", report: role.finish() });
        break;
      case "exit":
        process.exit(0);
    }
  } catch (err) {
    send({ t: "fatal", message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
