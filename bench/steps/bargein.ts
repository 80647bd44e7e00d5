// Step 2: barge-in latency. Callers talk over the agent's reply a little after its audio starts;
// the latency runs from the true speech onset in the streamed audio (energy analysis of the flite
// utterance, on the client's clock) to the last agent frame: as handed to the socket by the
// server, and as received by the client. Server and client share performance.now().
import { runConversations } from '../lib/conversation.js';
import { startInstrumentedParley } from '../lib/instrumented-parley.js';
import type { Utterance } from '../lib/speech-corpus.js';
import { roundSummary, summarize, type Summary } from '../lib/stats.js';
import { banner, fmt, table } from '../lib/table.js';

export type BargeInResult = {
  definition: string;
  vad_engine: string;
  vad_fallback: string | null;
  sessions: number;
  samples: number;
  missed: number;
  last_frame_received_ms: Summary;
  last_frame_sent_ms: Summary;
  audio_end_message_ms: Summary;
  breakdown_ms: Record<string, Summary>;
};

export const BARGEIN_DEFINITION =
  'barge-in latency = true speech onset of the caller (energy onset of the streamed utterance, on the client clock) -> ' +
  'last agent audio frame of the interrupted reply (received by the client; handed to ws.send() by the server).';

export async function benchBargeIn(opts: { corpus: Utterance[]; sessions: number; cycles: number; log: (s: string) => void }): Promise<BargeInResult> {
  const { log } = opts;
  log(banner('2. Barge-in latency (in-process server, real Silero VAD)'));
  const server = await startInstrumentedParley();
  if (server.vadFallback) log(`\n!!!!! WARNING: Silero VAD could NOT be loaded; using the ${server.vad.kind} VAD: ${server.vadFallback} !!!!!\n`);
  log(`${opts.sessions} concurrent sessions x ${opts.cycles} utterances (after an unmeasured warm-up); every utterance after a session's first talks over the reply 350-1150 ms into its audio.`);
  const received: number[] = [];
  const sent: number[] = [];
  const endMsg: number[] = [];
  const parts: Record<string, number[]> = { detect_wait: [], vad_lag: [], to_clear: [], clear_to_end_msg: [] };
  let conv;
  try {
    // One unmeasured conversation first: the first turn of a process runs cold (lazy compilation).
    await runConversations({ url: server.url, corpus: opts.corpus, sessions: 1, cycles: 2, mode: 'bargein', seed: 99 });
    conv = await runConversations({
      url: server.url,
      corpus: opts.corpus,
      sessions: opts.sessions,
      cycles: opts.cycles,
      mode: 'bargein',
      seed: 7,
      onProgress: (d, t) => process.stdout.write(`\r  turns ${d}/${t}   `),
    });
    process.stdout.write('\n');
    for (const { client, reply, utterance } of conv.bargeIns) {
      if (reply.lastAudioAt === null || reply.endMsgAt === null) continue;
      received.push(reply.lastAudioAt - utterance.onsetAt);
      endMsg.push(reply.endMsgAt - utterance.onsetAt);
      const turn = server.probe.turn(client.sessionId, reply.turnId);
      if (turn?.lastSocketSendBeforeClear != null) sent.push(turn.lastSocketSendBeforeClear - utterance.onsetAt);
      const start = turn?.bargeStart;
      if (turn && start && turn.clearAt !== null) {
        parts.detect_wait.push(start.frameArrivalAt - utterance.onsetAt);
        parts.vad_lag.push(start.lagMs);
        parts.to_clear.push(turn.clearAt - start.eventAt);
        parts.clear_to_end_msg.push(reply.endMsgAt - turn.clearAt);
      }
    }
  } finally {
    await server.close();
  }
  const missed = conv.bargeIns.length === 0 ? 0 : conv.bargeIns.length - received.length;
  const r = roundSummary(summarize(received));
  const s = roundSummary(summarize(sent));
  const e = roundSummary(summarize(endMsg));
  const breakdown: Record<string, Summary> = {};
  for (const [k, v] of Object.entries(parts)) breakdown[k] = roundSummary(summarize(v));

  log(`\nDefinition: ${BARGEIN_DEFINITION}`);
  log(`Samples: ${r.n} barge-ins (${missed} without a clean record)`);
  log(
    table(
      ['speech onset ->', 'p50', 'p95', 'p99', 'max', 'n'],
      [
        ['last agent frame handed to socket (ms)', fmt(s.p50), fmt(s.p95), fmt(s.p99), fmt(s.max), s.n],
        ['last agent frame received by client (ms)', fmt(r.p50), fmt(r.p95), fmt(r.p99), fmt(r.max), r.n],
        ['agent_audio_end received by client (ms)', fmt(e.p50), fmt(e.p95), fmt(e.p99), fmt(e.max), e.n],
      ],
    ),
  );
  log('\nBreakdown (onset -> agent_audio_end received):');
  const labels: Record<string, string> = {
    detect_wait: 'onset -> frame completing the speech_start window arrives (min speech, window, uplink)',
    vad_lag: 'VAD processing lag                                                  [Parley]',
    to_clear: 'speech_start at the session -> output cleared                       [Parley]',
    clear_to_end_msg: 'output cleared -> agent_audio_end at the client (transport)',
  };
  log(table(['part', 'p50', 'p95', 'p99', 'max'], Object.keys(parts).map((k) => [labels[k], fmt(breakdown[k].p50, 2), fmt(breakdown[k].p95, 2), fmt(breakdown[k].p99, 2), fmt(breakdown[k].max, 2)])));
  log('(the last frame leaves up to one 20 ms frame before the clear, so "last frame" figures sit below "agent_audio_end")');
  return {
    definition: BARGEIN_DEFINITION,
    vad_engine: server.vad.kind,
    vad_fallback: server.vadFallback,
    sessions: opts.sessions,
    samples: r.n,
    missed,
    last_frame_received_ms: r,
    last_frame_sent_ms: s,
    audio_end_message_ms: e,
    breakdown_ms: breakdown,
  };
}
