// The offline step's block for the README's performance section: the same table columns as
// summary.ts, for the default (offline) engines instead of the simulated ones.
import type { OfflineResult } from '../steps/offline.js';
import { fmt } from './table.js';

export function offlineSummaryMarkdown(o: OfflineResult): string {
  const v = o.single.v2v_client_ms;
  const s = o.single.server_ms;
  const c = o.capacity;
  const levels = c.levels;
  const best = levels.find((l) => l.calls === c.max_calls);
  const failed = levels.find((l) => l.verdict !== 'ok');
  const reachedAll = c.max_calls !== null && !failed;
  const rows = [
    `| Offline stack voice-to-voice p50 / p95, one call (caller's true end of speech → first agent frame received; ${v.n} booking utterances) | ` +
      `${fmt(v.p50, 0)} / ${fmt(v.p95, 0)} ms (server turn metric ${fmt(s.voice_to_voice_ms.p50, 0)} / ${fmt(s.voice_to_voice_ms.p95, 0)}; STT final p50 ${fmt(s.stt_final_delay_ms.p50, 0)} ms after the end of speech) | — | n/a |`,
    `| Concurrent offline calls on 2 cores before that p95 doubles (< ${fmt(c.limit_p95_ms, 0)} ms) | ` +
      `${reachedAll ? '≥ ' : ''}${c.max_calls ?? 0}` +
      (best ? ` (p95 ${fmt(best.v2v_client_ms.p95, 0)} ms, server tree CPU ${fmt(best.server_cpu_pct, 0)}% of a core, ${fmt(best.rss_per_call_mb, 1)} MB RSS per call)` : '') +
      (failed ? `; at ${failed.calls}: ${failed.verdict}${failed.replies ? ` (p95 ${fmt(failed.v2v_client_ms.p95, 0)} ms)` : ''}` : '') +
      ' | — | n/a |',
  ];
  return [
    '| Measure | Result | Target | Met |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    `Offline stack: the default configuration (${o.engines.stt} STT, ${o.engines.llm} LLM, ${o.engines.tts} TTS, ${o.vad_engine} VAD), ` +
      'flite speech streamed in real time, every reply heard to its end; the load generator shares the 2 cores.',
  ].join('\n');
}
