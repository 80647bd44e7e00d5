// Wire settings (snake_case, flat) <-> the session's turn and VAD settings.
import type { TurnSettings } from '../../turn/turn-inputs.js';
import type { VadSettings } from '../../vad/vad.js';
import type { WireSettings } from './protocol.js';

export type SessionOverrides = {
  turn: Partial<TurnSettings>;
  vad: Partial<VadSettings>;
  greeting?: string | null;
  systemPrompt?: string;
};

export function fromWire(s: WireSettings): SessionOverrides {
  const turn: Partial<TurnSettings> = {};
  const vad: Partial<VadSettings> = {};
  if (s.debounce_ms !== undefined) turn.debounceOverrideMs = s.debounce_ms;
  if (s.min_interruption_ms !== undefined) turn.minInterruptionMs = s.min_interruption_ms;
  if (s.speculative_hold_ms !== undefined) turn.speculativeHoldMs = s.speculative_hold_ms;
  if (s.correction_markers !== undefined) turn.correctionMarkers = s.correction_markers;
  if (s.vad_threshold !== undefined) vad.threshold = s.vad_threshold;
  if (s.vad_min_speech_ms !== undefined) vad.minSpeechMs = s.vad_min_speech_ms;
  if (s.vad_min_silence_ms !== undefined) vad.minSilenceMs = s.vad_min_silence_ms;
  return { turn, vad, greeting: s.greeting, systemPrompt: s.system_prompt };
}

export function toWire(turn: Readonly<TurnSettings>, vad: Readonly<VadSettings>, greeting: string | null, systemPrompt: string): Required<WireSettings> {
  return {
    debounce_ms: turn.debounceOverrideMs,
    min_interruption_ms: turn.minInterruptionMs,
    speculative_hold_ms: turn.speculativeHoldMs,
    correction_markers: [...turn.correctionMarkers],
    vad_threshold: vad.threshold,
    vad_min_speech_ms: vad.minSpeechMs,
    vad_min_silence_ms: vad.minSilenceMs,
    greeting,
    system_prompt: systemPrompt,
  };
}
