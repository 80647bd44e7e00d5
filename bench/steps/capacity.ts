// Step 3: capacity. The Parley server runs in a child process with real Silero VAD; this process
// drives N WebSocket callers that stream real speech in real time (speak, wait for the reply,
// listen or barge in, repeat). N steps up until the outbound frame pacing p99 reaches 20 ms or
// the load generator itself can no longer keep real time.
import { BenchClient, encodeUtterance } from '../lib/bench-client.js';
import { mulberry32, sleep } from '../lib/conversation.js';
import { LoadMetrics, runCaller } from '../lib/load-caller.js';
import { MicScheduler } from '../lib/mic-scheduler.js';
import { getJson, post, spawnServerChild, type ServerChild } from '../lib/server-child.js';
import type { Utterance } from '../lib/speech-corpus.js';
import { LatenessHistogram, round, roundSummary, summarize, type Summary } from '../lib/stats.js';
import { banner, fmt, table } from '../lib/table.js';

export const PACING_LIMIT_MS = 20;
/** Above this the load generator is late by a whole frame: results would not be real time. */
export const CLIENT_LATENESS_LIMIT_MS = 20;

type Pacing = { samples: number; p50_ms: number; p95_ms: number; p99_ms: number; max_ms: number };
type BenchStats = {
  loop_delay_ms: { p50: number; p99: number; max: number; mean: number };
  memory: { rss: number; heapUsed: number; external: number; arrayBuffers: number };
  cpu_us: { user: number; system: number };
  active_sessions: number;
  vad: string;
  vad_stats: { batches: number; windows: number; largestBatch: number } | null;
};

export type CapacityStep = {
  sessions: number;
  hold_s: number;
  pacing_ms: Pacing;
  loop_delay_ms: BenchStats['loop_delay_ms'];
  server_cpu_pct: number;
  bench_cpu_pct: number;
  rss_mb: number;
  rss_per_session_mb: number;
  heap_per_session_mb: number;
  client_send_lateness_p99_ms: number;
  agent_frame_gap_p99_ms: number;
  voice_to_voice_client_ms: Summary;
  bargein_client_ms: Summary;
  replies: number;
  barge_ins: number;
  no_reply: number;
  silero_mean_batch: number | null;
  pass: boolean;
  verdict: string;
};

export type CapacityResult = {
  vad_engine: string;
  vad_fallback: string | null;
  idle_rss_mb: number;
  steps: CapacityStep[];
  max_sessions: number | null;
  limited_by: string;
  memory_per_session_mb: number | null;
  memory_slope_mb_per_session: number | null;
  note: string;
};

export type CapacityOptions = {
  root: string;
  outDir: string;
  corpus: Utterance[];
  steps: number[];
  warmupS: number;
  holdS: number;
  log: (s: string) => void;
};

async function connectAll(url: string, n: number): Promise<BenchClient[]> {
  const clients: BenchClient[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, async () => {
        const c = await BenchClient.connect(url);
        await c.start();
        return c;
      }),
    );
    clients.push(...batch);
  }
  return clients;
}

async function runStep(server: ServerChild, n: number, opts: CapacityOptions, idle: { rss: number; heap: number }): Promise<CapacityStep> {
  const http = `http://${server.base}`;
  const encoded = opts.corpus.map((u, i) => encodeUtterance(u, i));
  const clients = await connectAll(`ws://${server.base}/ws/voice`, n);
  const scheduler = new MicScheduler();
  const metrics = new LoadMetrics();
  const gaps = new LatenessHistogram();
  let stop = false;
  const base = performance.now();
  clients.forEach((c, i) => {
    c.startMic(base + (i % 4) * 5);
    c.onFrameGap = (ms) => {
      if (metrics.measuring) gaps.record(ms);
    };
    scheduler.add(c);
  });
  const callers = clients.map((c, i) => runCaller(c, encoded, mulberry32(1000 + i), metrics, () => stop));

  await sleep(opts.warmupS * 1000);
  await post(`${http}/health/reset-stats`);
  await post(`${http}/bench/reset`);
  const before = await getJson<BenchStats>(`${http}/bench/stats`);
  const benchCpu0 = process.cpuUsage();
  const t0 = performance.now();
  scheduler.lateness.reset();
  metrics.measuring = true;

  await sleep(opts.holdS * 1000);

  metrics.measuring = false;
  const wall = performance.now() - t0;
  const health = await getJson<{ outbound_pacing: Pacing; active_sessions: number }>(`${http}/health`);
  const after = await getJson<BenchStats>(`${http}/bench/stats`);
  const benchCpu = process.cpuUsage(benchCpu0);
  const rss = server.rssMb();
  const gcd = await getJson<BenchStats>(`${http}/bench/stats?gc=1`);
  const lateness = scheduler.lateness.quantile(0.99);

  stop = true;
  scheduler.stop();
  for (const c of clients) c.end();
  await Promise.race([Promise.all(callers), sleep(5000)]);
  for (const c of clients) c.close();
  for (let i = 0; i < 50; i++) {
    const h = await getJson<{ active_sessions: number }>(`${http}/health`);
    if (h.active_sessions === 0) break;
    await sleep(200);
  }

  const v2v = metrics.replies.flatMap(({ said, reply }) => (reply.firstAudioAt === null ? [] : [reply.firstAudioAt - said.offsetAt]));
  const barge = metrics.bargeIns.flatMap(({ said, reply }) => (reply.lastAudioAt === null ? [] : [reply.lastAudioAt - said.onsetAt]));
  const cpu = (a: BenchStats['cpu_us'], b: BenchStats['cpu_us']) => (b.user + b.system - a.user - a.system) / 1000;
  const vs0 = before.vad_stats;
  const vs1 = after.vad_stats;
  const pacing = health.outbound_pacing;
  const verdict =
    pacing.p99_ms >= PACING_LIMIT_MS
      ? `pacing p99 ${fmt(pacing.p99_ms)} ms >= ${PACING_LIMIT_MS} ms`
      : lateness > CLIENT_LATENESS_LIMIT_MS
        ? `load generator late (send p99 ${fmt(lateness)} ms)`
        : 'ok';
  return {
    sessions: n,
    hold_s: round(wall / 1000),
    pacing_ms: pacing,
    loop_delay_ms: after.loop_delay_ms,
    server_cpu_pct: round((cpu(before.cpu_us, after.cpu_us) / wall) * 100),
    bench_cpu_pct: round(((benchCpu.user + benchCpu.system) / 1000 / wall) * 100),
    rss_mb: round(rss),
    rss_per_session_mb: round((rss - idle.rss) / n),
    heap_per_session_mb: round((gcd.memory.heapUsed + gcd.memory.external - idle.heap) / 1048576 / n),
    client_send_lateness_p99_ms: round(lateness),
    agent_frame_gap_p99_ms: round(gaps.quantile(0.99)),
    voice_to_voice_client_ms: roundSummary(summarize(v2v)),
    bargein_client_ms: roundSummary(summarize(barge)),
    replies: metrics.replies.length,
    barge_ins: metrics.bargeIns.length,
    no_reply: metrics.noReply,
    silero_mean_batch: vs0 && vs1 && vs1.batches > vs0.batches ? round((vs1.windows - vs0.windows) / (vs1.batches - vs0.batches)) : null,
    pass: verdict === 'ok',
    verdict,
  };
}

export async function benchCapacity(opts: CapacityOptions): Promise<CapacityResult> {
  const { log } = opts;
  log(banner('3. Capacity (server in a child process, real Silero VAD, real-time callers)'));
  const server = await spawnServerChild(opts.root, opts.outDir);
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
    note: 'the load generator (this process) shares the 2 cores with the server child; its CPU use is shown as bench_cpu_pct',
  };
  try {
    await sleep(1500);
    const idleStats = await getJson<BenchStats>(`http://${server.base}/bench/stats?gc=1`);
    const idle = { rss: server.rssMb(), heap: idleStats.memory.heapUsed + idleStats.memory.external };
    result.idle_rss_mb = round(idle.rss);
    log(`server pid ${server.pid}, VAD ${server.vad}, idle RSS ${fmt(idle.rss)} MB; steps ${opts.steps.join(', ')}; warm-up ${opts.warmupS} s, hold ${opts.holdS} s each`);
    log('callers: real flite speech in real time, then wait for the reply; 1 in 4 replies is barged into, the rest are heard to the end');
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
  }
  return result;
}
