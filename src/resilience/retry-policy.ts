// When to try a provider again, and after how long. Pure arithmetic plus one abortable sleep on the
// injected clock, so the same rules run on a VirtualClock in tests and on the system clock live.
import type { Clock } from '../clock.js';
import { sleepUntil } from '../clock-sleep.js';
import { ProviderError } from '../providers/provider-error.js';
import { AbortedError } from '../providers/types.js';

export type RetryPolicy = {
  /** Attempts per provider, the first one included (1 = never retry). */
  maxAttempts: number;
  /** Delay before the first retry; doubled for each further retry. */
  baseDelayMs: number;
  /** Ceiling of the exponential delay (a vendor's retry-after is capped separately). */
  maxDelayMs: number;
  /** 0..1: the share of each delay that is randomised away, so many calls do not retry in lockstep. */
  jitter: number;
  /** A vendor's retry-after longer than this gives up on the provider instead. Default 30 s. */
  maxRetryAfterMs?: number;
};

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 4000, jitter: 0.5 };

export const DEFAULT_MAX_RETRY_AFTER_MS = 30_000;

/** Node/undici socket failures: the only errors that are not ProviderErrors and still worth a retry. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN',
  'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED',
]);

/**
 * Whether another attempt could help. A ProviderError answers by its kind (auth, quota and
 * bad_request never); anything else is a programming error unless it, or an error in its `cause`
 * chain, carries a socket error code.
 */
export function isRetryableFailure(error: unknown): boolean {
  if (error instanceof AbortedError) return false;
  if (error instanceof ProviderError) return error.retryable;
  return isNetworkError(error);
}

export function isNetworkError(error: unknown): boolean {
  let current: unknown = error;
  // A few levels are enough: fetch wraps the socket error once, SDKs at most once more.
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Milliseconds to wait before retry number `retryNumber` (1 = the first retry), or null when the
 * provider should not be tried again: attempts used up, an error retrying cannot fix, or a vendor
 * retry-after beyond `maxRetryAfterMs`.
 *
 * A rate-limit with retry-after waits exactly that long (the vendor knows best). Otherwise the
 * delay is `min(maxDelayMs, baseDelayMs * 2^(retryNumber-1))`, reduced by up to `jitter` of itself:
 * `raw * (1 - jitter * random())`, rounded to whole ms.
 */
export function backoffDelay(policy: RetryPolicy, retryNumber: number, random: () => number, error?: unknown): number | null {
  if (!Number.isInteger(retryNumber) || retryNumber < 1) throw new RangeError(`retryNumber must be an integer >= 1, got ${retryNumber}`);
  if (retryNumber >= policy.maxAttempts) return null;
  if (error !== undefined && !isRetryableFailure(error)) return null;
  if (error instanceof ProviderError && error.kind === 'rate_limited' && error.retryAfterMs !== undefined) {
    const cap = policy.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
    return error.retryAfterMs > cap ? null : Math.ceil(Math.max(0, error.retryAfterMs));
  }
  const raw = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retryNumber - 1));
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(raw * (1 - jitter * random()));
}

export function validateRetryPolicy(policy: RetryPolicy): void {
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) throw new RangeError(`retry.maxAttempts must be an integer >= 1, got ${policy.maxAttempts}`);
  if (!(policy.baseDelayMs >= 0)) throw new RangeError(`retry.baseDelayMs must be >= 0, got ${policy.baseDelayMs}`);
  if (!(policy.maxDelayMs >= policy.baseDelayMs)) throw new RangeError(`retry.maxDelayMs must be >= baseDelayMs, got ${policy.maxDelayMs}`);
  if (!(policy.jitter >= 0 && policy.jitter <= 1)) throw new RangeError(`retry.jitter must be within 0..1, got ${policy.jitter}`);
}

/** Waits `ms` on `clock`; rejects with AbortedError as soon as `signal` fires. */
export function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return sleepUntil(clock, clock.now() + ms, signal);
}

/** Short text for reports and logs: the error's kind and message. */
export function failureReason(error: unknown): string {
  if (error instanceof ProviderError) return `${error.kind}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * The ProviderError to carry forward for any failure. Unlike `asProviderError`, something that is
 * neither a ProviderError nor a socket error is not called `network` (it would look retryable):
 * it becomes `protocol` with code `unexpected_error`, and retry decisions use the original error.
 */
export function toProviderError(provider: string, error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isNetworkError(error)) return new ProviderError(provider, 'network', message, { cause: error });
  return new ProviderError(provider, 'protocol', message, { code: 'unexpected_error', cause: error });
}
