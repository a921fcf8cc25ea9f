#!/usr/bin/env bun
/**
 * @module bench/chart
 * Draws the fan-out comparison as a self-contained SVG: delivered messages per second (linear) and
 * latency p50/p99/p999 (log scale) for Hubbub and each baseline. bench/run.ts calls it after every
 * `fanout`/`persisted` run (writing bench/results/<scenario>.svg); it also redraws from a saved result:
 *
 *   bun bench/chart.ts bench/results/fanout-<time>.json [out.svg]
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { TargetRun } from "./lib/load.ts";
import type { Machine } from "./lib/machine.ts";
import type { ScenarioResult } from "./scenarios/common.ts";

const COLORS: Record<string, string> = {
  hubbub: "#0f8b8d",
  "hubbub-persisted": "#3d5a80",
  raw: "#8d99ae",
  socketio: "#e07a5f",
};
const PERCENTILE_SHADES = [1, 0.65, 0.35];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function compact(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)} k`;
  return n.toFixed(0);
}

function msLabel(v: number): string {
  return v < 1 ? v.toFixed(2) : v < 10 ? v.toFixed(1) : v.toFixed(0);
}

/** The SVG for a fan-out (or persisted) result. */
export function renderChart(result: Pick<ScenarioResult, "scenario" | "options" | "runs">, machine: Machine): string {
  const runs = result.runs.filter((r): r is TargetRun & { run: NonNullable<TargetRun["run"]> } => r.run !== undefined);
  const W = 960;
  const rowH = 58;
  const top = 92;
  const H = top + runs.length * rowH + 56;
  const labelW = 170;
  const left = { x: 20 + labelW, w: 250 };
  const right = { x: 20 + labelW + left.w + 80, w: 330 };
  const o = result.options;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(
    `<text x="20" y="26" font-size="16" font-weight="600">Room fan-out: ${esc(`${o.rooms} room × ${o.members} members × ${o.publishers} publishers, ${o.window} in flight each`)}</text>`,
  );
  out.push(`<text x="20" y="46" fill="#555">${esc(`${machine.cpuModel}, ${machine.cores} cores, Bun ${machine.bun}, Node ${machine.node}, ${machine.kernel} — ${machine.date.slice(0, 10)}`)}</text>`);
  out.push(`<text x="${left.x}" y="${top - 14}" font-weight="600">Delivered messages/s (higher is better)</text>`);
  out.push(`<text x="${right.x}" y="${top - 14}" font-weight="600">Latency p50 · p99 · p999, ms, log scale (lower is better)</text>`);

  const maxRate = Math.max(1, ...runs.map((r) => r.run.deliveredPerSecond));
  const lat = runs.flatMap((r) => [r.run.latency.p50, r.run.latency.p999]).filter((v) => Number.isFinite(v) && v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...lat, 1)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...lat, 1) * 1.01));
  const lx = (v: number) => right.x + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * right.w;

  // Log-scale grid.
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    const x = lx(d);
    out.push(`<line x1="${x.toFixed(1)}" y1="${top - 4}" x2="${x.toFixed(1)}" y2="${top + runs.length * rowH}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${x.toFixed(1)}" y="${top + runs.length * rowH + 16}" text-anchor="middle" fill="#666">${msLabel(d)}</text>`);
  }
  runs.forEach((r, i) => {
    const y = top + i * rowH;
    const color = COLORS[r.target] ?? "#333";
    out.push(`<text x="20" y="${y + 24}" font-weight="600">${esc(r.label)}</text>`);
    out.push(`<text x="20" y="${y + 40}" fill="#666" font-size="11">server CPU ${r.server.cpuRunPercent.toFixed(0)}% · load ${r.load.cpuRunPercent.toFixed(0)}%</text>`);
    const bw = (r.run.deliveredPerSecond / maxRate) * left.w;
    out.push(`<rect x="${left.x}" y="${y + 10}" width="${bw.toFixed(1)}" height="28" fill="${color}" rx="2"/>`);
    out.push(`<text x="${(left.x + bw + 6).toFixed(1)}" y="${y + 29}">${compact(r.run.deliveredPerSecond)}</text>`);
    const ps = [r.run.latency.p50, r.run.latency.p99, r.run.latency.p999];
    ps.forEach((v, k) => {
      const by = y + 6 + k * 14;
      const x2 = lx(v);
      out.push(`<rect x="${right.x}" y="${by}" width="${Math.max(1, x2 - right.x).toFixed(1)}" height="11" fill="${color}" fill-opacity="${PERCENTILE_SHADES[k]}" rx="1"/>`);
      out.push(`<text x="${(x2 + 5).toFixed(1)}" y="${by + 10}" font-size="11">${["p50", "p99", "p999"][k]} ${msLabel(v)}</text>`);
    });
  });
  out.push(
    `<text x="20" y="${H - 14}" fill="#666" font-size="11">${esc(`Measured by bench/run.ts (${result.scenario}): ${Number(o.durationMs) / 1000} s window after ${Number(o.warmupMs) / 1000} s warm-up${Number(o.repeat) > 1 ? `, median of ${o.repeat} interleaved runs` : ""}; servers on loopback, load from ${o.workers} worker processes on the same machine.`)}</text>`,
  );
  out.push("</svg>");
  return out.join("\n") + "\n";
}

if (import.meta.main) {
  const [input, output] = process.argv.slice(2);
  if (!input) {
    process.stderr.write("usage: bun bench/chart.ts <results.json> [out.svg]\n");
    process.exit(2);
  }
  const data = JSON.parse(readFileSync(input, "utf8")) as ScenarioResult & { machine: Machine };
  const target = output ?? input.replace(/-[^/]*\.json$/, ".svg");
  writeFileSync(target, renderChart(data, data.machine));
  process.stderr.write(`wrote ${target}\n`);
}
