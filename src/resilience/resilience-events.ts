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

/** One line a person can read, for a turn's provider issues and the call analysis. */
export function describeProviderEvent(event: ResilienceEvent): string {
  switch (event.type) {
    case 'fallback':
      return `${event.kind}: ${event.from} failed (${event.reason}); fell back to ${event.to}`;
    case 'exhausted':
      return `${event.kind}: every provider failed (${event.reason})`;
    case 'retry':
      return `${event.kind}: ${event.provider} retried (${event.reason})`;
    case 'stt_reconnecting':
      return `stt: ${event.provider} reconnecting (${event.reason})`;
    case 'stt_reconnected':
      return `stt: ${event.provider} reconnected`;
  }
}
