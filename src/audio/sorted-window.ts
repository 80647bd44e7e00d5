// The last `capacity` numbers in arrival order, also kept sorted, so a quantile of the window costs
// one lookup instead of a sort per sample (the jitter buffer asks for one on every RTP packet).

export class SortedWindow {
  private readonly fifo: number[] = [];
  private readonly sorted: number[] = [];

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`window capacity must be a positive integer, got ${capacity}`);
  }

  get length(): number {
    return this.fifo.length;
  }

  push(value: number): void {
    this.fifo.push(value);
    this.sorted.splice(lowerBound(this.sorted, value), 0, value);
    if (this.fifo.length > this.capacity) {
      const old = this.fifo.shift()!;
      this.sorted.splice(lowerBound(this.sorted, old), 1);
    }
  }

  clear(): void {
    this.fifo.length = 0;
    this.sorted.length = 0;
  }

  min(): number {
    return this.sorted.length ? this.sorted[0] : Number.NaN;
  }

  /** The value at quantile `q` (0..1), nearest rank below: sorted[floor(n * q)], clamped. */
  quantile(q: number): number {
    const n = this.sorted.length;
    if (n === 0) return Number.NaN;
    return this.sorted[Math.min(n - 1, Math.floor(n * q))];
  }
}

function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
