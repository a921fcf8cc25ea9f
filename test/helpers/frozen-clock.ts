/**
 * Freezes `Date.now()` (and `new Date()`) for the whole test process with bun:test's
 * `setSystemTime`, so code that reads the wall clock (the node's sweep: heartbeats and token expiry;
 * the SDK's heartbeat) sees time move only when the test moves it. Timers still fire in real time
 * and read the frozen clock: a busy machine can delay them, but it can no longer make time pass
 * between two steps of a test.
 *
 * The in-process server and its clients share the clock. Waits inside a frozen test must not use
 * `Date.now()` for their deadlines: use {@link eventually}.
 */
import { setSystemTime } from "bun:test";

export interface FrozenClock extends Disposable {
  /** The frozen time, ms since the Unix epoch. */
  now(): number;
  /** Moves the clock forward by `ms` and returns the new time. */
  advance(ms: number): number;
}

/** Freezes the clock at `start` (now by default) until disposed. */
export function freezeClock(start = Date.now()): FrozenClock {
  let time = start;
  setSystemTime(new Date(time));
  return {
    now: () => time,
    advance(ms: number): number {
      time += ms;
      setSystemTime(new Date(time));
      return time;
    },
    [Symbol.dispose]() {
      setSystemTime();
    },
  };
}

/** Polls `check` until it holds; the deadline runs on `performance.now()`, which freezing leaves alone. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

/**
 * Resolves once the node's periodic sweep (heartbeats, token expiry: `Node.sweep`, run by its own
 * timer) has run with a time of `time` or later: what that sweep would close is closed by then.
 */
export function sweptAt(node: { sweep(now: number): void }, time: number, timeoutMs = 5000): Promise<void> {
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  const sweep = node.sweep;
  const restore = () => Reflect.deleteProperty(node, "sweep");
  const timer = setTimeout(() => {
    restore();
    reject(new Error(`no sweep at ${time} or later within ${timeoutMs} ms`));
  }, timeoutMs);
  node.sweep = function (this: unknown, now: number) {
    sweep.call(this, now);
    if (now < time) return;
    restore();
    clearTimeout(timer);
    resolve();
  };
  return promise;
}
