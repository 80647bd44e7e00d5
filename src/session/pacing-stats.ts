// How late outbound agent frames leave compared with their 20 ms grid, across all calls of the
// process. Fixed-size histogram (0.1 ms buckets up to 100 ms): constant memory, O(1) per frame.

const BUCKET_MS = 0.1;
const BUCKETS = 1000;

export class PacingStats {
  private readonly counts = new Uint32Array(BUCKETS + 1);
  private total = 0;
  private maxMs = 0;

  record(latenessMs: number): void {
    const ms = Math.max(0, latenessMs);
    const idx = Math.min(BUCKETS, Math.floor(ms / BUCKET_MS));
    this.counts[idx]++;
    this.total++;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  get samples(): number {
    return this.total;
  }

  /** Lateness at quantile q (0..1) in ms, to bucket precision; 0 with no samples. */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i <= BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return i === BUCKETS ? this.maxMs : (i + 1) * BUCKET_MS;
    }
    return this.maxMs;
  }

  snapshot(): { samples: number; p50_ms: number; p95_ms: number; p99_ms: number; max_ms: number } {
    return { samples: this.total, p50_ms: this.quantile(0.5), p95_ms: this.quantile(0.95), p99_ms: this.quantile(0.99), max_ms: this.maxMs };
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.maxMs = 0;
  }
}
