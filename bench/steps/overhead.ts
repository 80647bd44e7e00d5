// Step 1: orchestration overhead. Real speech over real WebSockets into an in-process Parley whose
// providers, VAD and clock are wrapped in timing decorators; every reply's voice-to-voice time is
// split into policy waits, provider time and Parley's own time (see lib/critical-path.ts).
import { banner, fmt, table } from '../lib/table.js';
import { runConversations } from '../lib/conversation.js';
import { criticalPath, PART_LABELS, PARTS, type CriticalPath } from '../lib/critical-path.js';
import { startInstrumentedParley } from '../lib/instrumented-parley.js';
import type { Utterance } from '../lib/speech-corpus.js';
import { roundSummary, summarize, type Summary } from '../lib/stats.js';

export type OverheadResult = {
  definition: string;
  vad_engine: string;
  vad_fallback: string | null;
  sessions: number;
  turns: number;
  discarded: number;
  no_reply: number;
  overhead_ms: Summary;
  voice_to_voice_client_ms: Summary;
  voice_to_voice_server_ms: Summary;
  breakdown_ms: Record<string, Summary>;
  mic_lateness_p99_ms: number;
};

export const OVERHEAD_DEFINITION =
  'Parley overhead = (VAD: arrival of the frame completing the end-of-speech window -> speech_end at the session) + ' +
  '(debounce timer due -> LLM stream() called) + (max(LLM token completing the first chunk, commit timer due) -> TTS synthesize() called) + ' +
  '(first TTS audio yielded -> first agent frame handed to ws.send()); provider times measured at the provider boundary by decorators; ' +
  'each gap floored at 0 (timers can fire <1 ms early).';

export async function benchOverhead(opts: { corpus: Utterance[]; sessions: number; cycles: number; log: (s: string) => void }): Promise<OverheadResult> {
  const { log } = opts;
  log(banner('1. Orchestration overhead (critical path, in-process server, real Silero VAD)'));
  const server = await startInstrumentedParley();
  if (server.vadFallback) log(`\n!!!!! WARNING: Silero VAD could NOT be loaded; using the ${server.vad.kind} VAD: ${server.vadFallback} !!!!!\n`);
  log(`${opts.sessions} concurrent sessions x ${opts.cycles} utterances (after one unmeasured warm-up turn); each reply is stopped by an interrupt 250 ms after its first audio.`);
  const samples: { path: CriticalPath; serverV2v: number | null }[] = [];
  let conv;
  try {
    // One unmeasured conversation first: the first turn of a process runs cold (lazy compilation).
    await runConversations({ url: server.url, corpus: opts.corpus, sessions: 1, cycles: 1, mode: 'interrupt', seed: 99 });
    conv = await runConversations({
      url: server.url,
      corpus: opts.corpus,
      sessions: opts.sessions,
      cycles: opts.cycles,
      mode: 'interrupt',
      onProgress: (d, t) => process.stdout.write(`\r  turns ${d}/${t}   `),
    });
    process.stdout.write('\n');
    // Let the last turn_complete records land.
    await new Promise((r) => setTimeout(r, 300));
    for (const { client, reply, utterance } of conv.replies) {
      const turn = server.probe.turn(client.sessionId, reply.turnId);
      if (!turn || reply.firstAudioAt === null) continue;
      const path = criticalPath(turn, utterance.offsetAt, reply.firstAudioAt);
      if (!path) continue;
      samples.push({ path, serverV2v: turn.record?.latencies.voiceToVoiceMs ?? null });
    }
  } finally {
    await server.close();
  }
  // A reply whose end-of-speech decision came far from the true end (an utterance split by the
  // VAD, or merged with noise) is not a clean sample of the pipeline.
  const clean = samples.filter((s) => s.path.parts.vad_wait > 0 && s.path.parts.vad_wait < 1000);
  const discarded = conv.replies.length - clean.length;
  const results = clean.map((s) => s.path);
  const serverV2v = clean.flatMap((s) => (s.serverV2v === null ? [] : [s.serverV2v]));

  const breakdown: Record<string, Summary> = {};
  for (const p of PARTS) breakdown[p] = roundSummary(summarize(results.map((r) => r.parts[p])));
  const overhead = roundSummary(summarize(results.map((r) => r.overheadMs)));
  const v2v = roundSummary(summarize(results.map((r) => r.voiceToVoiceMs)));
  const v2vServer = roundSummary(summarize(serverV2v));

  log(`\nDefinition: ${OVERHEAD_DEFINITION}`);
  log(`\nSamples: ${results.length} replies (${discarded} discarded as incomplete or split utterances, ${conv.noReply} utterances without a reply)`);
  log(
    table(
      ['', 'p50', 'p95', 'p99', 'max', 'n'],
      [
        ['Parley overhead (ms)', fmt(overhead.p50, 2), fmt(overhead.p95, 2), fmt(overhead.p99, 2), fmt(overhead.max, 2), overhead.n],
        ['voice-to-voice, client (ms)', fmt(v2v.p50), fmt(v2v.p95), fmt(v2v.p99), fmt(v2v.max), v2v.n],
        ['voice-to-voice, server turn metric (ms)', fmt(v2vServer.p50), fmt(v2vServer.p95), fmt(v2vServer.p99), fmt(v2vServer.max), v2vServer.n],
      ],
    ),
  );
  log('\nVoice-to-voice as the client sees it (true end of speech -> first agent frame received), by part:');
  log(
    table(
      ['part', 'p50', 'p95', 'p99', 'max'],
      PARTS.map((p) => [PART_LABELS[p], fmt(breakdown[p].p50, 2), fmt(breakdown[p].p95, 2), fmt(breakdown[p].p99, 2), fmt(breakdown[p].max, 2)]),
    ),
  );
  log('(parts are per-part percentiles; the parts of one reply add up exactly to its voice-to-voice time)');
  const worst = [...results].sort((a, b) => b.overheadMs - a.overheadMs).slice(0, 3);
  log(`Largest overheads: ${worst.map((w) => `${fmt(w.overheadMs, 2)} ms (vad_lag ${fmt(w.parts.vad_lag, 2)}, to_llm ${fmt(w.parts.to_llm, 2)}, to_tts ${fmt(w.parts.to_tts, 2)}, to_socket ${fmt(w.parts.to_socket, 2)})`).join('; ')}`);
  return {
    definition: OVERHEAD_DEFINITION,
    vad_engine: server.vad.kind,
    vad_fallback: server.vadFallback,
    sessions: opts.sessions,
    turns: results.length,
    discarded,
    no_reply: conv.noReply,
    overhead_ms: overhead,
    voice_to_voice_client_ms: v2v,
    voice_to_voice_server_ms: v2vServer,
    breakdown_ms: breakdown,
    mic_lateness_p99_ms: conv.micLatenessP99Ms,
  };
}
