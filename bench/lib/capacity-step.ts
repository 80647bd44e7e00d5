// One load level of the capacity step: N real-time callers against the server child for a warm-up
// and a hold, with the server's pacing, event-loop delay, CPU and memory read around the hold and
// the callers' own view (voice-to-voice, barge-in, send lateness) collected during it.
import { BenchClient, encodeUtterance } from './bench-client.js';
import { mulberry32 } from '../../test/helpers/random.js';
import { sleep } from './conversation.js';
import { LoadMetrics, runCaller } from './load-caller.js';
import { MicScheduler } from './mic-scheduler.js';
import { getJson, post, type ServerChild } from './server-child.js';
import type { Utterance } from './speech-corpus.js';
import { LatenessHistogram, round, roundSummary, summarize, type Summary } from './stats.js';
import { fmt } from './table.js';

export const PACING_LIMIT_MS = 20;
/** Above this the load generator is late by a whole frame: results would not be real time. */
export const CLIENT_LATENESS_LIMIT_MS = 20;
/** More unanswered utterances than this share means the server no longer keeps up. */
export const MAX_NO_REPLY_SHARE = 0.02;

type Pacing = { samples: number; p50_ms: number; p95_ms: number; p99_ms: number; max_ms: number };
export type BenchStats = {
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

export type StepOptions = { corpus: Utterance[]; warmupS: number; holdS: number };

export async function runStep(server: ServerChild, n: number, opts: StepOptions, idle: { rss: number; heap: number }): Promise<CapacityStep> {
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
        : metrics.noReply > MAX_NO_REPLY_SHARE * (metrics.replies.length + metrics.noReply)
          ? `${metrics.noReply} utterances got no reply`
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
