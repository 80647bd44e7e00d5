// Per-turn latency record. Every instant is on the session clock (ms); derived delays are null when
// the turn never reached that step (e.g. a typed turn has no end of speech).
import type { TurnEnding } from '../turn/turn-effects.js';
import type { DisplayAmount } from '../usage/currency.js';
import type { UsageSnapshot, UsageTotals } from '../usage/usage-aggregate.js';

export type TurnMarks = {
  /** When the caller's speech actually ended (VAD end, mapped from audio time). */
  speechEndAt: number | null;
  /** When the VAD decided the speech had ended (after its minimum silence). */
  speechEndDetectedAt: number | null;
  sttFinalAt: number | null;
  llmStartAt: number | null;
  llmFirstTokenAt: number | null;
  committedAt: number | null;
  firstChunkAt: number | null;
  ttsRequestAt: number | null;
  ttsFirstAudioAt: number | null;
  firstAudioSentAt: number | null;
  endedAt: number | null;
};

export type TurnLatencies = {
  sttFinalDelayMs: number | null;
  endOfUtteranceDelayMs: number | null;
  llmTtftMs: number | null;
  ttsTtfbMs: number | null;
  voiceToVoiceMs: number | null;
};

export type TurnRecord = TurnEnding & {
  speculativeCancels: number;
  debounceMs: number;
  marks: TurnMarks;
  latencies: TurnLatencies;
  /** Provider fallbacks and failures during this turn (empty when every provider answered). */
  providerIssues: string[];
  /** What the turn used and cost; null when the call is not metered. */
  usage: TurnUsageSummary | null;
};

export type TurnUsageSummary = UsageTotals & { costUsd: number; cost: DisplayAmount };

export function turnUsageOf(snapshot: UsageSnapshot): TurnUsageSummary {
  return { ...snapshot.totals, costUsd: snapshot.costUsd, cost: snapshot.cost };
}

export function emptyMarks(): TurnMarks {
  return {
    speechEndAt: null,
    speechEndDetectedAt: null,
    sttFinalAt: null,
    llmStartAt: null,
    llmFirstTokenAt: null,
    committedAt: null,
    firstChunkAt: null,
    ttsRequestAt: null,
    ttsFirstAudioAt: null,
    firstAudioSentAt: null,
    endedAt: null,
  };
}

const gap = (from: number | null, to: number | null): number | null => (from === null || to === null ? null : to - from);

export function latenciesOf(m: TurnMarks): TurnLatencies {
  return {
    sttFinalDelayMs: m.sttFinalAt !== null && m.speechEndAt !== null ? Math.max(0, m.sttFinalAt - m.speechEndAt) : null,
    endOfUtteranceDelayMs: gap(m.speechEndAt, m.llmStartAt),
    llmTtftMs: gap(m.llmStartAt, m.llmFirstTokenAt),
    ttsTtfbMs: gap(m.ttsRequestAt, m.ttsFirstAudioAt),
    voiceToVoiceMs: gap(m.speechEndAt, m.firstAudioSentAt),
  };
}
