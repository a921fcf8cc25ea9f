/**
 * @module bench/lib/machine
 * The description of the machine a run was measured on, printed with every result.
 */
import { readFileSync } from "node:fs";
import { cpus, release, totalmem, type as osType } from "node:os";

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  bun: string;
  node: string;
  maxOpenFiles: string;
  ephemeralPorts: string;
  gitCommit: string;
  date: string;
}

function run(cmd: string[]): string {
  try {
    const out = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "ignore" });
    return out.success ? out.stdout.toString().trim() : "";
  } catch {
    return "";
  }
}

function read(path: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return "";
  }
}

export function describeMachine(): Machine {
  const cpuinfo = read("/proc/cpuinfo");
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? "unknown";
  const commit = run(["git", "rev-parse", "--short", "HEAD"]);
  const dirty = run(["git", "status", "--porcelain", "--untracked-files=no"]) !== "";
  return {
    cpuModel: model.trim(),
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${osType()} ${release()}`,
    bun: Bun.version,
    node: run(["node", "--version"]) || "not installed",
    maxOpenFiles: run(["sh", "-c", "ulimit -n"]),
    ephemeralPorts: read("/proc/sys/net/ipv4/ip_local_port_range").replace(/\s+/, "-"),
    gitCommit: commit ? `${commit}${dirty ? " (with uncommitted changes)" : ""}` : "unknown",
    date: new Date().toISOString(),
  };
}

/** One line for a report header. */
export function machineLine(m: Machine): string {
  return `${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.kernel}, Bun ${m.bun}, Node ${m.node}, ulimit -n ${m.maxOpenFiles}, commit ${m.gitCommit}, ${m.date}`;
}
