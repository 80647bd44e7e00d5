// Order statistics over one run's samples. Timings on a shared 2-core machine are noisy, so the
// bench reports medians and tail percentiles, never means alone.

export type Summary = { n: number; p50: number; p95: number; p99: number; min: number; max: number; mean: number };

/** Nearest-rank quantile (q in 0..1) of already sorted values; NaN when empty. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}

export function summarize(values: readonly number[]): Summary {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const n = sorted.length;
  const mean = n === 0 ? Number.NaN : sorted.reduce((s, v) => s + v, 0) / n;
  return {
    n,
    p50: quantileSorted(sorted, 0.5),
    p95: quantileSorted(sorted, 0.95),
    p99: quantileSorted(sorted, 0.99),
    min: n === 0 ? Number.NaN : sorted[0],
    max: n === 0 ? Number.NaN : sorted[n - 1],
    mean,
  };
}

export function median(values: readonly number[]): number {
  return summarize(values).p50;
}

/** Rounds for printing and JSON: 2 decimals below 10, 1 below 1000, else whole numbers. */
export function round(v: number): number {
  if (!Number.isFinite(v)) return v;
  const a = Math.abs(v);
  const f = a < 10 ? 100 : a < 1000 ? 10 : 1;
  return Math.round(v * f) / f;
}

export function roundSummary(s: Summary): Summary {
  return { n: s.n, p50: round(s.p50), p95: round(s.p95), p99: round(s.p99), min: round(s.min), max: round(s.max), mean: round(s.mean) };
}

/**
 * A fixed-bucket histogram for high-rate samples (frame send lateness): constant memory, O(1)
 * per sample, quantiles to 0.1 ms below 100 ms.
 */
export class LatenessHistogram {
  private static readonly BUCKET_MS = 0.1;
  private static readonly BUCKETS = 1000;
  private readonly counts = new Uint32Array(LatenessHistogram.BUCKETS + 1);
  private total = 0;
  private maxMs = 0;

  record(ms: number): void {
    const v = ms > 0 ? ms : 0;
    const idx = Math.min(LatenessHistogram.BUCKETS, Math.floor(v / LatenessHistogram.BUCKET_MS));
    this.counts[idx]++;
    this.total++;
    if (v > this.maxMs) this.maxMs = v;
  }

  get samples(): number {
    return this.total;
  }

  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.ceil(q * this.total);
    let seen = 0;
    for (let i = 0; i <= LatenessHistogram.BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return i === LatenessHistogram.BUCKETS ? this.maxMs : (i + 1) * LatenessHistogram.BUCKET_MS;
    }
    return this.maxMs;
  }

  get max(): number {
    return this.maxMs;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.maxMs = 0;
  }
}
