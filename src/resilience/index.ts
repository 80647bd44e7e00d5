// The resilience layer: retry, circuit breaking, fallback chains and STT reconnects, all wrapped
// around provider adapters from the outside.
export { AudioRing } from './audio-ring.js';
export { CircuitBreaker, DEFAULT_BREAKER_OPTIONS, type CircuitBreakerOptions, type CircuitPermit, type CircuitSnapshot, type CircuitState } from './circuit-breaker.js';
export { failoverStream, type FailoverOptions, type FailoverOutcome } from './failover-stream.js';
export { LlmChain, apologyPieces, type LlmChainOptions } from './llm-chain.js';
export {
  ProviderHealth,
  type ProviderAttempt,
  type ProviderHealthChange,
  type ProviderHealthEntry,
  type ProviderHealthOptions,
  type ProviderHealthSnapshot,
} from './provider-health.js';
export {
  DEFAULT_RECONNECT_DELAYS_MS,
  ReconnectingStt,
  ReconnectingSttStream,
  shiftEvent,
  type ReconnectingSttOptions,
  type ReconnectingSttStatus,
} from './reconnecting-stt.js';
export type { ProviderKind, ResilienceEvent, ResilienceReporter } from './resilience-events.js';
export {
  DEFAULT_MAX_RETRY_AFTER_MS,
  DEFAULT_RETRY_POLICY,
  backoffDelay,
  failureReason,
  isNetworkError,
  isRetryableFailure,
  sleep,
  toProviderError,
  validateRetryPolicy,
  type RetryPolicy,
} from './retry-policy.js';
export { TtsChain, TtsUnavailableError, type TtsChainOptions } from './tts-chain.js';
