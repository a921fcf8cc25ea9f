/**
 * @module client/pacer
 * A client-side mirror of the server's per-session token bucket (PROTOCOL.md §6.3), so that a burst
 * of queued requests resent after a reconnect is spread out instead of answered with ERROR 429.
 */

/** A token bucket: `burst` frames at once, refilled at `perSecond`. */
export class Pacer {
  #tokens = 0;
  #capacity = 1;
  #rate = 1;
  #at = 0;

  /**
   * Starts a fresh bucket for a new session with the server's `rateBurst` and `ratePerSecond`,
   * kept a little under them (a few frames of burst, 10 % of the rate) so clock and network jitter
   * never push the server's bucket empty.
   */
  reset(burst: number, perSecond: number, now = Date.now()): void {
    this.#capacity = Math.max(1, Math.floor(burst) - 2);
    this.#rate = Math.max(0.1, perSecond * 0.9);
    this.#tokens = this.#capacity;
    this.#at = now;
  }

  /** Takes one token; returns 0 when it was available, else the ms to wait for one. */
  take(now = Date.now()): number {
    this.#refill(now);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.#tokens) * 1000) / this.#rate));
  }

  #refill(now: number): void {
    const elapsed = now - this.#at;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.#capacity, this.#tokens + (elapsed * this.#rate) / 1000);
      this.#at = now;
    }
  }
}
