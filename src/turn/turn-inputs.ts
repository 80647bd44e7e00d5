// What the turn core is told. Times (`at`, `startMs`, `endMs`) are on the session clock in ms;
// the session maps audio-stream time onto it.
import type { ToolCall, WordTiming } from '../providers/types.js';

export type TurnInput =
  | { type: 'vad.speech_start'; at: number }
  | { type: 'vad.speech_end'; at: number }
  | { type: 'stt.partial'; text: string; startMs?: number; endMs?: number }
  | { type: 'stt.final'; text: string; confidence: number; startMs?: number; endMs?: number }
  /** A timer the core asked for (effect `timer.set`) came due. */
  | { type: 'timer'; name: TimerName }
  | { type: 'llm.text'; turnId: string; text: string }
  | { type: 'llm.tool_call'; turnId: string; call: ToolCall }
  | { type: 'tool.result'; turnId: string; toolCallId: string; content: string }
  | { type: 'llm.done'; turnId: string }
  | { type: 'llm.error'; turnId: string; message: string }
  /** Audio for one chunk was produced by TTS (cumulative duration of that chunk so far). */
  | { type: 'tts.audio'; turnId: string; chunkId: number; durationMs: number; words?: readonly WordTiming[] }
  | { type: 'tts.done'; turnId: string; chunkId: number }
  | { type: 'tts.error'; turnId: string; chunkId: number; message: string }
  /** The first frame of the turn's audio left for the caller. */
  | { type: 'playback.started'; turnId: string }
  /** All of the turn's audio has been sent and played out. */
  | { type: 'playback.finished'; turnId: string; playedMs: number }
  /** Reply to `output.clear`: how much of the turn's audio the caller had heard. */
  | { type: 'playback.cleared'; turnId: string; playedMs: number }
  | { type: 'user.text'; text: string }
  | { type: 'user.interrupt' }
  /** One keypad key (DTMF) the caller pressed: 0-9, *, #, A-D. */
  | { type: 'user.dtmf'; digit: string }
  | { type: 'agent.say'; text: string; reason: 'greeting' | 'system' }
  | { type: 'settings.update'; settings: Partial<TurnSettings> };

export type TimerName = 'debounce' | 'commit' | 'bargein' | 'dtmf';

export interface TurnSettings {
  /** Fixed end-of-utterance debounce in ms; null = adaptive. */
  debounceOverrideMs: number | null;
  debounceInitialMs: number;
  debounceMinMs: number;
  debounceMaxMs: number;
  /** Adapt every N turns. */
  debounceWindow: number;
  debounceRaiseAbove: number;
  debounceRaiseStepMs: number;
  debounceLowerBelow: number;
  debounceLowerStepMs: number;
  /** How long SPECULATIVE holds the LLM output before COMMITTED. */
  speculativeHoldMs: number;
  /** Minimum user speech (from onset) before it interrupts the agent while SPEAKING. */
  minInterruptionMs: number;
  correctionMarkers: string[];
  /** Minimum characters before the sentence chunker emits the first chunk at a clause boundary. */
  firstChunkMinChars: number;
  /** Minimum characters of a later chunk. */
  chunkMinChars: number;
  /** A keypad entry ends this long after its last key (unless # or the maximum ended it first). */
  dtmfTimeoutMs: number;
  /** A keypad entry ends once it has this many keys (# not counted). */
  dtmfMaxDigits: number;
}

export const defaultTurnSettings: TurnSettings = {
  debounceOverrideMs: null,
  debounceInitialMs: 400,
  debounceMinMs: 400,
  debounceMaxMs: 1200,
  debounceWindow: 10,
  debounceRaiseAbove: 0.3,
  debounceRaiseStepMs: 100,
  debounceLowerBelow: 0.15,
  debounceLowerStepMs: 50,
  speculativeHoldMs: 200,
  minInterruptionMs: 60,
  correctionMarkers: ['actually', 'wait', 'sorry', 'no', 'hold on', 'i mean', 'scratch that'],
  firstChunkMinChars: 12,
  chunkMinChars: 40,
  dtmfTimeoutMs: 2000,
  dtmfMaxDigits: 16,
};
