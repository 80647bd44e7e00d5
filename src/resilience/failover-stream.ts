// The retry / circuit-breaker / fallback loop shared by the LLM and TTS chains: streams from the
// first provider that answers, and may start over only until the first chunk has been passed on
// (after that the caller has spoken or played part of it, and a second answer would repeat it).
import type { Clock } from '../clock.js';
import { ProviderError } from '../providers/provider-error.js';
import { AbortedError } from '../providers/types.js';
import { abandon, nextWithin, TIMED_OUT } from './next-within.js';
import type { ProviderHealth } from './provider-health.js';
import type { ProviderKind, ResilienceReporter } from './resilience-events.js';
import { backoffDelay, failureReason, sleep, toProviderError, type RetryPolicy } from './retry-policy.js';

export type FailoverOptions<P extends { readonly name: string }, C> = {
  kind: ProviderKind;
  providers: readonly P[];
  /** Starts one attempt at `provider`; `signal` aborts just this attempt. */
  start: (provider: P, signal: AbortSignal) => AsyncIterable<C>;
  health: ProviderHealth;
  clock: Clock;
  retry: RetryPolicy;
  random: () => number;
  /** No first chunk within this long is a `timeout` failure. Undefined: no deadline. */
  firstChunkTimeoutMs?: number;
  /** Retries granted per provider for timeouts, outside `retry.maxAttempts`. */
  timeoutRetries: number;
  report?: ResilienceReporter;
  signal: AbortSignal;
  turnId?: string;
};

export type FailoverOutcome = { ok: true; provider: string } | { ok: false; lastError: ProviderError };

type AttemptResult = { ok: true } | { ok: false; error: ProviderError; original: unknown };

/**
 * Yields the chunks of the first provider that succeeds. Returns `{ok:false}` (after reporting
 * `exhausted`) when every provider failed before its first chunk. Throws AbortedError when the
 * caller aborts, and a failure after the first chunk as its ProviderError, unchanged.
 */
export async function* failoverStream<P extends { readonly name: string }, C>(
  options: FailoverOptions<P, C>,
): AsyncGenerator<C, FailoverOutcome, undefined> {
  const { providers, kind, report, turnId } = options;
  let lastError: ProviderError | undefined;
  for (let i = 0; i < providers.length; i++) {
    const provider = providers[i];
    const failure = yield* tryProvider(options, provider);
    if (failure === null) return { ok: true, provider: provider.name };
    lastError = failure;
    const next = providers[i + 1];
    if (next) {
      options.health.recordFallback(kind, provider.name);
      report?.({ type: 'fallback', kind, from: provider.name, to: next.name, reason: failureReason(failure), ...turnIdOf(turnId) });
    }
  }
  // providers is never empty (checked by the chains), so lastError is set here.
  const error = lastError as ProviderError;
  report?.({ type: 'exhausted', kind, reason: failureReason(error), ...turnIdOf(turnId) });
  return { ok: false, lastError: error };
}

/** Null when the provider streamed to the end; otherwise the error that made us give up on it. */
async function* tryProvider<P extends { readonly name: string }, C>(
  options: FailoverOptions<P, C>,
  provider: P,
): AsyncGenerator<C, ProviderError | null, undefined> {
  const { health, kind, signal } = options;
  let retries = 0;
  let timeoutsRetried = 0;
  let lastError: ProviderError | undefined;
  for (;;) {
    if (signal.aborted) throw new AbortedError();
    const attempt = health.begin(kind, provider.name);
    if (!attempt) {
      return lastError ?? new ProviderError(provider.name, 'server', 'circuit open: provider skipped after repeated failures', { code: 'circuit_open' });
    }
    const result = yield* attemptOnce(options, provider, attempt);
    if (result.ok) return null;
    lastError = result.error;
    let delay: number | null;
    if (result.error.kind === 'timeout') {
      // A slow provider gets one more chance at once: the caller has already waited the timeout.
      delay = timeoutsRetried < options.timeoutRetries ? 0 : null;
      if (delay !== null) timeoutsRetried++;
    } else {
      delay = backoffDelay(options.retry, retries + 1, options.random, result.original);
    }
    if (delay === null) return result.error;
    retries++;
    health.recordRetry(kind, provider.name);
    options.report?.({
      type: 'retry',
      kind,
      provider: provider.name,
      attempt: retries + 1,
      delayMs: delay,
      reason: failureReason(result.error),
      ...turnIdOf(options.turnId),
    });
    if (delay > 0) await sleep(options.clock, delay, signal);
  }
}

async function* attemptOnce<P extends { readonly name: string }, C>(
  options: FailoverOptions<P, C>,
  provider: P,
  attempt: NonNullable<ReturnType<ProviderHealth['begin']>>,
): AsyncGenerator<C, AttemptResult, undefined> {
  const { signal, clock } = options;
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  let iterator: AsyncIterator<C> | undefined;
  let yielded = false;
  let finished = false;
  try {
    iterator = options.start(provider, controller.signal)[Symbol.asyncIterator]();
    for (;;) {
      const next = await nextWithin(iterator, clock, yielded ? undefined : options.firstChunkTimeoutMs, signal);
      if (next === TIMED_OUT) {
        throw new ProviderError(provider.name, 'timeout', `no first chunk within ${options.firstChunkTimeoutMs} ms`, { code: 'first_chunk_timeout' });
      }
      if (next.done) {
        finished = true;
        attempt.succeed();
        return { ok: true };
      }
      if (!yielded) attempt.firstChunk();
      yielded = true;
      yield next.value;
    }
  } catch (err) {
    if (signal.aborted || err instanceof AbortedError) {
      attempt.release();
      throw new AbortedError();
    }
    const error = toProviderError(provider.name, err);
    attempt.fail(error);
    // Part of the answer is already out: starting over would repeat it, so the caller decides.
    if (yielded) throw error;
    return { ok: false, error, original: err };
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (!finished) {
      // Timed out, failed, aborted, or the consumer stopped early: close the provider's stream now.
      controller.abort();
      abandon(iterator);
      // A consumer that stopped after chunks flowed got a working answer; otherwise no verdict.
      if (yielded) attempt.succeed();
      else attempt.release();
    }
  }
}

function turnIdOf(turnId: string | undefined): { turnId?: string } {
  return turnId === undefined ? {} : { turnId };
}
