/**
 * Codec speed and size. Run: `bun bench/codec.ts` (not a test). Optional: `--rounds N`, `--ms N`.
 *
 * Question: how fast do `hubbub/proto` codecs encode and decode typical frames, compared with
 * JSON.stringify/JSON.parse of the same frame objects measured in the same run, and how large is
 * the bundled protocol module? Cases run interleaved for several rounds; the table shows the median
 * round per second of main-thread CPU time (what one core does, even when a noisy neighbour on a
 * shared machine takes the core now and then), the median per second of wall time, and the best
 * round. "vs JSON" compares CPU-time medians.
 */
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { decode as libDecode, encode as libEncode } from "@msgpack/msgpack";
import { createJsonCodec, createMsgpackCodec, FrameType, type Frame } from "../proto/index.ts";

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const ROUNDS = option("rounds", 7);
const ROUND_MS = option("ms", 150);

// A MESSAGE push whose payload, `{text}`, encodes to exactly 100 bytes of msgpack.
const TEXT = "Hello everyone! This is a typical chat message, long enough to be realistic; it is 92 chars.";
const message: Frame = {
  type: FrameType.Message,
  channel: "public:lobby",
  id: "01jd5x3k8m2q7w9zt4v6cb",
  offset: 123_456,
  time: 1_732_240_000_000,
  from: "alice",
  payload: { text: TEXT },
};
const join: Frame = { type: FrameType.Join, rid: 17, room: "public:lobby", since: { offset: 123_400, epoch: "e7k2" } };
const ack: Frame = { type: FrameType.Ack, offset: 4_711 };
const CASES: [string, Frame][] = [["MESSAGE (100 B payload)", message], ["JOIN", join], ["ACK", ack]];

const msgpack = createMsgpackCodec({ accept: "both" });
const json = createJsonCodec({ accept: "both" });

type Bench = { name: string; fn: () => unknown; wall: number[]; cpu: number[] };
let sink = 0;

/** Main-thread CPU time in ms: unlike wall time, it does not grow while another process holds the core. */
function cpuMs(): number {
  const usage = process.threadCpuUsage();
  return (usage.user + usage.system) / 1000;
}

/**
 * Operations per second of `fn` over about `ms` milliseconds (calls in batches of 1000 to amortise
 * the clocks), per second of wall time and per second of this thread's CPU time.
 */
function measure(fn: () => unknown, ms: number): { wall: number; cpu: number } {
  let ops = 0;
  const start = performance.now();
  const cpuStart = cpuMs();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 1000; i++) if (fn() === undefined) sink++;
    ops += 1000;
    now = performance.now();
  }
  const cpu = Math.max(cpuMs() - cpuStart, 1e-3);
  return { wall: (ops / (now - start)) * 1000, cpu: (ops / cpu) * 1000 };
}

function benches(frame: Frame): Bench[] {
  const packed = msgpack.encode(frame) as Uint8Array;
  const text = json.encode(frame) as string;
  const plain = JSON.stringify(frame);
  const wire = [frame.type, ...Object.values(frame).slice(1)];
  const lib = libEncode(wire);
  const list: [string, () => unknown][] = [
    ["hubbub msgpack encode", () => msgpack.encode(frame)],
    ["hubbub msgpack decode", () => msgpack.decode(packed)],
    ["hubbub msgpack encode+decode", () => msgpack.decode(msgpack.encode(frame))],
    ["hubbub JSON encode", () => json.encode(frame)],
    ["hubbub JSON decode", () => json.decode(text)],
    ["JSON.stringify (baseline)", () => JSON.stringify(frame)],
    ["JSON.parse (baseline)", () => JSON.parse(plain)],
    ["JSON.stringify+parse (baseline)", () => JSON.parse(JSON.stringify(frame))],
    ["@msgpack/msgpack encode (no validation)", () => libEncode(wire)],
    ["@msgpack/msgpack decode (no validation)", () => libDecode(lib)],
  ];
  return list.map(([name, fn]) => ({ name, fn, wall: [], cpu: [] }));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US").padStart(11);

async function bundleSize(external: string[]): Promise<{ minified: number; gzipped: number }> {
  const result = await Bun.build({ entrypoints: [new URL("../proto/index.ts", import.meta.url).pathname], minify: true, target: "browser", external });
  if (!result.success) throw new Error(result.logs.join("\n"));
  const bytes = new Uint8Array(await result.outputs[0]!.arrayBuffer());
  return { minified: bytes.byteLength, gzipped: Bun.gzipSync(bytes).byteLength };
}

const cpu = cpus();
console.log("# hubbub/proto codec benchmark");
console.log(`machine: ${cpu[0]?.model ?? "unknown CPU"} × ${cpu.length}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}`);
console.log(`runtime: Bun ${Bun.version} (${Bun.revision.slice(0, 9)}), single thread; ${ROUNDS} interleaved rounds of ${ROUND_MS} ms per case; load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
console.log(`frames: MESSAGE ${(msgpack.encode(message) as Uint8Array).byteLength} B msgpack / ${JSON.stringify(message).length} B JSON.stringify; JOIN ${(msgpack.encode(join) as Uint8Array).byteLength} B; ACK ${(msgpack.encode(ack) as Uint8Array).byteLength} B`);

// Warm up every case first, so that the JIT (whose compiler threads compete for the cores) has
// settled before anything is measured.
const prepared = CASES.map(([label, frame]) => [label, benches(frame)] as const);
for (let i = 0; i < 3; i++) for (const [, list] of prepared) for (const b of list) measure(b.fn, 100);

for (const [label, list] of prepared) {
  for (let r = 0; r < ROUNDS; r++) {
    for (const b of list) {
      const rate = measure(b.fn, ROUND_MS);
      b.wall.push(rate.wall);
      b.cpu.push(rate.cpu);
    }
  }
  const base = (name: string) => median(list.find((b) => b.name === name)!.cpu);
  console.log(`\n## ${label}`);
  console.log(`${"case".padEnd(42)} ${"op/s (CPU)".padStart(11)} ${"op/s (wall)".padStart(11)} ${"best (CPU)".padStart(11)}  vs JSON`);
  for (const b of list) {
    const m = median(b.cpu);
    const ref = b.name.includes("encode+decode") ? base("JSON.stringify+parse (baseline)") : b.name.includes("encode") ? base("JSON.stringify (baseline)") : b.name.includes("decode") ? base("JSON.parse (baseline)") : 0;
    const ratio = ref ? `${(m / ref).toFixed(2)}×` : "";
    console.log(`${b.name.padEnd(42)} ${fmt(m)} ${fmt(median(b.wall))} ${fmt(Math.max(...b.cpu))}  ${ratio}`);
  }
}

const alone = await bundleSize(["@msgpack/msgpack"]);
const bundled = await bundleSize([]);
console.log("\n## bundle of proto/index.ts (Bun.build, minify, target browser)");
console.log(`proto only (@msgpack/msgpack external): ${alone.minified} B minified, ${alone.gzipped} B gzipped`);
console.log(`with @msgpack/msgpack bundled:          ${bundled.minified} B minified, ${bundled.gzipped} B gzipped (${(bundled.gzipped / 1024).toFixed(1)} KiB; target ≤ 12 KiB)`);
if (sink < 0) console.log(sink);
