// The two bus backends the same suite runs over. Each test file gets its own Redis key prefix
// and deletes its keys afterwards.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { EventBus } from '../../src/bus/event-bus.js';
import { MemoryEventBus } from '../../src/bus/memory-bus.js';
import { MemoryStreamStore } from '../../src/bus/memory-stream.js';
import { RedisEventBus } from '../../src/bus/redis-bus.js';
import { MemorySessionStateStore, RedisSessionStateStore, type SessionStateStore } from '../../src/bus/session-state-store.js';

export const REDIS_URL = 'redis://127.0.0.1:6379';

export type Payload = { callId: string; at: number; type: string; n: number };

export type Backend = {
  name: string;
  /** A bus on the shared backend: each call stands in for another process. */
  open(): EventBus<Payload>;
  openState(): SessionStateStore<{ turn: number; node: string }>;
  cleanup(): Promise<void>;
};

export function memoryBackend(): Backend {
  const store = new MemoryStreamStore<Payload>();
  const sessions = new Map<string, { json: string; expiresAt: number }>();
  return {
    name: 'memory',
    open: () => new MemoryEventBus<Payload>({ store }),
    openState: () => new MemorySessionStateStore(sessions),
    cleanup: async () => {},
  };
}

export function testPrefix(): string {
  return `parley-test:${randomUUID()}:`;
}

export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
}

export function redisBackend(): Backend {
  const prefix = testPrefix();
  return {
    name: 'redis',
    open: () => new RedisEventBus<Payload>({ url: REDIS_URL, prefix, blockMs: 50 }),
    openState: () => new RedisSessionStateStore({ url: REDIS_URL, prefix }),
    cleanup: () => deleteKeys(prefix),
  };
}

/** Resolves when `check` holds; fails with `what` if it does not within `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
