// What the turn core asks the session to do. The session carries these out in order.
import type { ChatMessage } from '../providers/types.js';
import type { TimerName } from './turn-inputs.js';
import type { TurnState } from './states.js';

/** How a reply ended, and what of it the caller heard. */
export type TurnEnding = {
  turnId: string;
  userText: string;
  agentText: string;
  heardText: string;
  interrupted: boolean;
  /** completed, interrupted (barge-in), canceled (before any audio), failed */
  outcome: 'completed' | 'interrupted' | 'canceled' | 'failed';
};

export type TurnEffect =
  | { type: 'timer.set'; name: TimerName; at: number }
  | { type: 'timer.cancel'; name: TimerName }
  | { type: 'state.changed'; from: TurnState; to: TurnState; reason: string; at: number; turnId: string | null }
  | { type: 'llm.start'; turnId: string; messages: ChatMessage[] }
  | { type: 'llm.cancel'; turnId: string; reason: string }
  /** Side effects (tool calls) of this turn may now run: the turn is COMMITTED. */
  | { type: 'turn.committed'; turnId: string }
  | { type: 'tts.speak'; turnId: string; chunkId: number; text: string }
  /** No more chunks will come for this turn. */
  | { type: 'tts.end'; turnId: string }
  | { type: 'tts.cancel'; turnId: string }
  /** Drop queued agent audio now and answer with `playback.cleared`. */
  | { type: 'output.clear'; turnId: string }
  | { type: 'transcript.partial'; text: string }
  | { type: 'transcript.final'; text: string; confidence: number }
  | { type: 'agent.text'; turnId: string; text: string; final: boolean }
  | { type: 'stt.finalize' }
  | ({ type: 'turn.ended' } & TurnEnding)
  | { type: 'speculative.canceled'; turnId: string; reason: string }
  | { type: 'debounce.adapted'; fromMs: number; toMs: number; cancelRate: number }
  | { type: 'log'; level: 'debug' | 'info' | 'warn'; message: string; data?: Record<string, unknown> };
