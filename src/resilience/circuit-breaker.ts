// A circuit breaker for one provider, shared by every call, so a provider that keeps failing is
// skipped at once instead of costing each call its own timeouts. No timers: the open → half_open
// step happens lazily when the state is next looked at, on the injected clock.
import type { Clock } from '../clock.js';

export type CircuitState = 'closed' | 'open' | 'half_open';

export type CircuitBreakerOptions = {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit rejects before letting one probe through. */
  openMs: number;
  /**
   * Optional rolling window: a failure more than this long after the previous one starts the
   * count again, so a few failures spread over hours never open the circuit.
   */
  failureWindowMs?: number;
};

export const DEFAULT_BREAKER_OPTIONS: CircuitBreakerOptions = { failureThreshold: 5, openMs: 30_000, failureWindowMs: 60_000 };

export type CircuitSnapshot = {
  state: CircuitState;
  consecutiveFailures: number;
  /** Clock ms when the circuit last opened; null while it has never opened since the last close. */
  openedAt: number | null;
  lastError: string | null;
};

/**
 * Leave to make one request. Exactly one of `success`, `failure` or `release` settles it (later
 * calls are ignored); `release` is for requests that ended without telling anything about the
 * provider (the caller aborted), and frees a half-open probe slot without a verdict.
 */
export interface CircuitPermit {
  /** True when this request is the single half-open probe whose result decides the state. */
  readonly probe: boolean;
  success(): void;
  failure(error: unknown): void;
  release(): void;
}

export class CircuitBreaker {
  private current: CircuitState = 'closed';
  private failures = 0;
  private lastFailureAt: number | null = null;
  private openedAt: number | null = null;
  private lastError: string | null = null;
  private probeOut = false;

  constructor(
    private readonly clock: Clock,
    private readonly options: CircuitBreakerOptions = DEFAULT_BREAKER_OPTIONS,
    private readonly onStateChange?: (state: CircuitState, previous: CircuitState) => void,
  ) {
    if (!Number.isInteger(options.failureThreshold) || options.failureThreshold < 1) {
      throw new RangeError(`failureThreshold must be an integer >= 1, got ${options.failureThreshold}`);
    }
    if (!(options.openMs >= 0)) throw new RangeError(`openMs must be >= 0, got ${options.openMs}`);
    if (options.failureWindowMs !== undefined && !(options.failureWindowMs > 0)) {
      throw new RangeError(`failureWindowMs must be > 0, got ${options.failureWindowMs}`);
    }
  }

  get state(): CircuitState {
    this.refresh();
    return this.current;
  }

  /** A permit when a request may go to the provider now, null when it must be skipped. */
  acquire(): CircuitPermit | null {
    this.refresh();
    if (this.current === 'closed') return this.permit(false);
    if (this.current === 'open' || this.probeOut) return null;
    this.probeOut = true;
    return this.permit(true);
  }

  /** A success outside a permit (e.g. a long-lived stream that proved healthy). */
  recordSuccess(): void {
    // Only a probe may close an open circuit: a late answer to a request started before the
    // circuit opened says little about the provider now.
    if (this.state === 'closed') this.failures = 0;
  }

  /** A failure outside a permit (e.g. a long-lived stream that dropped). Every kind counts, auth too. */
  recordFailure(error: unknown): void {
    const now = this.clock.now();
    this.lastError = messageOf(error);
    const state = this.state;
    if (state !== 'closed') {
      this.lastFailureAt = now;
      return;
    }
    const window = this.options.failureWindowMs;
    if (window !== undefined && this.lastFailureAt !== null && now - this.lastFailureAt > window) this.failures = 0;
    this.failures++;
    this.lastFailureAt = now;
    if (this.failures >= this.options.failureThreshold) this.open();
  }

  snapshot(): CircuitSnapshot {
    return { state: this.state, consecutiveFailures: this.failures, openedAt: this.openedAt, lastError: this.lastError };
  }

  private permit(probe: boolean): CircuitPermit {
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      fn();
    };
    return {
      probe,
      success: () =>
        settle(() => {
          if (!probe) return this.recordSuccess();
          this.probeOut = false;
          this.failures = 0;
          this.openedAt = null;
          this.transition('closed');
        }),
      failure: (error) =>
        settle(() => {
          if (!probe) return this.recordFailure(error);
          this.probeOut = false;
          this.lastError = messageOf(error);
          this.failures++;
          this.lastFailureAt = this.clock.now();
          this.open();
        }),
      release: () =>
        settle(() => {
          if (probe) this.probeOut = false;
        }),
    };
  }

  private open(): void {
    this.openedAt = this.clock.now();
    this.probeOut = false;
    this.transition('open');
  }

  private refresh(): void {
    if (this.current === 'open' && this.openedAt !== null && this.clock.now() >= this.openedAt + this.options.openMs) {
      this.transition('half_open');
    }
  }

  private transition(next: CircuitState): void {
    const previous = this.current;
    if (previous === next) return;
    this.current = next;
    this.onStateChange?.(next, previous);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
