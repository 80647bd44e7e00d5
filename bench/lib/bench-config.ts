// The one configuration every bench step uses: simulated providers at fixed latencies, real
// Silero VAD, no greeting, and a fixed debounce so the policy waits are known exactly.
import type { Config } from '../../src/config.js';
import { simulatedConfig } from '../../src/config-simulated.js';
import { UTTERANCE_TEXTS } from './speech-corpus.js';

export const LATENCIES = {
  sttFinalDelayMs: 150,
  llmTtftMs: 250,
  llmTokensPerSecond: 60,
  ttsTtfbMs: 120,
  ttsRealtimeFactor: 4,
} as const;

export const POLICY = {
  vadMinSilenceMs: 250,
  vadMinSpeechMs: 64,
  debounceMs: 400,
  speculativeHoldMs: 200,
  minInterruptionMs: 60,
} as const;

export function benchConfig(vadEngine: 'silero' | 'energy' = 'silero'): Config {
  const config = simulatedConfig();
  config.server = { ...config.server, host: '127.0.0.1', port: 0 };
  config.logLevel = 'warn';
  config.agent.greeting = null;
  config.vad = { ...config.vad, engine: vadEngine, minSilenceMs: POLICY.vadMinSilenceMs, minSpeechMs: POLICY.vadMinSpeechMs };
  config.turn = { ...config.turn, debounceMs: POLICY.debounceMs, speculativeHoldMs: POLICY.speculativeHoldMs, minInterruptionMs: POLICY.minInterruptionMs };
  config.simulated = { ...config.simulated, ...LATENCIES, script: [...UTTERANCE_TEXTS] };
  return config;
}

/** The simulated STT names segment N of a call with this text (cycling, so no call runs dry). */
export function scriptLine(index: number): string {
  return UTTERANCE_TEXTS[index % UTTERANCE_TEXTS.length];
}

export function describeSetup(): string {
  const l = LATENCIES;
  const p = POLICY;
  return (
    `providers (simulated, fixed): STT final ${l.sttFinalDelayMs} ms, LLM TTFT ${l.llmTtftMs} ms at ${l.llmTokensPerSecond} tok/s, ` +
    `TTS TTFB ${l.ttsTtfbMs} ms at ${l.ttsRealtimeFactor}x real time; policy: VAD min silence ${p.vadMinSilenceMs} ms, ` +
    `min speech ${p.vadMinSpeechMs} ms, debounce ${p.debounceMs} ms (fixed), speculative hold ${p.speculativeHoldMs} ms, ` +
    `min interruption ${p.minInterruptionMs} ms`
  );
}
