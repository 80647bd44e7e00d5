// Metrics read at scrape time from optional parts of the process: the store's write queue, the
// event bus, webhook deliveries. A source that fails leaves its series out of that scrape and is
// counted in parley_metrics_source_errors_total{source}; it never fails the scrape.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { BusStats } from '../bus/event-bus.js';

export type StoreQueueStats = { queued: number; spilled: number };
export type WebhookDeliveryStats = { pending: number; failed: number };

export type OptionalSources = {
  /** The store's write queue: writes waiting, and how many of them wait in the spill file. */
  storeQueue?: () => StoreQueueStats;
  bus?: () => BusStats;
  /** Webhook deliveries waiting for an attempt, and those that gave up (a store query). */
  webhooks?: () => Promise<WebhookDeliveryStats>;
};

/** A counter whose value lives elsewhere (a cumulative count kept by the source). */
function mirroredCounter(registry: Registry, name: string, help: string, read: () => number | undefined): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const value = read();
      this.reset();
      if (value !== undefined) this.inc(value);
    },
  });
}

export function registerSourceMetrics(registry: Registry, sources: OptionalSources): void {
  const { storeQueue, bus, webhooks } = sources;
  if (!storeQueue && !bus && !webhooks) return;
  const registers = [registry];
  const failed: string[] = [];
  /** The webhook read of the scrape in progress, so the failure count below can wait for it. */
  let webhookRead: Promise<unknown> = Promise.resolve();
  const read = <T>(source: string, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch {
      failed.push(source);
      return undefined;
    }
  };
  /** A gauge set from a source at scrape time; no sample at all when the source failed. */
  const sourceGauge = (name: string, help: string, source: string, get: () => number | undefined): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const value = read(source, get);
        if (value === undefined) this.remove();
        else this.set(value);
      },
    });
  };

  if (storeQueue) {
    sourceGauge('parley_store_write_queue_depth', 'Store writes waiting to be applied (in memory and in the spill file)', 'store_queue', () => storeQueue().queued);
    sourceGauge('parley_store_spilled_entries', 'Store writes waiting in the spill file because the in-memory queue is full', 'store_queue', () => storeQueue().spilled);
  }
  if (bus) {
    sourceGauge('parley_bus_queued', 'Event bus entries waiting to be written (Redis unreachable or slow; always 0 in memory)', 'bus', () => bus().queued);
    mirroredCounter(registry, 'parley_bus_published_total', 'Events published on the event bus', () => read('bus', bus)?.published);
    mirroredCounter(registry, 'parley_bus_dropped_total', 'Events the bus refused because its outgoing queue was full', () => read('bus', bus)?.dropped);
    mirroredCounter(registry, 'parley_bus_errors_total', 'Failed bus writes, failed reads and throwing subscribers', () => read('bus', bus)?.errors);
  }
  if (webhooks) {
    new Gauge({
      name: 'parley_webhook_deliveries',
      help: 'Webhook deliveries by status: pending (waiting for an attempt or a retry), failed (gave up)',
      labelNames: ['status'] as const,
      registers,
      collect() {
        this.reset();
        const pending = webhooks().then(
          (stats) => {
            this.set({ status: 'pending' }, stats.pending);
            this.set({ status: 'failed' }, stats.failed);
          },
          () => {
            failed.push('webhooks');
          },
        );
        webhookRead = pending;
        return pending;
      },
    });
  }
  // Registered last: prom-client collects in registration order, so this scrape's failures are in.
  new Counter({
    name: 'parley_metrics_source_errors_total',
    help: 'Failed reads of an optional metrics source (store_queue, bus, webhooks); each metric of a source reads it once per scrape',
    labelNames: ['source'] as const,
    registers,
    async collect() {
      await webhookRead;
      for (const source of failed.splice(0)) this.inc({ source });
    },
  });
}
