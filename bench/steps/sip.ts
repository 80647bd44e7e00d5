// Step `sip`: concurrent SIP calls with RTP held by one Parley process. The server (bench/
// capacity-server.ts: simulated STT/LLM/TTS, real Silero VAD) runs in a child process; this
// process places N SIP calls to its SIP endpoint, each streaming real speech as PCMU every 20 ms
// and timing every RTP packet Parley sends back. Per level: answered calls, outbound jitter on the
// wire (RFC 3550 |D|, p50/p99), server memory per call and CPU. The figure: the most calls held with
// outbound jitter p99 under 20 ms.
import { muLawDecode, muLawEncode } from '../../src/audio/g711.js';
import { Resampler } from '../../src/audio/resampler.js';
import { sampleTree } from '../lib/process-tree.js';
import { getJson, spawnServerChild } from '../lib/server-child.js';
import { SipLoadCaller } from '../lib/sip-load-caller.js';
import type { Utterance } from '../lib/speech-corpus.js';
import { round, summarize } from '../lib/stats.js';
import { banner, fmt, table } from '../lib/table.js';

export const SIP_JITTER_LIMIT_MS = 20;

export type SipLevel = {
  calls: number;
  answered: number;
  failed: number;
  jitter_p50_ms: number;
  jitter_p99_ms: number;
  jitter_max_ms: number;
  /** p99 without talkspurt starts (marker bit), where the sender switches between silence and speech. */
  steady_jitter_p99_ms: number;
  /** The server's own view: lateness of agent frames against their due time, p99 (no network, no generator). */
  server_pacing_p99_ms: number;
  packets_received: number;
  packets_missing: number;
  server_rss_mb: number;
  memory_per_call_mb: number;
  server_cpu_pct: number;
  /** This process (the SIP load generator) on the same machine. */
  generator_cpu_pct: number;
  leaked_calls: number;
};

export type SipResult = { idle_rss_mb: number; levels: SipLevel[]; max_calls_under_limit: number | null; vad: string; note: string };

export type SipOptions = { root: string; outDir: string; corpus: Utterance[]; levels: number[]; holdS: number; log: (s: string) => void };

type Health = { sip: { listening: boolean; port?: number; calls?: number }; phone_calls: number; outbound_pacing: { p99_ms: number } };
type Stats = { memory: { rss: number } };

export async function benchSip(opts: SipOptions): Promise<SipResult> {
  const { log } = opts;
  log(banner('SIP: concurrent calls with RTP in one process (server in a child process, Silero VAD, simulated STT/LLM/TTS)'));
  const server = await spawnServerChild(opts.root, opts.outDir);
  try {
    const health = await getJson<Health>(`http://${server.base}/health`);
    if (!health.sip.listening || !health.sip.port) throw new Error('the server has no SIP endpoint listening');
    const target = { host: '127.0.0.1', port: health.sip.port };
    const audio = callerAudio(opts.corpus);
    const idle = (await getJson<Stats>(`http://${server.base}/bench/stats?gc=1`)).memory.rss / 1048576;
    const levels: SipLevel[] = [];
    for (const calls of opts.levels) {
      const caller = new SipLoadCaller(target, audio);
      await caller.start();
      // Calls arrive over 2 s at most, as a burst of real callers would.
      const placed = await caller.place(calls, Math.min(40, 2000 / calls));
      await new Promise((r) => setTimeout(r, 3000));
      caller.measure();
      await fetch(`http://${server.base}/health/reset-stats`, { method: 'POST' });
      const cpu0 = sampleTree(server.pid);
      const gen0 = { at: performance.now(), cpu: process.cpuUsage() };
      await new Promise((r) => setTimeout(r, opts.holdS * 1000));
      const cpu1 = sampleTree(server.pid);
      const genCpu = process.cpuUsage(gen0.cpu);
      const generatorCpuPct = ((genCpu.user + genCpu.system) / 1000 / (performance.now() - gen0.at)) * 100;
      const measured = caller.result();
      const pacing = (await getJson<Health>(`http://${server.base}/health`)).outbound_pacing;
      const rss = (await getJson<Stats>(`http://${server.base}/bench/stats?gc=1`)).memory.rss / 1048576;
      await caller.stop();
      // Hang-ups settle (BYE, ports released) before the next level and before counting leaks.
      let after = await getJson<Health>(`http://${server.base}/health`);
      for (let i = 0; i < 50 && (after.phone_calls > 0 || (after.sip.calls ?? 0) > 0); i++) {
        await new Promise((r) => setTimeout(r, 200));
        after = await getJson<Health>(`http://${server.base}/health`);
      }
      const jitter = summarize(measured.jitterMs.length ? measured.jitterMs : [Number.NaN]);
      const steady = summarize(measured.steadyJitterMs.length ? measured.steadyJitterMs : [Number.NaN]);
      const level: SipLevel = {
        calls,
        answered: placed.answered,
        failed: placed.failed.length,
        jitter_p50_ms: round(jitter.p50),
        jitter_p99_ms: round(jitter.p99),
        jitter_max_ms: round(jitter.max),
        steady_jitter_p99_ms: round(steady.p99),
        server_pacing_p99_ms: round(pacing.p99_ms),
        packets_received: measured.packetsReceived,
        packets_missing: measured.packetsMissing,
        server_rss_mb: round(rss),
        memory_per_call_mb: round((rss - idle) / Math.max(1, placed.answered)),
        server_cpu_pct: round(((cpu1.cpuMs - cpu0.cpuMs) / (cpu1.at - cpu0.at)) * 100),
        generator_cpu_pct: round(generatorCpuPct),
        leaked_calls: after.phone_calls + (after.sip.calls ?? 0),
      };
      levels.push(level);
      log(
        `  ${calls} calls: answered ${level.answered}, outbound jitter p50 ${fmt(level.jitter_p50_ms, 2)} / p99 ${fmt(level.jitter_p99_ms, 2)} ms (within talkspurts p99 ${fmt(level.steady_jitter_p99_ms, 2)}; server-side pacing p99 ${fmt(level.server_pacing_p99_ms, 1)}), ` +
          `server ${fmt(level.server_rss_mb, 0)} MB (${fmt(level.memory_per_call_mb, 2)} MB/call), CPU ${fmt(level.server_cpu_pct, 0)}% (load generator ${fmt(level.generator_cpu_pct, 0)}%), leaked ${level.leaked_calls}` +
          (placed.failed.length ? `; failures: ${[...new Set(placed.failed)].join(', ')}` : ''),
      );
      if (level.jitter_p99_ms >= SIP_JITTER_LIMIT_MS || level.answered < calls) break;
    }
    log(
      `\n${table(
        ['calls', 'answered', 'jitter p50 ms', 'jitter p99 ms', 'steady p99 ms', 'server pacing p99', 'jitter max ms', 'missing pkts', 'server MB', 'MB/call', 'CPU %', 'generator CPU %'],
        levels.map((l) => [l.calls, l.answered, fmt(l.jitter_p50_ms, 2), fmt(l.jitter_p99_ms, 2), fmt(l.steady_jitter_p99_ms, 2), fmt(l.server_pacing_p99_ms, 1), fmt(l.jitter_max_ms, 1), l.packets_missing, fmt(l.server_rss_mb, 0), fmt(l.memory_per_call_mb, 2), fmt(l.server_cpu_pct, 0), fmt(l.generator_cpu_pct, 0)]),
      )}`,
    );
    const ok = levels.filter((l) => l.jitter_p99_ms < SIP_JITTER_LIMIT_MS && l.answered === l.calls);
    const max = ok.length ? Math.max(...ok.map((l) => l.calls)) : null;
    log(`\nmost concurrent SIP calls with outbound jitter p99 < ${SIP_JITTER_LIMIT_MS} ms: ${max ?? 'none of the levels tried'} (levels tried: ${levels.map((l) => l.calls).join(', ')})`);
    return {
      idle_rss_mb: round(idle),
      levels,
      max_calls_under_limit: max,
      vad: server.vad,
      note: 'load generator and server share the machine; jitter is |D| of RFC 3550 between consecutive RTP packets as received on loopback',
    };
  } finally {
    await server.stop();
  }
}

/** The corpus' utterances at 8 kHz, with a second of silence after each: what every caller says, looped. */
function callerAudio(corpus: Utterance[]): Int16Array {
  const resampler = new Resampler(16000, 8000);
  const parts: Int16Array[] = [];
  for (const u of corpus) {
    parts.push(resampler.process(u.samples));
    parts.push(new Int16Array(8000));
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Int16Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  // Through G.711 once, so what is sent is exactly what a phone line carries.
  return muLawDecode(muLawEncode(out));
}
