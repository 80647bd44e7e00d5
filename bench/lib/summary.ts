// The Markdown block the README's performance section takes: each headline figure next to its target.
import type { BargeInResult } from '../steps/bargein.js';
import type { CapacityResult } from '../steps/capacity.js';
import type { OverheadResult } from '../steps/overhead.js';
import { describeSetup } from './bench-config.js';
import { fmt } from './table.js';

export const TARGETS = { overheadP95Ms: 5, bargeInP95Ms: 120, sessions: 300 } as const;

export type SummaryInput = {
  overhead?: OverheadResult;
  bargein?: BargeInResult;
  capacity?: CapacityResult;
  quick: boolean;
  date: string;
};

const met = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'yes' : 'no');

export function summaryMarkdown(s: SummaryInput): string {
  const rows: string[][] = [];
  const o = s.overhead;
  if (o) {
    rows.push([
      'Orchestration overhead p95 (Parley’s own time on the critical path)',
      `${fmt(o.overhead_ms.p95, 2)} ms (p50 ${fmt(o.overhead_ms.p50, 2)}, p99 ${fmt(o.overhead_ms.p99, 2)}; ${o.turns} turns)`,
      `< ${TARGETS.overheadP95Ms} ms`,
      met(o.overhead_ms.n > 0 ? o.overhead_ms.p95 < TARGETS.overheadP95Ms : null),
    ]);
  }
  const b = s.bargein;
  if (b) {
    const r = b.last_frame_received_ms;
    rows.push([
      'Barge-in p95 (caller speech onset → last agent frame received)',
      `${fmt(r.p95, 0)} ms (p50 ${fmt(r.p50, 0)}; server send p95 ${fmt(b.last_frame_sent_ms.p95, 0)}; ${r.n} barge-ins)`,
      `< ${TARGETS.bargeInP95Ms} ms`,
      met(r.n > 0 ? r.p95 < TARGETS.bargeInP95Ms : null),
    ]);
  }
  const c = s.capacity;
  if (c) {
    const largest = c.steps.at(-1)?.sessions;
    const reachedAll = c.max_sessions !== null && c.max_sessions === largest && c.steps.every((x) => x.pass);
    const best = c.steps.find((x) => x.sessions === c.max_sessions);
    rows.push([
      'Concurrent sessions, one process on 2 cores (real Silero VAD, outbound pacing p99 < 20 ms)',
      `${reachedAll ? '≥ ' : ''}${c.max_sessions ?? 0}` +
        (best ? ` (pacing p99 ${fmt(best.pacing_ms.p99_ms)} ms, server CPU ${fmt(best.server_cpu_pct, 0)}% of a core; load generator on the same cores)` : ''),
      `${TARGETS.sessions}`,
      met(c.steps.length > 0 ? (c.max_sessions ?? 0) >= TARGETS.sessions : null),
    ]);
    rows.push([
      'Memory per session',
      `${fmt(c.memory_per_session_mb, 2)} MB RSS ((RSS − idle)/N at ${c.max_sessions ?? '-'} sessions; idle ${fmt(c.idle_rss_mb, 0)} MB)`,
      '—',
      'n/a',
    ]);
  }
  if (o) {
    rows.push([
      'Voice-to-voice p50 / p95 (client; includes policy waits and simulated provider latencies)',
      `${fmt(o.voice_to_voice_client_ms.p50, 0)} / ${fmt(o.voice_to_voice_client_ms.p95, 0)} ms`,
      '—',
      'n/a',
    ]);
  }
  const fallbacks = [o?.vad_engine, b?.vad_engine, c?.vad_engine].filter((v) => v !== undefined && v !== 'silero');
  const lines = ['| Measure | Result | Target | Met |', '| --- | --- | --- | --- |', ...rows.map((r) => `| ${r.join(' | ')} |`)];
  lines.push('');
  lines.push(
    `Measured by \`npm run bench${s.quick ? ' -- --quick' : ''}\` on ${s.date.slice(0, 10)}, 2 cores; ${describeSetup()}. ` +
      'Load generation runs on the same 2 cores as the server.',
  );
  if (fallbacks.length) lines.push('', '**WARNING: Silero VAD did not load; these figures were measured with the energy VAD.**');
  return lines.join('\n');
}
