// What the resilience wrappers tell the call about: retries, fallbacks, STT reconnects, and the point
// where every provider of a kind has failed. The session turns these into timeline events.
export type ProviderKind = 'stt' | 'llm' | 'tts';

export type ResilienceEvent =
  | { type: 'retry'; kind: ProviderKind; provider: string; attempt: number; delayMs: number; reason: string; turnId?: string }
  | { type: 'fallback'; kind: ProviderKind; from: string; to: string; reason: string; turnId?: string }
  /** STT connection lost; a reconnect is scheduled in `delayMs`. */
  | { type: 'stt_reconnecting'; provider: string; attempt: number; delayMs: number; reason: string }
  /** STT is back; `replayedMs` of buffered audio was sent again. */
  | { type: 'stt_reconnected'; provider: string; attempt: number; replayedMs: number }
  /** Every provider of the chain failed. */
  | { type: 'exhausted'; kind: ProviderKind; reason: string; turnId?: string };

export type ResilienceReporter = (event: ResilienceEvent) => void;
