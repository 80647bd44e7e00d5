// Step 5: the offline stack, as a fresh install runs it (pocketsphinx STT, the receptionist flow,
// espeak-ng TTS, Silero VAD; loadConfig's defaults) in a child process. Callers stream the 24
// booking utterances (flite, synthesized before anything is measured) in real time over /ws/voice
// and hear each reply to its end. Measured: voice-to-voice (true end of the caller's speech ->
// first agent frame received) for one call over the whole set, then with N concurrent calls, up
// to the first N whose p95 reaches twice the single call's.
import { join } from 'node:path';
import { encodeUtterance } from '../lib/bench-client.js';
import { buildBookingCorpus } from '../lib/booking-corpus.js';
import { spawnBenchServer } from '../lib/bench-server-process.js';
import { sleep } from '../lib/conversation.js';
import type { OfflineSample } from '../lib/offline-caller.js';
import { runOfflineLevel, type OfflineLevel, type OfflineServer } from '../lib/offline-level.js';
import { sampleTree } from '../lib/process-tree.js';
import { getJson } from '../lib/server-child.js';
import { round } from '../lib/stats.js';
import { banner, fmt, table } from '../lib/table.js';

export const OFFLINE_DEFINITION =
  'voice-to-voice = true end of the caller\'s speech (energy end of the streamed flite utterance, client clock) -> ' +
  'first agent audio frame of the reply received by the client; the caller streams 20 ms frames in real time and ' +
  'hears every reply to its end before speaking again.';
/** A level fails when its p95 reaches this many times the single call's p95. */
export const P95_FACTOR = 2;
/** ... or when more than this share of its utterances got no reply. */
const MAX_NO_REPLY_SHARE = 0.1;

export type OfflineResult = {
  definition: string;
  engines: Record<string, string>;
  vad_engine: string;
  idle_rss_mb: number;
  single: OfflineLevel;
  per_utterance: { text: string; heard: string | null; answer: string | null; v2v_ms: number; server_v2v_ms: number | null }[];
  capacity: { baseline_p95_ms: number; limit_p95_ms: number; levels: (OfflineLevel & { verdict: string })[]; max_calls: number | null; limited_by: string };
  note: string;
};

export type OfflineOptions = {
  root: string;
  outDir: string;
  /** Concurrent calls to try, in order, after the single call. */
  levels: number[];
  /** Utterances the single call says, in dialogue order (the whole set unless a quick run). */
  single: number;
  /** Utterances each caller says at a level of concurrent calls (rotated through the set). */
  perCall: number;
  log: (s: string) => void;
};

function verdictOf(level: OfflineLevel, limitMs: number): string {
  if (level.server_exit) return `server died (${level.server_exit})`;
  if (level.replies === 0) return 'no replies';
  if (level.no_reply > MAX_NO_REPLY_SHARE * (level.replies + level.no_reply)) return `${level.no_reply} utterances got no reply`;
  if (level.v2v_client_ms.p95 >= limitMs) return `p95 >= ${fmt(limitMs, 0)} ms`;
  return 'ok';
}

/** Waits until the last call's decoder and session are gone, so the next level starts from idle. */
async function settle(server: OfflineServer): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const { active_sessions } = await getJson<{ active_sessions: number }>(`http://${server.base}/bench/stats`);
    if (active_sessions === 0 && !sampleTree(server.pid).processes['pocketsphinx_co']) return;
    await sleep(200);
  }
}

function printSingle(log: (s: string) => void, single: OfflineLevel, samples: OfflineSample[]): void {
  log(
    table(
      ['#', 'caller said', 'recognizer heard', 'v2v ms', 'server v2v', 'STT final', 'end of utt.', 'TTS ttfb'],
      samples.map((s) => [
        s.index + 1,
        s.text,
        s.heard ?? '-',
        fmt(s.v2vMs, 0),
        fmt(s.server.voice_to_voice_ms, 0),
        fmt(s.server.stt_final_delay_ms, 0),
        fmt(s.server.end_of_utterance_delay_ms, 0),
        fmt(s.server.tts_ttfb_ms, 0),
      ]),
    ),
  );
  const row = (label: string, s: { p50: number; p95: number; max: number; n: number }) => [label, fmt(s.p50, 0), fmt(s.p95, 0), fmt(s.max, 0), s.n];
  const p = single.server_ms;
  log(
    '\n' +
      table(
        ['single call (ms)', 'p50', 'p95', 'max', 'n'],
        [
          row('voice-to-voice, client', single.v2v_client_ms),
          row('voice-to-voice, server turn metric', p.voice_to_voice_ms),
          row('  end of speech -> STT final', p.stt_final_delay_ms),
          row('  end of speech -> reply started (debounce)', p.end_of_utterance_delay_ms),
          row('  reply started -> flow\'s first words', p.llm_ttft_ms),
          row('  TTS request -> first espeak audio', p.tts_ttfb_ms),
          row('  debounce in force', p.debounce_ms),
          row('server end of speech - true end', p.speech_end_error_ms),
        ],
      ),
  );
  log(
    `${single.replies} replies, ${single.no_reply} utterances without a reply, ${single.early_replies} replies that started before the caller finished, ` +
      `${single.dialed} calls dialed (the flow ends the call on "goodbye" and on a hand-over; the caller dials again).`,
  );
}

export async function benchOffline(opts: OfflineOptions): Promise<OfflineResult> {
  const { log } = opts;
  log(banner('5. Offline stack (default config: pocketsphinx, receptionist flow, espeak-ng; server in a child process)'));
  const t0 = performance.now();
  const corpus = buildBookingCorpus();
  const utterances = corpus.map((u, i) => encodeUtterance(u, i));
  log(`synthesized ${corpus.length} booking utterances with flite kal16 in ${fmt((performance.now() - t0) / 1000)} s (before measuring)`);
  const server: OfflineServer = await spawnBenchServer(opts.root, join(opts.root, 'bench', 'lib', 'offline-server.ts'), [], join(opts.outDir, 'offline-server.log'));
  const engines: Record<string, string> = { ...server.ready.engines, vad: server.ready.vad };
  log(`server pid ${server.pid}; engines: STT ${engines.stt}, LLM ${engines.llm}, TTS ${engines.tts}, VAD ${engines.vad}; log: ${server.logFile}`);
  if (server.ready.vad !== 'silero') log(`\n!!!!! WARNING: Silero VAD could NOT be loaded in the server; it uses the ${server.ready.vad} VAD (see the server log) !!!!!\n`);
  try {
    // One unmeasured call first: the first turn of a process runs cold (lazy compilation, file cache).
    await runOfflineLevel(server, { calls: 1, perCall: 1, utterances, idleRssMb: 0 });
    await settle(server);
    const idleRssMb = round(sampleTree(server.pid).rssMb);
    log(`idle server tree RSS ${fmt(idleRssMb, 0)} MB. ${OFFLINE_DEFINITION}`);

    const count = Math.min(opts.single, utterances.length);
    log(`\nOne call, ${count === utterances.length ? 'all ' : ''}${count} of the ${utterances.length} utterances in dialogue order:`);
    const { level: single, samples } = await runOfflineLevel(server, { calls: 1, perCall: count, utterances, idleRssMb });
    await settle(server);
    printSingle(log, single, samples);

    const baseline = single.v2v_client_ms.p95;
    const limit = P95_FACTOR * baseline;
    const levels: (OfflineLevel & { verdict: string })[] = [{ ...single, verdict: verdictOf(single, limit) }];
    let maxCalls: number | null = levels[0].verdict === 'ok' ? 1 : null;
    let limitedBy = levels[0].verdict === 'ok' ? '' : levels[0].verdict;
    log(`\nConcurrent calls: each caller says ${opts.perCall} utterances (rotated through the set), first utterances staggered; limit p95 < ${P95_FACTOR} x ${fmt(baseline, 0)} = ${fmt(limit, 0)} ms`);
    for (const calls of limitedBy ? [] : opts.levels) {
      process.stdout.write(`  running ${calls} calls...\r`);
      const { level } = await runOfflineLevel(server, { calls, perCall: opts.perCall, utterances, idleRssMb });
      const verdict = verdictOf(level, limit);
      levels.push({ ...level, verdict });
      log(`  ${calls} calls: v2v p50 ${fmt(level.v2v_client_ms.p50, 0)} ms, p95 ${fmt(level.v2v_client_ms.p95, 0)} ms, server tree CPU ${fmt(level.server_cpu_pct, 0)}%, ${verdict}`);
      if (level.turns_with_provider_issues) log(`    ${level.turns_with_provider_issues} turns reported provider issues: ${level.provider_issues.join(' | ')}`);
      for (const e of level.errors.slice(0, 10)) log(`    error: ${e}`);
      if (level.errors.length > 10) log(`    ... ${level.errors.length - 10} more errors`);
      if (verdict !== 'ok') {
        limitedBy = verdict;
        break;
      }
      maxCalls = calls;
      await settle(server);
    }
    if (!limitedBy) limitedBy = `not reached (largest level ${opts.levels.at(-1)} passed)`;
    log(
      '\n' +
        table(
          ['calls', 'v2v p50', 'p95', 'max', 'srv v2v p95', 'STT final p95', 'tree CPU%', 'gen CPU%', 'RSS MB', 'MB/call', 'loop p99', 'send p99', 'replies', 'no reply', 'verdict'],
          levels.map((l) => [
            l.calls,
            fmt(l.v2v_client_ms.p50, 0),
            fmt(l.v2v_client_ms.p95, 0),
            fmt(l.v2v_client_ms.max, 0),
            fmt(l.server_ms.voice_to_voice_ms.p95, 0),
            fmt(l.server_ms.stt_final_delay_ms.p95, 0),
            fmt(l.server_cpu_pct, 0),
            fmt(l.gen_cpu_pct, 0),
            fmt(l.rss_mb, 0),
            fmt(l.rss_per_call_mb, 1),
            fmt(l.loop_p99_ms, 1),
            fmt(l.send_lateness_p99_ms, 1),
            l.replies,
            l.no_reply,
            l.verdict,
          ]),
        ),
    );
    log(
      'v2v = as the caller saw it (ms); srv v2v = the server\'s turn metric (its VAD end of speech -> first frame sent); tree CPU% = the server ' +
        'process with its decoders and espeak-ng processes, % of one core (200% = both cores) while all calls were up; gen = this load generator; ' +
        'RSS = the server tree\'s, MB/call = (RSS - idle)/calls; loop p99 = server event-loop delay; send p99 = how late the callers sent their ' +
        'mic frames (a late frame delays the caller\'s speech, so it counts in v2v: the limit needs no separate check).',
    );
    log(
      `\nConcurrent offline calls with voice-to-voice p95 below ${P95_FACTOR}x the single call's (${fmt(limit, 0)} ms): ${maxCalls ?? 'none'} ` +
        `(limited by: ${limitedBy}).`,
    );
    return {
      definition: OFFLINE_DEFINITION,
      engines,
      vad_engine: server.ready.vad,
      idle_rss_mb: idleRssMb,
      single,
      per_utterance: samples.map((s) => ({ text: s.text, heard: s.heard, answer: s.answer, v2v_ms: round(s.v2vMs), server_v2v_ms: s.server.voice_to_voice_ms ?? null })),
      capacity: { baseline_p95_ms: baseline, limit_p95_ms: round(limit), levels, max_calls: maxCalls, limited_by: limitedBy },
      note: 'the load generator (this process) shares the 2 cores with the server; its CPU use is shown as gen CPU%',
    };
  } finally {
    await server.stop();
  }
}
