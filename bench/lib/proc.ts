/**
 * @module bench/lib/proc
 * CPU time and resident memory of a process, read from /proc (Linux only).
 */
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat times (`getconf CLK_TCK`; 100 on every Linux we run on). */
const CLK_TCK = 100;

export interface ProcSample {
  /** Shared-clock time of the sample, ms. */
  at: number;
  /** User + system CPU time so far, seconds. */
  cpuSeconds: number;
  /** Resident set size, bytes. */
  rssBytes: number;
  threads: number;
}

/** One sample of `pid`, or undefined when the process is gone. */
export function sampleProc(pid: number, at: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start at field 3 (state).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const threads = Number(fields[17]);
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return { at, cpuSeconds: (utime + stime) / CLK_TCK, rssBytes: match ? Number(match[1]) * 1024 : 0, threads };
  } catch {
    return undefined;
  }
}

/** CPU use between two samples, percent of one core. */
export function cpuPercent(a: ProcSample | undefined, b: ProcSample | undefined): number {
  if (!a || !b || b.at <= a.at) return NaN;
  return ((b.cpuSeconds - a.cpuSeconds) / ((b.at - a.at) / 1000)) * 100;
}

/** Busy CPU time of the whole machine so far (all cores; idle and iowait excluded), seconds. */
export function machineBusySeconds(): number {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!;
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLK_TCK;
  } catch {
    return NaN;
  }
}
