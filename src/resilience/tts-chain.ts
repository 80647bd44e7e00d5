// A TtsProvider over a chain of them (e.g. ElevenLabs → Cartesia → local). Retries and fallback
// happen only before the first audio reached the caller; audio cannot be spliced from two voices,
// so a failure after that is rethrown as it is.
import type { Clock } from '../clock.js';
import type { ProviderError } from '../providers/provider-error.js';
import type { ProviderCapabilities, TtsAudio, TtsProvider, TtsRequest } from '../providers/types.js';
import { failoverStream } from './failover-stream.js';
import type { ProviderHealth } from './provider-health.js';
import type { ResilienceReporter } from './resilience-events.js';
import { validateRetryPolicy, type RetryPolicy } from './retry-policy.js';

export type TtsChainOptions = {
  /** In order of preference; at least one. */
  providers: TtsProvider[];
  health: ProviderHealth;
  clock: Clock;
  retry: RetryPolicy;
  /** No first audio within this long fails the attempt (retried once on the same provider). Default: none. */
  firstAudioTimeoutMs?: number;
  report?: ResilienceReporter;
  /** Jitter source; Math.random by default, seeded in tests. */
  random?: () => number;
};

/** Every TTS provider of the chain failed; the caller should send the text instead (agent_text_fallback). */
export class TtsUnavailableError extends Error {
  constructor(readonly lastError: ProviderError) {
    super(`speech synthesis unavailable: ${lastError.message}`, { cause: lastError });
    this.name = 'TtsUnavailableError';
  }
}

export class TtsChain implements TtsProvider {
  readonly name = 'chain';
  readonly capabilities: ProviderCapabilities;

  constructor(private readonly options: TtsChainOptions) {
    if (options.providers.length === 0) throw new RangeError('TtsChain needs at least one provider');
    if (options.firstAudioTimeoutMs !== undefined && !(options.firstAudioTimeoutMs > 0)) {
      throw new RangeError(`firstAudioTimeoutMs must be > 0, got ${options.firstAudioTimeoutMs}`);
    }
    validateRetryPolicy(options.retry);
    this.capabilities = options.providers[0].capabilities;
  }

  /** Throws TtsUnavailableError (after reporting `exhausted`) when no provider produced audio. */
  async *synthesize(request: TtsRequest): AsyncGenerator<TtsAudio, void, undefined> {
    const { options } = this;
    const outcome = yield* failoverStream<TtsProvider, TtsAudio>({
      kind: 'tts',
      providers: options.providers,
      start: (provider, signal) => provider.synthesize({ ...request, signal }),
      health: options.health,
      clock: options.clock,
      retry: options.retry,
      random: options.random ?? Math.random,
      firstChunkTimeoutMs: options.firstAudioTimeoutMs,
      timeoutRetries: 1,
      report: options.report,
      signal: request.signal,
      turnId: request.turnId,
    });
    if (!outcome.ok) throw new TtsUnavailableError(outcome.lastError);
  }
}
