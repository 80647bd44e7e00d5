// The per-turn metrics: how turns ended and how long each step took, one histogram per latency of
// the TurnRecord (seconds), with buckets around what each step usually costs.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { TurnLatencies, TurnRecord } from '../session/turn-metrics.js';

type LatencyMetric = { field: keyof TurnLatencies; name: string; help: string; buckets: number[] };

export const TURN_LATENCY_METRICS: readonly LatencyMetric[] = [
  {
    field: 'endOfUtteranceDelayMs',
    name: 'parley_turn_end_of_utterance_seconds',
    help: 'From the end of the caller speech to the request to the language model (end-of-turn detection)',
    buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 1.5, 2, 3],
  },
  {
    field: 'sttFinalDelayMs',
    name: 'parley_turn_stt_final_delay_seconds',
    help: 'From the end of the caller speech to the final transcript',
    buckets: [0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2],
  },
  {
    field: 'llmTtftMs',
    name: 'parley_turn_llm_ttft_seconds',
    help: 'From the request to the language model to its first token',
    buckets: [0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10],
  },
  {
    field: 'ttsTtfbMs',
    name: 'parley_turn_tts_ttfb_seconds',
    help: 'From the first synthesis request of a reply to its first audio',
    buckets: [0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2],
  },
  {
    field: 'voiceToVoiceMs',
    name: 'parley_voice_to_voice_seconds',
    help: 'From the end of the caller speech to the first agent audio sent',
    buckets: [0.3, 0.5, 0.75, 1, 1.25, 1.5, 2, 3, 5],
  },
];

export class TurnMetrics {
  private readonly outcomes: Counter<'outcome'>;
  private readonly latencies: { field: keyof TurnLatencies; histogram: Histogram }[];

  constructor(registry: Registry) {
    const registers = [registry];
    this.outcomes = new Counter({ name: 'parley_turns_total', help: 'Finished turns by outcome', labelNames: ['outcome'] as const, registers });
    this.latencies = TURN_LATENCY_METRICS.map((m) => ({
      field: m.field,
      histogram: new Histogram({ name: m.name, help: m.help, buckets: m.buckets, registers }),
    }));
  }

  /** A step the turn never reached (a typed turn has no end of speech) is not observed. */
  record(turn: TurnRecord): void {
    this.outcomes.inc({ outcome: turn.outcome });
    for (const { field, histogram } of this.latencies) {
      const ms = turn.latencies[field];
      if (ms !== null && ms >= 0) histogram.observe(ms / 1000);
    }
  }
}
