/**
 * @module node/rate
 * The rate limit's token buckets. One bucket per user, shared by all of the user's sessions on this
 * node and kept after the last one closes until it has refilled: reconnecting (or opening more
 * sessions) does not buy a fresh burst. A connect takes a token too, and a user whose bucket is
 * empty is refused at the handshake (HTTP 429).
 */

/** A token bucket: `burst` tokens, refilled at `rate` per second, that may go into debt down to `-10 × burst`. */
export class RateBucket {
  tokens: number;
  refilledAt: number;

  constructor(burst: number, now: number) {
    this.tokens = burst;
    this.refilledAt = now;
  }

  /** Adds what has refilled since the last call (up to `burst`). */
  refill(now: number, rate: number, burst: number): void {
    const elapsed = now - this.refilledAt;
    if (elapsed > 0) {
      this.tokens = Math.min(burst, this.tokens + (elapsed * rate) / 1000);
      this.refilledAt = now;
    }
  }

  /** Takes one token; false (nothing taken) when less than one is left. */
  take(now: number, rate: number, burst: number): boolean {
    this.refill(now, rate, burst);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Takes `cost` more tokens for work already done; the bucket may go into debt, down to `-10 × burst`. */
  charge(cost: number, burst: number): void {
    if (cost > 0) this.tokens = Math.max(-10 * burst, this.tokens - cost);
  }

  /** True once the bucket is full again at `now` (nothing would be lost by forgetting it). */
  full(now: number, rate: number, burst: number): boolean {
    return this.tokens + ((now - this.refilledAt) * rate) / 1000 >= burst;
  }
}

/** The buckets of this node's users, by user id. */
export class RateBuckets {
  private readonly buckets = new Map<string, RateBucket>();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {}

  /** The user's bucket, created full if the user has none. */
  of(user: string, now: number): RateBucket {
    let bucket = this.buckets.get(user);
    if (!bucket) this.buckets.set(user, (bucket = new RateBucket(this.burst, now)));
    return bucket;
  }

  /** True when the user has a bucket with less than one token (a connect would be refused). */
  empty(user: string, now: number): boolean {
    const bucket = this.buckets.get(user);
    if (!bucket) return false;
    bucket.refill(now, this.rate, this.burst);
    return bucket.tokens < 1;
  }

  /** Forgets the full buckets of users with no session here (`connected` says who has one). */
  sweep(now: number, connected: (user: string) => boolean): void {
    for (const [user, bucket] of this.buckets) {
      if (!connected(user) && bucket.full(now, this.rate, this.burst)) this.buckets.delete(user);
    }
  }

  get size(): number {
    return this.buckets.size;
  }
}
