// One load level of the offline step: N callers (staggered) each say their share of the booking
// utterances to the offline server in real time; the server's process tree (Node, one decoder per
// call, espeak-ng) is sampled for CPU and memory while all N calls are up.
import type { EncodedUtterance } from './bench-client.js';
import type { BenchServerProcess, ReadyLine } from './bench-server-process.js';
import { MicScheduler } from './mic-scheduler.js';
import { CallerTally, runOfflineCaller, SERVER_PARTS, type OfflineSample } from './offline-caller.js';
import { sampleTree, type TreeSample } from './process-tree.js';
import { getJson } from './server-child.js';
import { round, roundSummary, summarize, type Summary } from './stats.js';

export type OfflineServer = BenchServerProcess<ReadyLine & { pid: number; vad: string; engines: Record<string, string> }>;

/** pocketsphinx_continuous as /proc names it (command names are cut to 15 characters). */
const DECODER_COMM = 'pocketsphinx_co';
const SAMPLE_EVERY_MS = 1000;
/** Callers' first utterances are spread over about one speak-listen cycle. */
const STAGGER_SPREAD_MS = 6000;

export type LevelOptions = {
  calls: number;
  perCall: number;
  utterances: readonly EncodedUtterance[];
  /** RSS of the idle server tree, to tell memory per call. */
  idleRssMb: number;
};

export type OfflineLevel = {
  calls: number;
  utterances_per_call: number;
  replies: number;
  no_reply: number;
  early_replies: number;
  dialed: number;
  /** Turns on which the server reported a provider fallback or failure, and the distinct reports. */
  turns_with_provider_issues: number;
  provider_issues: string[];
  v2v_client_ms: Summary;
  server_ms: Record<string, Summary>;
  /** CPU of the server tree (Node + decoders + espeak-ng), % of one core, while all calls were up. */
  server_cpu_pct: number;
  gen_cpu_pct: number;
  rss_mb: number;
  rss_per_call_mb: number;
  decoders_max: number;
  loop_p99_ms: number | null;
  send_lateness_p99_ms: number;
  full_load_s: number;
  errors: string[];
  server_exit: string | null;
};

type Probe = { tree: TreeSample; gen: NodeJS.CpuUsage; decoders: number };

/** Summaries of the server's turn marks over the samples. */
export function serverParts(samples: readonly OfflineSample[]): Record<string, Summary> {
  const out: Record<string, Summary> = {};
  for (const part of SERVER_PARTS) out[part] = roundSummary(summarize(samples.flatMap((s) => (typeof s.server[part] === 'number' ? [s.server[part]] : []))));
  out.speech_end_error_ms = roundSummary(summarize(samples.flatMap((s) => (s.speechEndErrorMs === null ? [] : [s.speechEndErrorMs]))));
  return out;
}

export async function runOfflineLevel(server: OfflineServer, opts: LevelOptions): Promise<{ level: OfflineLevel; samples: OfflineSample[] }> {
  const http = `http://${server.base}`;
  const total = opts.utterances.length;
  const scheduler = new MicScheduler();
  const tally = new CallerTally();
  const probes: Probe[] = [];
  const probe = () => {
    const tree = sampleTree(server.pid);
    probes.push({ tree, gen: process.cpuUsage(), decoders: tree.processes[DECODER_COMM] ?? 0 });
  };
  await getJson(`${http}/bench/stats`); // resets the event-loop histogram
  const sampler = setInterval(probe, SAMPLE_EVERY_MS);
  const callers = Array.from({ length: opts.calls }, (_, id) => {
    const first = Math.floor((id * total) / opts.calls);
    return runOfflineCaller({
      id,
      url: `ws://${server.base}/ws/voice`,
      scheduler,
      utterances: opts.utterances,
      order: Array.from({ length: opts.perCall }, (_, k) => (first + k) % total),
      startDelayMs: (id * STAGGER_SPREAD_MS) / opts.calls,
      pauseMs: () => 500 + Math.random() * 500,
      tally,
      aborted: () => server.exit() !== null,
    });
  });
  await Promise.all(callers);
  clearInterval(sampler);
  scheduler.stop();
  const exit = server.exit();
  const stats = exit ? null : await getJson<{ loop_delay_ms: { p99: number } }>(`${http}/bench/stats`);

  // Full load: the samples taken while every call had its decoder running.
  const full = probes.filter((p) => p.decoders >= opts.calls);
  const window = full.length >= 2 ? full : probes;
  const a = window[0];
  const b = window[window.length - 1];
  const wall = b && a && b.tree.at > a.tree.at ? b.tree.at - a.tree.at : Number.NaN;
  const genMs = b && a ? (b.gen.user + b.gen.system - a.gen.user - a.gen.system) / 1000 : Number.NaN;
  const rss = Math.max(...window.map((p) => p.tree.rssMb));
  const samples = tally.samples;
  return {
    samples,
    level: {
      calls: opts.calls,
      utterances_per_call: opts.perCall,
      replies: samples.length,
      no_reply: tally.noReply.length,
      early_replies: tally.early,
      dialed: tally.calls,
      turns_with_provider_issues: samples.filter((s) => s.providerIssues.length > 0).length,
      provider_issues: [...new Set(samples.flatMap((s) => s.providerIssues))].slice(0, 10),
      v2v_client_ms: roundSummary(summarize(samples.map((s) => s.v2vMs))),
      server_ms: serverParts(samples),
      server_cpu_pct: round((((b?.tree.cpuMs ?? 0) - (a?.tree.cpuMs ?? 0)) / wall) * 100),
      gen_cpu_pct: round((genMs / wall) * 100),
      rss_mb: round(rss),
      rss_per_call_mb: round((rss - opts.idleRssMb) / opts.calls),
      decoders_max: Math.max(0, ...probes.map((p) => p.decoders)),
      loop_p99_ms: stats ? stats.loop_delay_ms.p99 : null,
      send_lateness_p99_ms: round(scheduler.lateness.quantile(0.99)),
      full_load_s: full.length >= 2 ? round(wall / 1000) : 0,
      errors: tally.errors,
      server_exit: exit ? `code ${exit.code}, signal ${exit.signal}` : null,
    },
  };
}
