// Connection settings shared by every Redis client the bus and the session state store open.
import type { RedisOptions } from 'ioredis';

export function connectionOptions(): RedisOptions {
  return {
    // The reply shapes the bus decodes are RESP2's; pinned so a client default cannot change them.
    protocol: 2,
    // Commands wait through a short outage, then fail so the publisher and readers retry on their
    // own terms (the publisher's queue is bounded; ioredis's offline queue is not).
    maxRetriesPerRequest: 2,
    retryStrategy: (times) => Math.min(50 * times, 1000),
  };
}
