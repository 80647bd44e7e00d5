// Readiness of the event bus: not ready while its outgoing queue is far above normal (Redis has
// been unreachable for a while) or when it dropped events since the previous check.
import type { BusStats } from '../../bus/event-bus.js';
import type { ReadinessCheck } from '../readiness.js';

export type BusCheckOptions = {
  name?: string;
  /** Queued entries at or above this are not ready. Default 1000 (the Redis bus holds 10 000). */
  maxQueued?: number;
};

export function busCheck(bus: { stats(): BusStats }, options: BusCheckOptions = {}): ReadinessCheck {
  const maxQueued = options.maxQueued ?? 1000;
  let droppedBefore = bus.stats().dropped;
  return {
    name: options.name ?? 'bus',
    async check() {
      const stats = bus.stats();
      const dropped = stats.dropped - droppedBefore;
      droppedBefore = stats.dropped;
      const problems: string[] = [];
      if (stats.queued >= maxQueued) problems.push(`${stats.queued} events waiting to be written (limit ${maxQueued})`);
      if (dropped > 0) problems.push(`${dropped} events dropped since the last check`);
      return problems.length > 0 ? { ok: false, reason: problems.join('; ') } : { ok: true };
    },
  };
}
