// Step 3: capacity. The Parley server runs in a child process with real Silero VAD; this process
// drives N WebSocket callers that stream real speech in real time (speak, wait for the reply,
// listen or barge in, repeat). N steps up until the outbound frame pacing p99 reaches 20 ms or
// the load generator itself can no longer keep real time.
import { setPriority } from 'node:os';
import { runStep, PACING_LIMIT_MS, type BenchStats, type CapacityStep } from '../lib/capacity-step.js';
import { sleep } from '../lib/conversation.js';
import { getJson, spawnServerChild } from '../lib/server-child.js';
import type { Utterance } from '../lib/speech-corpus.js';
import { round } from '../lib/stats.js';
import { banner, fmt, table } from '../lib/table.js';

export type CapacityResult = {
  vad_engine: string;
  vad_fallback: string | null;
  idle_rss_mb: number;
  steps: CapacityStep[];
  max_sessions: number | null;
  limited_by: string;
  memory_per_session_mb: number | null;
  memory_slope_mb_per_session: number | null;
  tts_mode: 'replay' | 'render';
  generator_nice: number;
  note: string;
};

export type CapacityOptions = {
  root: string;
  outDir: string;
  corpus: Utterance[];
  steps: number[];
  warmupS: number;
  holdS: number;
  /** Let the simulated TTS render every waveform in the server (default: replay, see replay-tts.ts). */
  renderTts: boolean;
  /** Nice value for this (load generator) process during the step; 0 = same priority as the server. */
  generatorNice: number;
  log: (s: string) => void;
};

export async function benchCapacity(opts: CapacityOptions): Promise<CapacityResult> {
  const { log } = opts;
  log(banner('3. Capacity (server in a child process, real Silero VAD, real-time callers)'));
  const server = await spawnServerChild(opts.root, opts.outDir, opts.renderTts ? ['--render-tts'] : []);
  // --gen-nice: lower the load generator's priority so it preempts the server less (its own
  // real-time sending is still checked by the send-lateness limit).
  if (opts.generatorNice) setPriority(opts.generatorNice);
  if (server.vad !== 'silero') log(`\n!!!!! WARNING: Silero VAD could NOT be loaded in the server; it uses the ${server.vad} VAD: ${server.vadFallback} !!!!!\n`);
  const result: CapacityResult = {
    vad_engine: server.vad,
    vad_fallback: server.vadFallback,
    idle_rss_mb: 0,
    steps: [],
    max_sessions: null,
    limited_by: '',
    memory_per_session_mb: null,
    memory_slope_mb_per_session: null,
    tts_mode: opts.renderTts ? 'render' : 'replay',
    generator_nice: opts.generatorNice,
    note: 'the load generator (this process) shares the 2 cores with the server child; its CPU use is shown as bench_cpu_pct',
  };
  try {
    await sleep(1500);
    const idleStats = await getJson<BenchStats>(`http://${server.base}/bench/stats?gc=1`);
    const idle = { rss: server.rssMb(), heap: idleStats.memory.heapUsed + idleStats.memory.external };
    result.idle_rss_mb = round(idle.rss);
    log(`server pid ${server.pid}, VAD ${server.vad}, idle RSS ${fmt(idle.rss)} MB; steps ${opts.steps.join(', ')}; warm-up ${opts.warmupS} s, hold ${opts.holdS} s each`);
    log('callers: real flite speech in real time, then wait for the reply; 1 in 4 replies is barged into, the rest are heard to the end');
    log(
      opts.renderTts
        ? 'TTS: the simulated TTS renders every reply waveform on the server event loop (--render-tts)'
        : 'TTS: simulated timing, waveforms rendered once per text and replayed (a real TTS is remote; use --render-tts to include the simulator\'s rendering cost)',
    );
    const headers = ['sessions', 'pacing p50', 'p99', 'max', 'loop p99', 'srv CPU%', 'gen CPU%', 'RSS MB', 'MB/sess', 'send p99', 'v2v p50', 'v2v p95', 'barge p95', 'replies', 'verdict'];
    const rows: (string | number)[][] = [];
    for (const n of opts.steps) {
      process.stdout.write(`  running ${n} sessions...\r`);
      const step = await runStep(server, n, opts, idle);
      result.steps.push(step);
      rows.push([
        n,
        fmt(step.pacing_ms.p50_ms),
        fmt(step.pacing_ms.p99_ms),
        fmt(step.pacing_ms.max_ms),
        fmt(step.loop_delay_ms.p99),
        fmt(step.server_cpu_pct, 0),
        fmt(step.bench_cpu_pct, 0),
        fmt(step.rss_mb, 0),
        fmt(step.rss_per_session_mb, 2),
        fmt(step.client_send_lateness_p99_ms),
        fmt(step.voice_to_voice_client_ms.p50, 0),
        fmt(step.voice_to_voice_client_ms.p95, 0),
        fmt(step.bargein_client_ms.p95, 0),
        step.replies,
        step.verdict,
      ]);
      log(`  ${n} sessions: pacing p99 ${fmt(step.pacing_ms.p99_ms)} ms, loop p99 ${fmt(step.loop_delay_ms.p99)} ms, ${step.verdict}`);
      if (!step.pass) {
        result.limited_by = step.verdict;
        break;
      }
      result.max_sessions = n;
    }
    if (!result.limited_by) result.limited_by = `not reached (largest step ${opts.steps.at(-1)} passed)`;
    log('\n' + table(headers, rows));
    log(
      'pacing = lateness of outbound agent frames vs their 20 ms grid (server /health); loop = server event-loop delay; CPU% of one core ' +
        '(srv = server child incl. Silero worker thread, gen = this load generator; 200% = both cores); send p99 = how late the callers sent ' +
        'their mic frames; v2v/barge = as the callers saw them (ms).',
    );
    const passing = result.steps.filter((s) => s.pass);
    const best = passing.at(-1);
    if (best) result.memory_per_session_mb = best.rss_per_session_mb;
    if (passing.length >= 2) {
      const a = passing[0];
      const b = passing[passing.length - 1];
      result.memory_slope_mb_per_session = round((b.rss_mb - a.rss_mb) / (b.sessions - a.sessions));
    }
    log(
      `\nMax sessions with pacing p99 < ${PACING_LIMIT_MS} ms: ${result.max_sessions ?? 'none'} (limited by: ${result.limited_by}). ` +
        `Memory: ${fmt(result.memory_per_session_mb, 2)} MB/session ((RSS - idle RSS)/N at that step); slope between passing steps ${fmt(result.memory_slope_mb_per_session, 2)} MB/session.`,
    );
    log(`NOTE: ${result.note}.`);
  } finally {
    await server.stop();
    if (opts.generatorNice) setPriority(0);
  }
  return result;
}
