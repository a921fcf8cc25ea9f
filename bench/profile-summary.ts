#!/usr/bin/env bun
/**
 * @module bench/profile-summary
 * Summarizes a `.cpuprofile` written by `bun run bench <scenario> --profile` by sample counts
 * (not by the time deltas between samples, which charge idle gaps to whatever ran last): the
 * functions with the most self samples and the most inclusive samples, idle excluded.
 *
 *   bun bench/profile-summary.ts bench/results/profiles/<file>.cpuprofile [--top 25] [--from S --to S]
 *
 * `--from`/`--to` keep only samples taken between those seconds after the profile started.
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const file = process.argv[2];
if (!file || file.startsWith("--")) {
  process.stderr.write("usage: bun bench/profile-summary.ts <file.cpuprofile> [--top N] [--from S --to S]\n");
  process.exit(2);
}
const top = Number(flag("top") ?? 25);
const from = Number(flag("from") ?? 0) * 1e6;
const to = Number(flag("to") ?? Infinity) * 1e6;
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const label = (n: ProfileNode) => {
  const f = n.callFrame;
  const where = f.url ? `${f.url.replace(/^.*\/(src|proto|node_modules)\//, "$1/")}:${f.lineNumber + 1}` : "native";
  return `${f.functionName || "(anonymous)"} ${where}`;
};
const IDLE = new Set(["(idle)", "(root)"]);

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let t = 0;
let counted = 0;
let idle = 0;
profile.samples.forEach((id, i) => {
  t += profile.timeDeltas[i] ?? 0;
  if (t < from || t > to) return;
  const node = byId.get(id);
  if (!node) return;
  if (IDLE.has(node.callFrame.functionName)) {
    idle++;
    return;
  }
  counted++;
  self.set(label(node), (self.get(label(node)) ?? 0) + 1);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur)!;
    if (IDLE.has(n.callFrame.functionName)) continue;
    const l = label(n);
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + 1);
  }
});

const print = (title: string, map: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`);
  for (const [name, n] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((n / counted) * 100).toFixed(1).padStart(6)}%  ${String(n).padStart(6)}  ${name}\n`);
  }
};
process.stdout.write(`${file}: ${counted} busy samples, ${idle} idle (${(t / 1e6).toFixed(1)} s profiled)\n`);
print("Self samples (busy only)", self);
print("Inclusive samples (busy only)", inclusive);
