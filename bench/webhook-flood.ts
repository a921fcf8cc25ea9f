/**
 * @module bench/webhook-flood
 * One question: how much memory does the webhook queue take when the receiver is down or hanging
 * and one user floods offline users with large direct messages? (Security review, issue 10 item 4.)
 *
 * Starts `src/main.ts serve` of this checkout as its own process (SQLite file in a temp dir, so
 * stored messages live on disk and not in the heap), a webhook receiver in this process that
 * either hangs every request (`--receiver hang`) or is a closed port (`--receiver down`) — or no
 * webhooks at all (`--receiver none`, the baseline) — and
 * `--sessions` WebSocket sessions of ONE user ("mallory"), each sending DIRECT messages with a
 * `--payload`-byte binary payload to never-connected users at the default rate limit (100 frames/s
 * per session, paced every 10 ms, so none is refused). Every second it samples the server's RSS
 * (/proc/<pid>/status VmRSS) and `GET /api/stats` (webhook counters; `queuedBytes` where the build
 * has it). Prints one JSON object per sample on stderr and a summary on stdout.
 *
 * After `--seconds` of load it keeps sampling for `--settle` more seconds without sending, while
 * the server works through what it has already received.
 *
 *   bun bench/webhook-flood.ts [--seconds 20] [--settle 10] [--sessions 10] [--payload 60000] [--receiver hang|down|none]
 *                              [--payload-bytes N]   (sets HUBBUB_WEBHOOK_PAYLOAD_BYTES)
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMsgpackCodec, FrameType, SUBPROTOCOL_MSGPACK, type Frame } from "../proto/index.ts";
import { mintToken } from "./lib/jwt.ts";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1] ?? "");
const seconds = Number(args.get("seconds") ?? 20);
const sessions = Number(args.get("sessions") ?? 10);
const payloadSize = Number(args.get("payload") ?? 60_000);
const receiverMode = args.get("receiver") ?? "hang";
const payloadBytesSetting = args.get("payload-bytes");
const settle = Number(args.get("settle") ?? 10);

/** Frames per second per session: the default `ratePerSecond`. */
const RATE = 100;
const SECRET = "flood-jwt-secret-0123456789abcdef";
const API_KEY = "flood-api-key-0123456789";
const root = join(import.meta.dir, "..");

// The receiver: hangs forever, or a port with nothing listening.
let receiverUrl: string;
let receiver: ReturnType<typeof Bun.serve> | undefined;
if (receiverMode === "hang") {
  receiver = Bun.serve({ port: 0, hostname: "127.0.0.1", idleTimeout: 0, fetch: () => new Promise<Response>(() => {}) });
  receiverUrl = `http://127.0.0.1:${receiver.port}/hook`;
} else if (receiverMode === "none") {
  receiverUrl = "";
} else {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  receiverUrl = `http://127.0.0.1:${probe.port}/hook`;
  probe.stop(true);
}

const dataDir = mkdtempSync(join(tmpdir(), "hubbub-flood-"));
const env: Record<string, string> = {
  ...(process.env as Record<string, string>),
  HUBBUB_JWT_SECRET: SECRET,
  HUBBUB_HOST: "127.0.0.1",
  HUBBUB_PORT: "0",
  HUBBUB_DATA_PATH: join(dataDir, "hubbub.db"),
  HUBBUB_API_KEYS: API_KEY,
  HUBBUB_WEBHOOK_URL: receiverUrl,
  HUBBUB_WEBHOOK_SECRET: receiverUrl ? "flood-webhook-secret-0123456789" : "",
  HUBBUB_LOG_LEVEL: "error",
};
if (payloadBytesSetting !== undefined) env.HUBBUB_WEBHOOK_PAYLOAD_BYTES = payloadBytesSetting;
const server = Bun.spawn(["bun", join(root, "src/main.ts"), "serve"], { env, stdout: "pipe", stderr: "inherit" });
const baseUrl = await (async () => {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of server.stdout) {
    text += decoder.decode(chunk);
    const match = /listening on (http:\/\/[^\s]+)/.exec(text);
    if (match) return match[1]!;
  }
  throw new Error(`server exited: ${text}`);
})();

function rssBytes(): number {
  const status = readFileSync(`/proc/${server.pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

async function webhookStats(): Promise<Record<string, number>> {
  const res = await fetch(`${baseUrl}/api/stats`, { headers: { authorization: `Bearer ${API_KEY}` } });
  const body = (await res.json()) as { webhooks: Record<string, number> | null };
  return body.webhooks ?? {};
}

interface Sample {
  t: number;
  /** ms since the load started */
  elapsedMs: number;
  rss: number;
  webhooks: Record<string, number>;
  sent: number;
  receivedBytes: number;
}

const samples: Sample[] = [];
let sent = 0;
let receivedBytes = 0;
const closes = new Map<string, number>();
let loadStarted = performance.now();
/** Reads RSS on schedule; the stats request may be slow when the server is swamped (it is not awaited). */
const sample = (t: number): Promise<void> => {
  const s: Sample = { t, elapsedMs: Math.round(performance.now() - loadStarted), rss: rssBytes(), webhooks: {}, sent, receivedBytes };
  samples.push(s);
  return webhookStats().then((w) => {
    s.webhooks = w;
    console.error(JSON.stringify(s));
  });
};
const statsPending: Promise<void>[] = [];
await sample(0);

loadStarted = performance.now();
const wsUrl = baseUrl.replace(/^http/, "ws") + "/ws";
const token = mintToken(SECRET, { sub: "mallory", exp: Math.floor(Date.now() / 1000) + 3600 });
const payload = new Uint8Array(payloadSize).fill(0x61);
const sockets: WebSocket[] = [];
for (let i = 0; i < sessions; i++) {
  const codec = createMsgpackCodec({ accept: "server" });
  const ws = new WebSocket(`${wsUrl}?token=${token}`, [SUBPROTOCOL_MSGPACK]);
  ws.binaryType = "arraybuffer";
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error("websocket error")), { once: true });
  });
  // Not decoded: the sender's sessions get an echo of every DM, and decoding them would make this
  // client the bottleneck (and a slow consumer).
  ws.addEventListener("message", (event) => {
    receivedBytes += (event.data as ArrayBuffer).byteLength;
  });
  let rid = 0;
  let victim = 0;
  const sessionStart = performance.now();
  // Paced to the default rate limit (100 frames/s per session) so no frame is refused.
  const timer = setInterval(() => {
    if (ws.readyState !== WebSocket.OPEN) return;
    const due = Math.floor(((performance.now() - sessionStart) / 1000) * RATE);
    while (rid < due) {
      ws.send(codec.encode({ type: FrameType.Direct, rid: ++rid, user: `offline-${i}-${victim++ % 1000}`, payload } as unknown as Frame));
      sent++;
    }
  }, 10);
  sockets.push(ws);
  ws.addEventListener("close", (event) => {
    clearInterval(timer);
    const key = `${event.code} ${event.reason}`;
    closes.set(key, (closes.get(key) ?? 0) + 1);
  });
  (ws as unknown as { timer: ReturnType<typeof setInterval> }).timer = timer;
}

const started = performance.now();
for (let s = 1; s <= seconds + settle; s++) {
  await Bun.sleep(Math.max(0, started + s * 1000 - performance.now()));
  statsPending.push(sample(s));
  if (s === seconds) {
    // Load over: the sessions stay open (reading their echoes) while the server catches up.
    for (const ws of sockets) clearInterval((ws as unknown as { timer: ReturnType<typeof setInterval> }).timer);
  }
}
await Promise.race([Promise.all(statsPending), Bun.sleep(30_000)]);
const closedDuringLoad = Object.fromEntries(closes);
for (const ws of sockets) {
  clearInterval((ws as unknown as { timer: ReturnType<typeof setInterval> }).timer);
  ws.close();
}
server.kill("SIGKILL");
await server.exited;
receiver?.stop(true);
rmSync(dataDir, { recursive: true, force: true });

const peak = (f: (s: Sample) => number) => Math.max(...samples.map(f));
const last = samples[samples.length - 1]!;
console.log(
  JSON.stringify(
    {
      receiver: receiverMode,
      seconds,
      settle,
      sessions,
      payload: payloadSize,
      webhookPayloadBytes: payloadBytesSetting ?? "(default)",
      rssStartMB: +(samples[0]!.rss / 2 ** 20).toFixed(1),
      rssPeakMB: +(peak((s) => s.rss) / 2 ** 20).toFixed(1),
      rssEndMB: +(last.rss / 2 ** 20).toFixed(1),
      pendingPeak: peak((s) => s.webhooks.pending ?? 0),
      queuedBytesPeak: samples.some((s) => "queuedBytes" in s.webhooks) ? peak((s) => s.webhooks.queuedBytes ?? 0) : "n/a (not in this build)",
      webhooksEnd: last.webhooks,
      directSent: last.sent,
      receivedMB: +(last.receivedBytes / 2 ** 20).toFixed(1),
      closedDuringLoad,
    },
    null,
    2,
  ),
);
