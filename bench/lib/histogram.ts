/**
 * @module bench/lib/histogram
 * A log-bucketed latency histogram: constant memory, O(1) record, mergeable across processes.
 * Values are milliseconds; buckets are 1/64 of a power of two wide (about 1.1% relative error), from
 * 1 µs up; anything below 1 µs counts in the first bucket. Percentiles report the bucket's upper
 * edge, so they never understate a latency by more than that error. `min`, `max` and the mean are exact.
 */

const PER_OCTAVE = 64;
/** Buckets cover 1 µs .. 2^32 µs (over an hour). */
const BUCKETS = 32 * PER_OCTAVE + 1;

/** Serializable form of a {@link Histogram} (sparse `[bucket, count]` pairs). */
export interface HistogramData {
  buckets: [number, number][];
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** Percentiles reported by the bench, ms. */
export interface Percentiles {
  count: number;
  mean: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  sum = 0;
  min = Infinity;
  max = 0;

  /** Records one latency, ms. */
  record(ms: number): void {
    const us = ms * 1000;
    let i = us <= 1 ? 0 : Math.ceil(Math.log2(us) * PER_OCTAVE);
    if (i >= BUCKETS) i = BUCKETS - 1;
    this.counts[i]!++;
    this.count++;
    this.sum += ms;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
  }

  merge(data: HistogramData): void {
    for (const [i, n] of data.buckets) this.counts[i]! += n;
    this.count += data.count;
    this.sum += data.sum;
    if (data.count > 0) {
      this.min = Math.min(this.min, data.min);
      this.max = Math.max(this.max, data.max);
    }
  }

  /** The latency at quantile `q` (0..1), ms: the upper edge of the bucket that holds it, capped by `max`. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, 2 ** (i / PER_OCTAVE) / 1000));
    }
    return this.max;
  }

  percentiles(): Percentiles {
    return {
      count: this.count,
      mean: this.count ? this.sum / this.count : NaN,
      min: this.count ? this.min : NaN,
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p99: this.quantile(0.99),
      p999: this.quantile(0.999),
      max: this.count ? this.max : NaN,
    };
  }

  toJSON(): HistogramData {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]! > 0) buckets.push([i, this.counts[i]!]);
    return { buckets, count: this.count, sum: this.sum, min: this.min, max: this.max };
  }

  static from(data: HistogramData): Histogram {
    const h = new Histogram();
    h.merge(data);
    return h;
  }
}
