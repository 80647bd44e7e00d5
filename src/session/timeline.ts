// Everything that happens in a call is an event on its timeline. Transports, metrics, logs and
// (later) persistence subscribe here; nothing reaches into the session directly.
import type { ResilienceEvent } from '../resilience/resilience-events.js';
import type { TurnState } from '../turn/states.js';
import type { TurnRecord, TurnUsageSummary } from './turn-metrics.js';

type At = { callId: string; at: number };

export type TimelineEvent = At &
  (
    | { type: 'call.started'; agent: string; inputSampleRate: number; outputSampleRate: number }
    | { type: 'call.resumed' }
    | { type: 'vad.speech_start'; onsetAt: number }
    | { type: 'vad.speech_end'; endAt: number }
    | { type: 'stt.partial'; text: string }
    | { type: 'stt.final'; text: string; confidence: number }
    | { type: 'turn.state'; from: TurnState; to: TurnState; reason: string }
    | { type: 'llm.start'; turnId: string }
    | { type: 'llm.token'; turnId: string; text: string }
    | { type: 'llm.cancel'; turnId: string; reason: string }
    | { type: 'llm.usage'; turnId: string; promptTokens: number; completionTokens: number }
    | { type: 'tool.call'; turnId: string; toolCallId: string; name: string; arguments: string }
    | { type: 'tool.result'; turnId: string; toolCallId: string; name: string; ok: boolean; content: string }
    | { type: 'agent.text'; turnId: string; text: string; final: boolean }
    | { type: 'tts.start'; turnId: string; chunkId: number; text: string }
    /** Synthesis of a chunk failed for good: the caller gets its text instead. */
    | { type: 'agent.text_fallback'; turnId: string; chunkId: number; text: string }
    | { type: 'provider.event'; event: ResilienceEvent }
    | { type: 'agent.audio_start'; turnId: string }
    | { type: 'agent.audio_end'; turnId: string; interrupted: boolean; playedMs: number }
    | { type: 'speculative.canceled'; turnId: string; reason: string }
    | { type: 'debounce.adapted'; fromMs: number; toMs: number; cancelRate: number }
    | { type: 'turn.completed'; turn: TurnRecord }
    /** Where the agent's conversation flow stands after a turn (flow agents only). */
    | { type: 'flow.state'; turnId: string; node: string; slots: Record<string, string | number | boolean>; ended: boolean; handoff: boolean }
    /** One keypad key (DTMF) the caller pressed: 0-9, *, #, A-D. */
    | { type: 'dtmf'; digit: string }
    /**
     * The call was handed to `target` (or that failed), noted by whoever carried it out. May come
     * after `call.ended` when the transfer itself ended the line.
     */
    | { type: 'call.transfer'; target: string; mode: 'blind' | 'warm'; ok: boolean; error?: string }
    | { type: 'error'; code: string; message: string; recoverable: boolean }
    | { type: 'call.ended'; reason: string; usage: TurnUsageSummary | null }
  );

export type TimelineEventType = TimelineEvent['type'];
export type TimelineListener = (event: TimelineEvent) => void;

export class Timeline {
  private readonly listeners = new Set<TimelineListener>();

  subscribe(listener: TimelineListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: TimelineEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A subscriber's failure must never break the call.
      }
    }
  }
}
