/**
 * @module bench/lib/report
 * Formatting of results: Markdown tables (printed, and pasted into bench/README.md as they are),
 * numbers, ratios, and pass/fail checks against the targets of issue 6.
 */
import type { Percentiles } from "./histogram.ts";

/** One target the bench checks, e.g. "fan-out ≥ 0.8× raw Bun". */
export interface Check {
  name: string;
  /** The measured value, formatted. */
  measured: string;
  /** The target, formatted. */
  target: string;
  pass: boolean;
}

export function check(name: string, value: number, op: ">=" | "<=", threshold: number, unit: (v: number) => string): Check {
  const pass = Number.isFinite(value) && (op === ">=" ? value >= threshold : value <= threshold);
  return { name, measured: unit(value), target: `${op === ">=" ? "≥" : "≤"} ${unit(threshold)}`, pass };
}

const int = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

export function count(n: number): string {
  return Number.isFinite(n) ? int.format(n) : "–";
}

export function ms(v: number): string {
  if (!Number.isFinite(v)) return "–";
  if (v < 1) return `${v.toFixed(2)} ms`;
  if (v < 10) return `${v.toFixed(1)} ms`;
  return `${v.toFixed(0)} ms`;
}

export function bytes(v: number): string {
  if (!Number.isFinite(v)) return "–";
  if (Math.abs(v) < 1024) return `${v.toFixed(0)} B`;
  if (Math.abs(v) < 2 ** 20) return `${(v / 1024).toFixed(2)} KiB`;
  if (Math.abs(v) < 2 ** 30) return `${(v / 2 ** 20).toFixed(0)} MiB`;
  return `${(v / 2 ** 30).toFixed(2)} GiB`;
}

export function percent(v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(0)}%` : "–";
}

export function ratio(v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(2)}×` : "–";
}

export function latencies(p: Percentiles): string {
  return `${ms(p.p50)} / ${ms(p.p99)} / ${ms(p.p999)}`;
}

/** `{reason: count}` as a short string, or "0". */
export function problems(...sources: Record<string, number>[]): string {
  const parts: string[] = [];
  for (const source of sources) for (const [k, v] of Object.entries(source)) parts.push(`${count(v)}× ${k}`);
  return parts.length ? parts.join("; ") : "0";
}

/** A Markdown table; numeric-looking columns are right-aligned. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const numeric = headers.map((_, i) => i > 0 && rows.every((r) => /^[-–\d.,]+( ?[%×a-zA-Z/]+)?( \/ .*)?$/.test(r[i] ?? "")));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (numeric[i] ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`;
  return [line(headers), rule, ...rows.map(line)].join("\n");
}

export function checksTable(checks: Check[]): string {
  return table(
    ["Target", "Measured", "Goal", "Result"],
    checks.map((c) => [c.name, c.measured, c.target, c.pass ? "PASS" : "FAIL"]),
  );
}
