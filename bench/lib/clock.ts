/**
 * @module bench/lib/clock
 * A clock shared by every process of a run: milliseconds since the Unix epoch with sub-millisecond
 * resolution. `performance.now()` is monotonic but starts at each process's own origin (and Bun's
 * `process.hrtime` too), so each process lines it up with the wall clock once, at the moment
 * `Date.now()` ticks to the next millisecond; readings taken in different processes then agree to a
 * few microseconds. Latencies are differences of this clock between the sender's and the
 * receiver's process.
 */

function calibrate(): number {
  const start = Date.now();
  let perf = performance.now();
  let wall = Date.now();
  // Spin (at most ~1 ms) until the wall clock ticks; that instant is known to within one iteration.
  while (wall === start) {
    perf = performance.now();
    wall = Date.now();
  }
  return wall - perf;
}

const offset = calibrate();

/** Now on the shared clock, ms since the Unix epoch (fractional). */
export function sharedNow(): number {
  return offset + performance.now();
}
