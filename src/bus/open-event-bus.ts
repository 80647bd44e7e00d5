// Picks the bus for this process: Redis Streams when a Redis URL is configured, else in-process.
import type { BusLogger, EventBus } from './event-bus.js';
import { MemoryEventBus } from './memory-bus.js';
import { RedisEventBus } from './redis-bus.js';
import { MemorySessionStateStore, RedisSessionStateStore, type SessionStateStore } from './session-state-store.js';

export type BusConfig = {
  redisUrl?: string;
  prefix?: string;
  retentionMs?: number;
  maxQueued?: number;
};

export function openEventBus<T>(config: BusConfig, logger?: BusLogger): EventBus<T> {
  if (config.redisUrl) {
    return new RedisEventBus<T>({ url: config.redisUrl, prefix: config.prefix, retentionMs: config.retentionMs, maxQueued: config.maxQueued, logger });
  }
  return new MemoryEventBus<T>({ retentionMs: config.retentionMs, logger });
}

export function openSessionStateStore<S>(config: BusConfig): SessionStateStore<S> {
  return config.redisUrl ? new RedisSessionStateStore<S>({ url: config.redisUrl, prefix: config.prefix }) : new MemorySessionStateStore<S>();
}
