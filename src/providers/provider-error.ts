// The one error type adapters throw (or report) for provider failures. Resilience wrappers decide
// what to do from `kind` alone: retry, back off, trip the breaker, or fall back.

export type ProviderErrorKind =
  /** 401/403: wrong or missing key. Never retried. */
  | 'auth'
  /** 429 or a vendor "too many requests"; `retryAfterMs` when the vendor said how long. */
  | 'rate_limited'
  /** Quota or payment exhausted (402, insufficient_quota). Not retried. */
  | 'quota'
  /** 5xx or a vendor-side failure. */
  | 'server'
  /** No answer (or no first byte/token) in time. */
  | 'timeout'
  /** Connection refused, reset or dropped. */
  | 'network'
  /** The vendor sent something that does not follow its own protocol (garbage, wrong audio format). */
  | 'protocol'
  /** 4xx other than the above: our request was wrong. Not retried. */
  | 'bad_request';

const RETRYABLE: ReadonlySet<ProviderErrorKind> = new Set(['rate_limited', 'server', 'timeout', 'network', 'protocol']);

export type ProviderErrorOptions = {
  status?: number;
  retryAfterMs?: number;
  /** Vendor error code, e.g. `invalid_api_key`, `NET-0001`. */
  code?: string;
  cause?: unknown;
};

export class ProviderError extends Error {
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly code?: string;

  constructor(
    /** Adapter name, e.g. `deepgram`. */
    readonly provider: string,
    readonly kind: ProviderErrorKind,
    message: string,
    options: ProviderErrorOptions = {},
  ) {
    super(`${provider}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProviderError';
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.code = options.code;
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.kind);
  }
}

/** Maps an HTTP status (at request time or on a WebSocket upgrade) to an error kind. */
export function kindForStatus(status: number): ProviderErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 402) return 'quota';
  if (status === 429) return 'rate_limited';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server';
  return 'bad_request';
}

/**
 * Reads `retry-after-ms` (ms) or `retry-after` (seconds or an HTTP date) from response headers.
 * Returns undefined when absent or unparsable; never negative.
 */
export function retryAfterFromHeaders(get: (name: string) => string | null | undefined, nowMs = Date.now()): number | undefined {
  const ms = get('retry-after-ms');
  if (ms) {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const after = get('retry-after');
  if (!after) return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(after);
  return Number.isFinite(date) ? Math.max(0, date - nowMs) : undefined;
}

/** Turns anything thrown into a ProviderError of `provider` (AbortedError must be checked first). */
export function asProviderError(provider: string, err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ProviderError(provider, 'network', message, { cause: err });
}
