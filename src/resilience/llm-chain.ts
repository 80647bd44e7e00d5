// An LlmProvider over a chain of them: primary, then secondaries, then (optionally) a spoken
// apology. Retries, first-token timeout and fallback happen only before the first chunk reached the
// caller; after that the reply is partly spoken and a failure is the caller's to handle.
import type { Clock } from '../clock.js';
import type { LlmChunk, LlmProvider, LlmRequest } from '../providers/types.js';
import { failoverStream } from './failover-stream.js';
import type { ProviderHealth } from './provider-health.js';
import type { ResilienceReporter } from './resilience-events.js';
import { validateRetryPolicy, type RetryPolicy } from './retry-policy.js';

export type LlmChainOptions = {
  /** In order of preference; at least one. */
  providers: LlmProvider[];
  health: ProviderHealth;
  clock: Clock;
  retry: RetryPolicy;
  /** No first chunk within this long fails the attempt; it is retried once on the same provider. */
  firstTokenTimeoutMs: number;
  /** Said to the caller when every provider failed; null to throw the last ProviderError instead. */
  apology: string | null;
  report?: ResilienceReporter;
  /** Jitter source; Math.random by default, seeded in tests. */
  random?: () => number;
};

export class LlmChain implements LlmProvider {
  readonly name = 'chain';
  readonly model: string;

  constructor(private readonly options: LlmChainOptions) {
    if (options.providers.length === 0) throw new RangeError('LlmChain needs at least one provider');
    if (!(options.firstTokenTimeoutMs > 0)) throw new RangeError(`firstTokenTimeoutMs must be > 0, got ${options.firstTokenTimeoutMs}`);
    validateRetryPolicy(options.retry);
    this.model = options.providers[0].model;
  }

  /**
   * Streams the first provider's answer that gets going. When all fail, `exhausted` is reported
   * (that is what marks the turn failed) and the apology is streamed as ordinary text chunks, or
   * the last ProviderError is thrown when there is no apology. AbortedError passes straight through.
   */
  async *stream(request: LlmRequest): AsyncGenerator<LlmChunk, void, undefined> {
    const { options } = this;
    const outcome = yield* failoverStream<LlmProvider, LlmChunk>({
      kind: 'llm',
      providers: options.providers,
      start: (provider, signal) => provider.stream({ ...request, signal }),
      health: options.health,
      clock: options.clock,
      retry: options.retry,
      random: options.random ?? Math.random,
      firstChunkTimeoutMs: options.firstTokenTimeoutMs,
      timeoutRetries: 1,
      report: options.report,
      signal: request.signal,
      turnId: request.turnId,
    });
    if (outcome.ok) return;
    if (options.apology === null) throw outcome.lastError;
    for (const piece of apologyPieces(options.apology)) yield { type: 'text', text: piece };
  }
}

/** Word-sized pieces with their trailing spaces, so the apology flows like any streamed reply. */
export function apologyPieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}
