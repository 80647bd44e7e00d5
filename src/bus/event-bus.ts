// The live event bus: every call's timeline is appended to a stream of its own and to one global
// stream, so another process (or the web app, through an SSE/WebSocket endpoint) can follow a call
// live, replay it from any point, or share the work of consuming it in a group.
//
// Two implementations hold the same contract: MemoryEventBus (in-process, the default) and
// RedisEventBus (Redis Streams, when REDIS_URL is set). Payloads are JSON-encoded; the bus is
// generic over the payload so it carries TimelineEvents without knowing their shape.

/** A stream entry id, `<ms>-<seq>` as in Redis: ordered within one stream, never across streams. */
export type EntryId = string;

/** 'live': only what is published from now on; '0': everything retained; an id: what came after it. */
export type FromId = 'live' | '0' | EntryId;

/** Which stream: one call's, or the global one that holds every call's entries. */
export type StreamSelector = { callId: string } | { global: true };

export type BusEntry<T> = {
  id: EntryId;
  callId: string;
  payload: T;
};

export type ConsumerGroup = {
  name: string;
  consumer: string;
  /** An entry delivered but not acknowledged for this long goes to the group again. Default 30 s. */
  visibilityTimeoutMs?: number;
  /**
   * Entries a member takes per read (Redis). Default 100; 1 spreads work evenly across members
   * whose handlers are slow. The memory bus always hands out one at a time, round robin.
   */
  batchSize?: number;
};

export type SubscribeOptions = StreamSelector & {
  /** Default 'live'. With a group, where the group starts when it is first created. */
  fromId?: FromId;
  group?: ConsumerGroup;
};

/** Acknowledges an entry delivered to a group member; a no-op outside groups. */
export type Ack = (id: EntryId) => Promise<void>;

/** Handlers run one entry at a time, in stream order; a throwing handler is counted, not fatal. */
export type BusHandler<T> = (entry: BusEntry<T>, ack: Ack) => void | Promise<void>;

export type Unsubscribe = () => Promise<void>;

export type BusStats = {
  published: number;
  /** Publishes refused because the outgoing queue was full (Redis down for too long). */
  dropped: number;
  /** Failed writes, failed reads and throwing handlers. */
  errors: number;
  /** Entries waiting to be written (always 0 in memory). */
  queued: number;
};

export interface EventBus<T> {
  /** Never blocks and never throws: the entry is queued; failures show in stats() and the log. */
  publish(callId: string, payload: T): void;
  /** Resolves once the subscription is in place: anything published after that reaches it. */
  subscribe(options: SubscribeOptions, handler: BusHandler<T>): Promise<Unsubscribe>;
  /** Entries after `fromId` ('0': all retained), oldest first, up to the moment of the call. */
  replay(stream: StreamSelector, fromId?: FromId): AsyncIterable<BusEntry<T>>;
  /** Entries delivered to a group and not yet acknowledged. */
  pending(stream: StreamSelector, group: string): Promise<number>;
  /** Removes entries older than `olderThanMs` from every stream; returns how many went. */
  trim(olderThanMs: number): Promise<number>;
  /** Resolves when everything published so far has been written (at once in memory). */
  flush(): Promise<void>;
  stats(): BusStats;
  close(): Promise<void>;
}

/** Minimal logger shape (pino's fits) so the bus does not depend on a logging library. */
export type BusLogger = {
  warn(obj: object, msg?: string): void;
};

export const DEFAULT_VISIBILITY_TIMEOUT_MS = 30_000;

export function parseEntryId(id: EntryId): { ms: number; seq: number } {
  const [ms, seq] = id.split('-');
  const parsed = { ms: Number(ms), seq: seq === undefined ? 0 : Number(seq) };
  if (!Number.isFinite(parsed.ms) || !Number.isFinite(parsed.seq)) throw new Error(`bad stream entry id: ${id}`);
  return parsed;
}

export function compareEntryIds(a: EntryId, b: EntryId): number {
  const x = parseEntryId(a);
  const y = parseEntryId(b);
  return x.ms !== y.ms ? x.ms - y.ms : x.seq - y.seq;
}

export function isGlobal(stream: StreamSelector): stream is { global: true } {
  return 'global' in stream && stream.global;
}
