// Session state that has to outlive the process holding the call (call resume after a restart or
// on another instance): a small JSON value per call, with a time to live.
import { Redis } from 'ioredis';
import { connectionOptions } from './redis-connection.js';

export interface SessionStateStore<S> {
  save(callId: string, state: S, ttlMs: number): Promise<void>;
  /** The saved state, or null when there is none or it has expired. */
  load(callId: string): Promise<S | null>;
  delete(callId: string): Promise<void>;
  close(): Promise<void>;
}

/** In-process store; pass one `entries` map to several instances to share it. */
export class MemorySessionStateStore<S> implements SessionStateStore<S> {
  constructor(private readonly entries = new Map<string, { json: string; expiresAt: number }>()) {}

  async save(callId: string, state: S, ttlMs: number): Promise<void> {
    this.entries.set(callId, { json: JSON.stringify(state), expiresAt: Date.now() + ttlMs });
  }

  async load(callId: string): Promise<S | null> {
    const e = this.entries.get(callId);
    if (!e) return null;
    if (Date.now() >= e.expiresAt) {
      this.entries.delete(callId);
      return null;
    }
    return JSON.parse(e.json) as S;
  }

  async delete(callId: string): Promise<void> {
    this.entries.delete(callId);
  }

  async close(): Promise<void> {}
}

/** `SET <prefix>session:<callId> <json> PX <ttl>`: Redis expires it, whoever wrote it. */
export class RedisSessionStateStore<S> implements SessionStateStore<S> {
  private readonly redis: Redis;

  constructor(options: { url: string; prefix?: string }, private readonly prefix = options.prefix ?? 'parley:') {
    this.redis = new Redis(options.url, connectionOptions());
    this.redis.on('error', () => {});
  }

  async save(callId: string, state: S, ttlMs: number): Promise<void> {
    await this.redis.set(this.key(callId), JSON.stringify(state), 'PX', Math.max(1, Math.round(ttlMs)));
  }

  async load(callId: string): Promise<S | null> {
    const json = await this.redis.get(this.key(callId));
    return json === null ? null : (JSON.parse(json) as S);
  }

  async delete(callId: string): Promise<void> {
    await this.redis.del(this.key(callId));
  }

  /** Waits for commands already sent (a last save on shutdown), then disconnects. */
  async close(): Promise<void> {
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  private key(callId: string): string {
    return `${this.prefix}session:${callId}`;
  }
}
