// The event bus on Redis Streams: one stream per call (`<prefix>call:<id>`) and one for all calls
// (`<prefix>calls`), so any process on the same Redis can follow, replay or share a call's events.
// Publishing goes through RedisPublisher (queued, ordered, exactly once across outages); every
// subscription reads on a connection of its own because XREAD/XREADGROUP BLOCK hold it.
import { Redis } from 'ioredis';
import {
  DEFAULT_VISIBILITY_TIMEOUT_MS,
  isGlobal,
  type Ack,
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
import { connectionOptions } from './redis-connection.js';
import { RedisPublisher } from './redis-publisher.js';
import { decodeAutoclaim, decodeEntries, decodeStreamRead } from './redis-replies.js';
import { SerialDelivery } from './serial-delivery.js';

export type RedisEventBusOptions = {
  url: string;
  /** Every key starts with this. Default 'parley:'. */
  prefix?: string;
  /** Entries older than this are trimmed as new ones are added (XADD MINID ~). Default 24 h. */
  retentionMs?: number;
  /** Publishes held while Redis is unreachable before new ones are dropped. Default 10 000. */
  maxQueued?: number;
  /** How long one blocking read waits; bounds how late redelivery and unsubscribe notice. Default 1 s. */
  blockMs?: number;
  logger?: BusLogger;
};

const READ_COUNT = 100;
const RETRY_READ_MS = 200;

export class RedisEventBus<T> implements EventBus<T> {
  private readonly redis: Redis;
  private readonly publisher: RedisPublisher;
  private readonly prefix: string;
  private readonly blockMs: number;
  private readonly subscriptions = new Set<Unsubscribe>();
  private readErrors = 0;

  constructor(private readonly options: RedisEventBusOptions) {
    this.prefix = options.prefix ?? 'parley:';
    this.blockMs = options.blockMs ?? 1000;
    this.redis = new Redis(options.url, connectionOptions());
    this.redis.on('error', () => {}); // surfaced through failed commands, counted there
    this.publisher = new RedisPublisher(this.redis, {
      prefix: this.prefix,
      maxQueued: options.maxQueued ?? 10_000,
      retentionMs: options.retentionMs ?? 24 * 3600_000,
      batchSize: 100,
      logger: options.logger,
    });
  }

  publish(callId: string, payload: T): void {
    let data: string;
    try {
      data = JSON.stringify(payload);
    } catch (err) {
      this.publisher.counters.errors++;
      this.options.logger?.warn({ err }, 'bus: payload is not JSON');
      return;
    }
    this.publisher.enqueue(callId, data);
  }

  async subscribe(options: SubscribeOptions, handler: BusHandler<T>): Promise<Unsubscribe> {
    const key = this.key(options);
    const fromId = options.fromId ?? 'live';
    const onError = (err: unknown): void => this.readFailed(err, 'bus: handler failed');
    const group = options.group;
    let ack: Ack = async () => {};
    let read: (conn: Redis) => Promise<BusEntry<T>[]>;

    if (group) {
      await this.createGroup(key, group.name, fromId);
      const idleMs = group.visibilityTimeoutMs ?? DEFAULT_VISIBILITY_TIMEOUT_MS;
      const count = group.batchSize ?? READ_COUNT;
      ack = async (id) => {
        await this.redis.call('XACK', key, group.name, id);
      };
      read = async (conn) => {
        // Entries another member took and never acknowledged come first, then new ones.
        const claimed = decodeAutoclaim<T>(await conn.call('XAUTOCLAIM', key, group.name, group.consumer, idleMs, '0-0', 'COUNT', count));
        if (claimed.length > 0) return claimed;
        const reply = await conn.call('XREADGROUP', 'GROUP', group.name, group.consumer, 'COUNT', count, 'BLOCK', this.blockMs, 'STREAMS', key, '>');
        return decodeStreamRead<T>(reply);
      };
    } else {
      let lastId = fromId === 'live' ? await this.lastId(key) : fromId === '0' ? '0-0' : fromId;
      read = async (conn) => {
        const entries = decodeStreamRead<T>(await conn.call('XREAD', 'COUNT', READ_COUNT, 'BLOCK', this.blockMs, 'STREAMS', key, lastId));
        if (entries.length > 0) lastId = entries[entries.length - 1].id;
        return entries;
      };
    }

    const conn = this.redis.duplicate();
    conn.on('error', () => {});
    const delivery = new SerialDelivery<T>(handler, ack, onError);
    let active = true;
    const loop = (async () => {
      while (active) {
        try {
          await delivery.deliverNow(await read(conn));
        } catch (err) {
          if (!active) break;
          this.readFailed(err, 'bus: read from redis failed; retrying');
          await new Promise((r) => setTimeout(r, RETRY_READ_MS));
        }
      }
    })();

    const unsubscribe: Unsubscribe = async () => {
      if (!this.subscriptions.delete(unsubscribe)) return;
      active = false;
      conn.disconnect(); // aborts the blocking read
      await delivery.stop();
      await loop;
    };
    this.subscriptions.add(unsubscribe);
    return unsubscribe;
  }

  async *replay(stream: StreamSelector, fromId: FromId = '0'): AsyncIterable<BusEntry<T>> {
    if (fromId === 'live') return;
    const key = this.key(stream);
    let start = fromId === '0' ? '-' : `(${fromId}`;
    for (;;) {
      const entries = decodeEntries<T>(await this.redis.call('XRANGE', key, start, '+', 'COUNT', 500));
      yield* entries;
      if (entries.length < 500) return;
      start = `(${entries[entries.length - 1].id}`;
    }
  }

  async pending(stream: StreamSelector, group: string): Promise<number> {
    try {
      const reply = await this.redis.call('XPENDING', this.key(stream), group);
      return Array.isArray(reply) ? Number(reply[0]) : 0;
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOGROUP')) return 0;
      throw err;
    }
  }

  async trim(olderThanMs: number): Promise<number> {
    const minId = `${Math.max(0, Date.now() - olderThanMs)}-0`;
    const keys = [`${this.prefix}calls`];
    let cursor = '0';
    do {
      const [next, found] = (await this.redis.scan(cursor, 'MATCH', `${this.prefix}call:*`, 'COUNT', 500)) as [string, string[]];
      keys.push(...found);
      cursor = next;
    } while (cursor !== '0');
    let removed = 0;
    for (const key of keys) removed += Number(await this.redis.call('XTRIM', key, 'MINID', minId));
    return removed;
  }

  /** Resent entries that had in fact landed before a connection died, skipped by Redis. */
  get duplicatesSkipped(): number {
    return this.publisher.counters.duplicates;
  }

  flush(): Promise<void> {
    return this.publisher.flush();
  }

  stats(): BusStats {
    const c = this.publisher.counters;
    return { published: c.published, dropped: c.dropped, errors: c.errors + this.readErrors, queued: this.publisher.queued };
  }

  /** Waits up to `drainMs` for queued publishes, then lets go of every connection. */
  async close(drainMs = 2000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.publisher.flush(), new Promise((r) => (timer = setTimeout(r, drainMs)))]);
    clearTimeout(timer);
    this.publisher.close();
    await Promise.all([...this.subscriptions].map((u) => u()));
    this.redis.disconnect();
  }

  private key(stream: StreamSelector): string {
    return isGlobal(stream) ? `${this.prefix}calls` : `${this.prefix}call:${stream.callId}`;
  }

  private async lastId(key: string): Promise<string> {
    const last = decodeEntries<T>(await this.redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1));
    return last.length > 0 ? last[0].id : '0-0';
  }

  private async createGroup(key: string, name: string, fromId: FromId): Promise<void> {
    const start = fromId === 'live' ? '$' : fromId === '0' ? '0' : fromId;
    try {
      await this.redis.call('XGROUP', 'CREATE', key, name, start, 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('BUSYGROUP'))) throw err;
    }
  }

  private readFailed(err: unknown, msg: string): void {
    this.readErrors++;
    this.options.logger?.warn({ err }, msg);
  }
}
