// What the process knows about each provider's health: one circuit breaker per provider, shared by
// every call, and counters for /health and metrics. Observers subscribe with onChange; this module
// knows nothing of Prometheus.
import type { Clock } from '../clock.js';
import { CircuitBreaker, DEFAULT_BREAKER_OPTIONS, type CircuitBreakerOptions, type CircuitSnapshot, type CircuitState } from './circuit-breaker.js';
import type { ProviderKind } from './resilience-events.js';

export type ProviderHealthOptions = {
  clock: Clock;
  /** Breaker settings for every provider (defaults: 5 failures, 30 s open, 60 s window). */
  breaker?: Partial<CircuitBreakerOptions>;
  /** Per-provider overrides, merged over `breaker`. */
  breakerFor?: (kind: ProviderKind, provider: string) => Partial<CircuitBreakerOptions> | undefined;
};

export type ProviderHealthEntry = {
  kind: ProviderKind;
  provider: string;
  circuit: CircuitSnapshot;
  /** Attempts that reached the provider (circuit permitted). */
  requests: number;
  failures: number;
  /** Attempts skipped because the circuit was open. */
  rejected: number;
  retries: number;
  /** Times a chain moved away from this provider to the next. */
  fallbacks: number;
  lastError: string | null;
  /** Clock ms of the last failure. */
  lastErrorAt: number | null;
  /** Time to the first chunk (LLM token, TTS audio) or to a proven-healthy STT stream. */
  lastLatencyMs: number | null;
};

export type ProviderHealthSnapshot = { providers: ProviderHealthEntry[] };

export type ProviderHealthChange = {
  what: 'request' | 'success' | 'failure' | 'rejected' | 'retry' | 'fallback' | 'state';
  /** For `state`: the circuit state entered. */
  state?: CircuitState;
  entry: ProviderHealthEntry;
};

/**
 * One attempt at a provider, from `ProviderHealth.begin`. `firstChunk` records the latency; then
 * exactly one of `succeed`, `fail`, `release` settles it (later calls are ignored).
 */
export interface ProviderAttempt {
  readonly probe: boolean;
  firstChunk(): void;
  succeed(): void;
  fail(error: unknown): void;
  /** Ended without a verdict on the provider (the caller aborted). */
  release(): void;
}

type Counters = Omit<ProviderHealthEntry, 'kind' | 'provider' | 'circuit'>;

type ProviderRecord = { kind: ProviderKind; provider: string; breaker: CircuitBreaker; counters: Counters };

/**
 * Providers are keyed by kind and name together: one vendor name can serve two kinds (Deepgram
 * STT and Deepgram Aura TTS, or the simulated engines) whose outages are independent.
 */
export class ProviderHealth {
  private readonly records = new Map<string, ProviderRecord>();
  private readonly listeners = new Set<(change: ProviderHealthChange) => void>();

  constructor(private readonly options: ProviderHealthOptions) {}

  breaker(kind: ProviderKind, provider: string): CircuitBreaker {
    return this.record(kind, provider).breaker;
  }

  /** Starts an attempt, or returns null (counted as `rejected`) when the provider's circuit is open. */
  begin(kind: ProviderKind, provider: string): ProviderAttempt | null {
    const record = this.record(kind, provider);
    const permit = record.breaker.acquire();
    if (!permit) {
      record.counters.rejected++;
      this.notify(record, 'rejected');
      return null;
    }
    record.counters.requests++;
    this.notify(record, 'request');
    const startedAt = this.options.clock.now();
    let latencyTaken = false;
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      fn();
    };
    return {
      probe: permit.probe,
      firstChunk: () => {
        if (latencyTaken || settled) return;
        latencyTaken = true;
        record.counters.lastLatencyMs = this.options.clock.now() - startedAt;
      },
      succeed: () =>
        settle(() => {
          permit.success();
          this.notify(record, 'success');
        }),
      fail: (error) =>
        settle(() => {
          permit.failure(error);
          this.noteFailure(record, error);
        }),
      release: () => settle(() => permit.release()),
    };
  }

  /** A failure outside an attempt: a stream that was healthy and then dropped. */
  recordFailure(kind: ProviderKind, provider: string, error: unknown): void {
    const record = this.record(kind, provider);
    record.breaker.recordFailure(error);
    this.noteFailure(record, error);
  }

  recordRetry(kind: ProviderKind, provider: string): void {
    const record = this.record(kind, provider);
    record.counters.retries++;
    this.notify(record, 'retry');
  }

  recordFallback(kind: ProviderKind, from: string): void {
    const record = this.record(kind, from);
    record.counters.fallbacks++;
    this.notify(record, 'fallback');
  }

  /** Plain JSON for /health, providers in the order they were first used. */
  snapshot(): ProviderHealthSnapshot {
    return { providers: [...this.records.values()].map((record) => this.entry(record)) };
  }

  /** Calls `listener` on every change; returns the unsubscribe function. */
  onChange(listener: (change: ProviderHealthChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private noteFailure(record: ProviderRecord, error: unknown): void {
    record.counters.failures++;
    record.counters.lastError = error instanceof Error ? error.message : String(error);
    record.counters.lastErrorAt = this.options.clock.now();
    this.notify(record, 'failure');
  }

  private record(kind: ProviderKind, provider: string): ProviderRecord {
    const key = `${kind}\u0000${provider}`;
    let record = this.records.get(key);
    if (!record) {
      const settings = { ...DEFAULT_BREAKER_OPTIONS, ...this.options.breaker, ...this.options.breakerFor?.(kind, provider) };
      const created: ProviderRecord = {
        kind,
        provider,
        counters: { requests: 0, failures: 0, rejected: 0, retries: 0, fallbacks: 0, lastError: null, lastErrorAt: null, lastLatencyMs: null },
        breaker: new CircuitBreaker(this.options.clock, settings, (state) => this.notify(created, 'state', state)),
      };
      record = created;
      this.records.set(key, record);
    }
    return record;
  }

  private entry(record: ProviderRecord): ProviderHealthEntry {
    return { kind: record.kind, provider: record.provider, circuit: record.breaker.snapshot(), ...record.counters };
  }

  private notify(record: ProviderRecord, what: ProviderHealthChange['what'], state?: CircuitState): void {
    if (this.listeners.size === 0) return;
    const change: ProviderHealthChange = { what, entry: this.entry(record), ...(state ? { state } : {}) };
    for (const listener of this.listeners) {
      // An observer (metrics) must never break a call; its own bug shows in its own output.
      try {
        listener(change);
      } catch {
        /* ignored on purpose */
      }
    }
  }
}
