/**
 * @module bench/scenarios/common
 * What every scenario gets (options, run settings) and returns (a {@link ScenarioResult}).
 */
import type { TargetRun, RunOptions } from "../lib/load.ts";
import type { Check } from "../lib/report.ts";
import type { Target } from "../lib/servers.ts";

/** Command-line options (`--name value`) and the settings shared by every load. */
export interface Context {
  args: Record<string, string>;
  options: RunOptions;
}

export interface ScenarioResult {
  scenario: string;
  /** The one question this scenario answers. */
  question: string;
  /** Effective options, defaults filled in. */
  options: Record<string, number | string>;
  runs: TargetRun[];
  /** Rendered Markdown tables, in order. */
  tables: { title: string; markdown: string }[];
  /** Ratios of Hubbub's figures to the baselines', by name. */
  ratios: Record<string, number>;
  checks: Check[];
  notes: string[];
  /** Every run when targets were measured several times (`--repeat`); `runs` holds the medians. */
  allRuns?: TargetRun[];
  /** Measurements of a scenario that does not fit {@link TargetRun} (the abuse scenario's attacks), saved as they are. */
  details?: unknown;
}

/**
 * Measures every target `repeat` times, interleaved (a, b, c, a, b, c, …) so that a slow period of
 * a shared machine does not hit one target only, and keeps each target's median run by `key`.
 * A run during which other processes used more than `--max-other` percent of a core (default 25)
 * is measured again, up to `--retries` times (default 2); the least disturbed attempt is kept.
 */
export async function measureTargets(
  ctx: Context,
  targets: Target[],
  repeat: number,
  runOne: (target: Target) => Promise<TargetRun>,
  key: (run: TargetRun) => number,
  disturbance: (run: TargetRun) => number = (r) => r.otherCpuRunPercent,
): Promise<{ runs: TargetRun[]; allRuns: TargetRun[] }> {
  const maxOther = num(ctx, "max-other", 25);
  const retries = num(ctx, "retries", 2);
  const byTarget = new Map<string, TargetRun[]>(targets.map((t) => [t.name, []]));
  const allRuns: TargetRun[] = [];
  for (let i = 0; i < Math.max(1, repeat); i++) {
    for (const target of targets) {
      let best: TargetRun | undefined;
      for (let attempt = 0; attempt <= retries; attempt++) {
        const run = await runOne(target);
        if (!best || disturbance(run) < disturbance(best)) best = run;
        if (!(disturbance(run) > maxOther)) break;
        if (attempt < retries) {
          process.stderr.write(`[${target.name}] other processes used ${disturbance(run).toFixed(0)}% of a core during the run; measuring again\n`);
        }
      }
      byTarget.get(target.name)!.push(best!);
      allRuns.push(best!);
    }
  }
  const runs = targets.map((t) => {
    const list = [...byTarget.get(t.name)!].sort((a, b) => key(a) - key(b));
    return list[Math.floor((list.length - 1) / 2)]!;
  });
  return { runs, allRuns };
}

export function num(ctx: Context, name: string, fallback: number): number {
  const text = ctx.args[name];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name}: "${text}" is not a non-negative number`);
  return value;
}

export function str(ctx: Context, name: string, fallback: string): string {
  return ctx.args[name] ?? fallback;
}

/** Deals `n` items round-robin over `workers` lists; returns each item's (worker, index in worker). */
export function deal(n: number, workers: number): { worker: number; local: number }[] {
  const sizes = new Array<number>(workers).fill(0);
  return Array.from({ length: n }, (_, i) => {
    const worker = i % workers;
    return { worker, local: sizes[worker]!++ };
  });
}

/** The run of `target`, if it was measured. */
export function find(runs: TargetRun[], target: string): TargetRun | undefined {
  return runs.find((r) => r.target === target);
}

/** Token `rooms` claim used by every bench client. */
export const TOKEN_ROOMS = ["bench:*"];
