// A fixed-window counter store for @fastify/rate-limit that reads the API's clock instead of
// Date.now, so limits can be tested on a controlled clock. Bounded: expired windows are swept
// once the map grows past a limit.
import type { FastifyRateLimitStoreCtor } from '@fastify/rate-limit';

type Window = { count: number; startMs: number; lengthMs: number };

const SWEEP_ABOVE = 10_000;

export function clockedRateLimitStore(now: () => Date): FastifyRateLimitStoreCtor {
  class ClockedRateLimitStore {
    private readonly windows = new Map<string, Window>();

    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      const at = now().getTime();
      let window = this.windows.get(key);
      if (!window || at >= window.startMs + window.lengthMs || at < window.startMs) {
        window = { count: 0, startMs: at, lengthMs: timeWindow };
        this.windows.set(key, window);
        if (this.windows.size > SWEEP_ABOVE) this.sweep(at);
      }
      window.count += 1;
      callback(null, { current: window.count, ttl: Math.max(0, window.startMs + window.lengthMs - at) });
    }

    child(): ClockedRateLimitStore {
      return new ClockedRateLimitStore();
    }

    private sweep(at: number): void {
      for (const [key, w] of this.windows) if (at >= w.startMs + w.lengthMs) this.windows.delete(key);
    }
  }
  return ClockedRateLimitStore as unknown as FastifyRateLimitStoreCtor;
}
