// The in-process event bus: the default when no Redis is configured. Same contract as the Redis
// one, so the server and the tests do not care which is behind it.
import {
  DEFAULT_VISIBILITY_TIMEOUT_MS,
  isGlobal,
  type BusEntry,
  type BusHandler,
  type BusLogger,
  type BusStats,
  type EventBus,
  type FromId,
  type StreamSelector,
  type SubscribeOptions,
  type Unsubscribe,
} from './event-bus.js';
import { MemoryGroup, MemoryStreamStore } from './memory-stream.js';
import { SerialDelivery } from './serial-delivery.js';

export type MemoryEventBusOptions<T> = {
  /** Share one store between instances to stand in for several processes on one Redis. */
  store?: MemoryStreamStore<T>;
  /** Oldest entries beyond this count are dropped from each stream. Default 10 000. */
  maxEntriesPerStream?: number;
  /** Entries older than this are trimmed on publish. Default: kept until trim(). */
  retentionMs?: number;
  logger?: BusLogger;
};

export function streamKey(stream: StreamSelector): string {
  return isGlobal(stream) ? 'calls' : `call:${stream.callId}`;
}

export class MemoryEventBus<T> implements EventBus<T> {
  private readonly store: MemoryStreamStore<T>;
  private readonly maxEntries: number;
  private readonly counters = { published: 0, dropped: 0, errors: 0 };
  private readonly subscriptions = new Set<Unsubscribe>();
  private closed = false;

  constructor(private readonly options: MemoryEventBusOptions<T> = {}) {
    this.store = options.store ?? new MemoryStreamStore<T>();
    this.maxEntries = options.maxEntriesPerStream ?? 10_000;
  }

  publish(callId: string, payload: T): void {
    if (this.closed) {
      this.counters.dropped++;
      return;
    }
    // Encoding here keeps the memory bus as strict as Redis: what cannot be JSON cannot be sent,
    // and subscribers get their own copy, never the publisher's object.
    let encoded: string;
    try {
      encoded = JSON.stringify(payload);
    } catch (err) {
      this.fail(err, 'bus: payload is not JSON');
      return;
    }
    const now = Date.now();
    for (const key of [`call:${callId}`, 'calls']) {
      const stream = this.store.stream(key);
      stream.append(callId, JSON.parse(encoded) as T, this.maxEntries, now);
      for (const group of stream.groups.values()) group.dispatch(stream, now);
      if (this.options.retentionMs !== undefined) stream.trimBefore(now - this.options.retentionMs);
    }
    this.counters.published++;
  }

  async subscribe(options: SubscribeOptions, handler: BusHandler<T>): Promise<Unsubscribe> {
    const stream = this.store.stream(streamKey(options));
    const fromId = options.fromId ?? 'live';
    const onError = (err: unknown): void => this.fail(err, 'bus: handler failed');
    let stop: () => void;
    let delivery: SerialDelivery<T>;

    if (options.group) {
      const { name, consumer } = options.group;
      const timeoutMs = options.group.visibilityTimeoutMs ?? DEFAULT_VISIBILITY_TIMEOUT_MS;
      let group = stream.groups.get(name);
      if (!group) {
        group = new MemoryGroup<T>(fromId === 'live' ? stream.lastId() : fromId);
        stream.groups.set(name, group);
      }
      const joined = group;
      delivery = new SerialDelivery<T>(handler, async (id) => joined.ack(id), onError);
      const leave = group.join({ consumer, delivery });
      const timer = setInterval(() => joined.redeliver(stream, Date.now(), timeoutMs), Math.max(5, Math.min(1000, timeoutMs / 4)));
      timer.unref();
      group.dispatch(stream, Date.now());
      stop = () => {
        clearInterval(timer);
        leave();
      };
    } else {
      delivery = new SerialDelivery<T>(handler, async () => {}, onError);
      // Backlog and live registration in one tick: nothing between them is missed or doubled.
      if (fromId !== 'live') for (const entry of stream.after(fromId)) delivery.push(entry);
      const listener = (entry: BusEntry<T>): void => delivery.push(entry);
      stream.listeners.add(listener);
      stop = () => stream.listeners.delete(listener);
    }

    const unsubscribe: Unsubscribe = async () => {
      if (!this.subscriptions.delete(unsubscribe)) return;
      stop();
      await delivery.stop();
    };
    this.subscriptions.add(unsubscribe);
    return unsubscribe;
  }

  async *replay(stream: StreamSelector, fromId: FromId = '0'): AsyncIterable<BusEntry<T>> {
    if (fromId === 'live') return;
    yield* this.store.stream(streamKey(stream)).after(fromId);
  }

  async pending(stream: StreamSelector, group: string): Promise<number> {
    return this.store.stream(streamKey(stream)).groups.get(group)?.pending.size ?? 0;
  }

  async trim(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for (const stream of this.store.all()) removed += stream.trimBefore(cutoff);
    return removed;
  }

  async flush(): Promise<void> {}

  stats(): BusStats {
    return { ...this.counters, queued: 0 };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((u) => u()));
  }

  private fail(err: unknown, msg: string): void {
    this.counters.errors++;
    this.options.logger?.warn({ err }, msg);
  }
}
