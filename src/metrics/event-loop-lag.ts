// Event-loop lag per scrape window: perf_hooks' delay histogram, read and reset on each scrape, so
// parley_event_loop_lag_seconds{stat} says how late timers ran since the previous scrape. The
// histogram holds the time between samples; the sampling interval is taken off to leave the lag.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export type LagWindow = { p50: number; p99: number; max: number; samples: number };

export class EventLoopLag {
  private readonly histogram: IntervalHistogram;
  private readonly resolutionNs: number;

  /** `resolutionMs`: how often the loop is sampled (default 10 ms). */
  constructor(resolutionMs = 10) {
    this.resolutionNs = resolutionMs * 1e6;
    this.histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    this.histogram.enable();
  }

  /** The lag since the last call, in seconds, then a fresh window; null when nothing was sampled. */
  takeWindow(): LagWindow | null {
    const h = this.histogram;
    const samples = h.count;
    const lag = (ns: number): number => Math.max(0, ns - this.resolutionNs) / 1e9;
    const window = samples > 0 ? { p50: lag(h.percentile(50)), p99: lag(h.percentile(99)), max: lag(h.max), samples } : null;
    h.reset();
    return window;
  }

  close(): void {
    this.histogram.disable();
  }
}
