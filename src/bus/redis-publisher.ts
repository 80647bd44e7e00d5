// The write side of the Redis bus. publish() only enqueues; one pump writes the queue in order in
// pipelined batches. When Redis is unreachable the queue holds (up to a bound) and the pump
// resends from the first unwritten entry when it is back. A batch whose outcome is unknown (the
// connection died mid-reply) is simply sent again: a Lua script skips any entry whose per-producer
// sequence number Redis has already seen, so each entry lands exactly once, in order.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { BusLogger } from './event-bus.js';

// KEYS: call stream, global stream, producer high-water mark.
// ARGV: minid for age trimming, callId, JSON data, producer seq, mark ttl (ms).
const APPEND_ONCE = `
local seen = tonumber(redis.call('GET', KEYS[3]) or '-1')
local seq = tonumber(ARGV[4])
if seq <= seen then return 0 end
redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[5])
redis.call('XADD', KEYS[1], 'MINID', '~', ARGV[1], '*', 'callId', ARGV[2], 'data', ARGV[3])
redis.call('XADD', KEYS[2], 'MINID', '~', ARGV[1], '*', 'callId', ARGV[2], 'data', ARGV[3])
return 1
`;

type Outgoing = { seq: number; callId: string; data: string };

export type RedisPublisherOptions = {
  prefix: string;
  /** Entries held while Redis is slow or down; past this, publishes are dropped and counted. */
  maxQueued: number;
  retentionMs: number;
  batchSize: number;
  logger?: BusLogger;
};

export class RedisPublisher {
  private readonly queue: Outgoing[] = [];
  private readonly producerKey: string;
  private nextSeq = 0;
  private pumping = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  /** `duplicates`: resent entries Redis already had, skipped by the script. */
  readonly counters = { published: 0, dropped: 0, errors: 0, duplicates: 0 };

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisPublisherOptions,
  ) {
    this.producerKey = `${options.prefix}producer:${randomUUID()}`;
    redis.on('ready', () => this.kick());
  }

  get queued(): number {
    return this.queue.length;
  }

  enqueue(callId: string, data: string): void {
    if (this.closed || this.queue.length >= this.options.maxQueued) {
      this.counters.dropped++;
      return;
    }
    this.queue.push({ seq: this.nextSeq++, callId, data });
    this.kick();
  }

  /** Resolves when the queue is empty and nothing is in flight. */
  flush(): Promise<void> {
    if (this.queue.length === 0 && !this.pumping) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
  }

  private kick(): void {
    if (this.pumping || this.queue.length === 0 || this.closed) return;
    this.pumping = true;
    void this.pump();
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const batch = this.queue.slice(0, this.options.batchSize);
      const written = await this.write(batch);
      this.queue.splice(0, written);
      if (written < batch.length) {
        // Not all written: wait for the connection to come back ('ready' kicks) or retry soon.
        this.pumping = false;
        this.retryTimer = setTimeout(() => this.kick(), 250);
        this.retryTimer.unref();
        return;
      }
    }
    this.pumping = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Writes a batch; returns how many entries from its head are known written. */
  private async write(batch: Outgoing[]): Promise<number> {
    if (this.redis.status !== 'ready') return 0;
    const minId = `${Math.max(0, Date.now() - this.options.retentionMs)}-0`;
    const markTtl = String(Math.max(this.options.retentionMs, 60_000));
    const pipeline = this.redis.pipeline();
    for (const e of batch) {
      const keys = [`${this.options.prefix}call:${e.callId}`, `${this.options.prefix}calls`, this.producerKey];
      pipeline.call('EVAL', APPEND_ONCE, 3, ...keys, minId, e.callId, e.data, String(e.seq), markTtl);
    }
    let results: [Error | null, unknown][] | null;
    try {
      results = await pipeline.exec();
    } catch (err) {
      this.fail(err);
      return 0;
    }
    if (!results) return 0;
    let written = 0;
    let published = 0;
    for (const [err, reply] of results) {
      if (err && err.name === 'ReplyError') {
        // Redis refused this entry itself (e.g. a key of the wrong type): resending cannot help.
        this.fail(err);
        this.counters.dropped++;
      } else if (err) {
        this.fail(err);
        break;
      } else {
        published++;
        if (Number(reply) === 0) this.counters.duplicates++;
      }
      written++;
    }
    this.counters.published += published;
    return written;
  }

  private fail(err: unknown): void {
    this.counters.errors++;
    this.options.logger?.warn({ err }, 'bus: write to redis failed; will resend');
  }
}
