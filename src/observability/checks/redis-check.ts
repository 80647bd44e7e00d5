// Readiness of Redis: PING on a connection of the check's own (from a URL) or on a client the
// caller already holds. A connection that is down answers at once with its last error instead of
// queueing the PING until the timeout.
import { Redis } from 'ioredis';
import { describeError, type ReadinessCheck } from '../readiness.js';

export type RedisCheckOptions = { name?: string };

export function redisCheck(target: string | Redis, options: RedisCheckOptions = {}): ReadinessCheck {
  const owned = typeof target === 'string';
  const redis =
    typeof target === 'string'
      ? new Redis(target, {
          lazyConnect: true,
          maxRetriesPerRequest: 1,
          connectTimeout: 2000,
          retryStrategy: (times) => Math.min(200 * times, 2000),
        })
      : target;
  let lastError: string | null = null;
  const onError = (err: unknown): void => {
    lastError = describeError(err);
  };
  const onReady = (): void => {
    lastError = null;
  };
  redis.on('error', onError);
  redis.on('ready', onReady);
  const withLastError = (reason: string): string => (lastError && lastError !== reason ? `${reason} (last error: ${lastError})` : reason);
  return {
    name: options.name ?? 'redis',
    async check() {
      try {
        if (owned && redis.status === 'wait') await redis.connect();
        if (redis.status !== 'ready') {
          return { ok: false, reason: withLastError(`redis ${redis.status}`) };
        }
        const pong = await redis.ping();
        return pong === 'PONG' ? { ok: true } : { ok: false, reason: `unexpected reply to PING: ${pong}` };
      } catch (err) {
        return { ok: false, reason: withLastError(describeError(err)) };
      }
    },
    close() {
      redis.off('error', onError);
      redis.off('ready', onReady);
      if (owned) redis.disconnect();
    },
  };
}
