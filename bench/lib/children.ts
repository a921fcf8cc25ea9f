/**
 * @module bench/lib/children
 * Every process the bench starts is tracked here so that an interrupted or timed-out run still
 * stops them all (by pid, nothing else).
 */
import type { Subprocess } from "bun";

const live = new Set<Subprocess>();

export function track<T extends Subprocess>(proc: T): T {
  live.add(proc);
  void proc.exited.then(() => live.delete(proc));
  return proc;
}

/** SIGKILLs every tracked child still running. */
export function killAll(): void {
  for (const proc of live) {
    try {
      proc.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  live.clear();
}
