// One caller of the offline stack: opens a call, listens to the flow's greeting to its end, then
// says its utterances one by one in real time, each after the previous reply was heard to its end
// and a short pause, as a person on the phone would. When the flow ends the call (goodbye, hand
// over to a person) the caller dials again and goes on with its next utterance.
import { BenchClient, type EncodedUtterance, type ReceivedReply, type SpokenUtterance } from './bench-client.js';
import { CallWaiter, type CompletedTurn } from './call-waiter.js';
import { sleep } from './conversation.js';
import { FRAME_MS, type MicScheduler } from './mic-scheduler.js';

/** A reply that has not started this long after the utterance was fully sent counts as missing. */
const REPLY_TIMEOUT_MS = 15_000;
const GREETING_TIMEOUT_MS = 15_000;
const REPLY_END_TIMEOUT_MS = 60_000;
const TURN_RECORD_TIMEOUT_MS = 2_000;

/** The server's marks for one turn (turn_complete metrics), ms. */
export const SERVER_PARTS = ['voice_to_voice_ms', 'stt_final_delay_ms', 'end_of_utterance_delay_ms', 'llm_ttft_ms', 'tts_ttfb_ms', 'debounce_ms'] as const;
export type ServerPart = (typeof SERVER_PARTS)[number];

export type OfflineSample = {
  caller: number;
  index: number;
  text: string;
  /** What the recognizer heard and what the flow answered (turn_complete). */
  heard: string | null;
  answer: string | null;
  /** Provider fallbacks and failures the server reported for the turn (e.g. the decoder fell behind). */
  providerIssues: string[];
  /** Client clock: true end of speech in the streamed audio -> first agent frame received. */
  v2vMs: number;
  server: Partial<Record<ServerPart, number | null>>;
  /** Server's end_of_speech_at minus the true end of speech (both wall clock), ms. */
  speechEndErrorMs: number | null;
};

export class CallerTally {
  readonly samples: OfflineSample[] = [];
  readonly noReply: string[] = [];
  /** Replies that started before the caller had finished the utterance (a pause split it). */
  early = 0;
  calls = 0;
  readonly errors: string[] = [];
}

export type CallerOptions = {
  id: number;
  url: string;
  scheduler: MicScheduler;
  utterances: readonly EncodedUtterance[];
  /** Indexes into `utterances`, in the order this caller says them. */
  order: readonly number[];
  startDelayMs: number;
  /** Pause between hearing the end of a reply and speaking again. */
  pauseMs: () => number;
  tally: CallerTally;
  /** Whether the run has been called off (the server died). */
  aborted: () => boolean;
};

type Call = { client: BenchClient; waiter: CallWaiter };

async function dial(opts: CallerOptions): Promise<Call> {
  const client = await BenchClient.connect(opts.url);
  const waiter = new CallWaiter(client);
  await client.start();
  client.startMic(performance.now());
  opts.scheduler.add(client);
  opts.tally.calls++;
  const greeting = await waiter.until(() => client.replies[0], GREETING_TIMEOUT_MS);
  if (!greeting) opts.tally.errors.push(`caller ${opts.id}: no greeting within ${GREETING_TIMEOUT_MS / 1000} s`);
  else await waiter.until(() => greeting.endMsgAt !== null || client.closed, REPLY_END_TIMEOUT_MS);
  return { client, waiter };
}

function hangUp(call: Call, opts: CallerOptions): void {
  opts.tally.errors.push(...call.client.errors.map((e) => `caller ${opts.id}: ${e}`));
  call.client.end();
  call.client.close();
}

/** Performance.now() on this process as wall-clock epoch ms (the server's turn marks are epoch). */
const epoch = (at: number) => performance.timeOrigin + at;

function sampleOf(opts: CallerOptions, said: SpokenUtterance, reply: ReceivedReply, turn: CompletedTurn | null): OfflineSample {
  const m = turn?.metrics ?? {};
  const server: OfflineSample['server'] = {};
  for (const part of SERVER_PARTS) server[part] = m[part] ?? null;
  const end = m.end_of_speech_at;
  return {
    caller: opts.id,
    index: said.index,
    text: said.text,
    heard: turn?.user_text ?? null,
    answer: turn?.agent_text ?? null,
    providerIssues: turn?.provider_issues ?? [],
    v2vMs: reply.firstAudioAt! - said.offsetAt,
    server,
    speechEndErrorMs: typeof end === 'number' ? end - epoch(said.offsetAt) : null,
  };
}

export async function runOfflineCaller(opts: CallerOptions): Promise<void> {
  await sleep(opts.startDelayMs);
  let call: Call | null = null;
  try {
    for (const index of opts.order) {
      if (opts.aborted()) return;
      if (!call || call.client.closed) {
        if (call) hangUp(call, opts);
        call = await dial(opts);
      }
      const { client, waiter } = call;
      const enc = opts.utterances[index];
      const said = client.say(enc);
      const sentBy = said.startAt + enc.frames * FRAME_MS;
      let early = 0;
      const reply = await waiter.until(() => {
        const mine = client.replies.filter((r) => r.after === said);
        early = mine.filter((r) => r.audioStartMsgAt < said.offsetAt).length;
        return mine.find((r) => r.audioStartMsgAt >= said.offsetAt) ?? (client.closed ? 'closed' : null);
      }, sentBy - performance.now() + REPLY_TIMEOUT_MS);
      opts.tally.early += early;
      if (!reply || reply === 'closed') {
        opts.tally.noReply.push(said.text);
        if (reply === 'closed') opts.tally.errors.push(`caller ${opts.id}: call closed (${call.client.endedReason ?? 'no reason given'}) while waiting for the reply to "${said.text}"`);
        await sleep(Math.max(0, sentBy - performance.now()) + opts.pauseMs());
        continue;
      }
      await waiter.until(() => reply.firstAudioAt !== null || reply.endMsgAt !== null || client.closed, REPLY_END_TIMEOUT_MS);
      if (reply.firstAudioAt === null) {
        opts.tally.noReply.push(said.text);
        opts.tally.errors.push(`caller ${opts.id}: reply ${reply.turnId} to "${said.text}" carried no audio`);
        continue;
      }
      await waiter.until(() => reply.endMsgAt !== null || client.closed, REPLY_END_TIMEOUT_MS);
      const turn = await waiter.until(() => waiter.turns.get(reply.turnId), TURN_RECORD_TIMEOUT_MS);
      opts.tally.samples.push(sampleOf(opts, said, reply, turn));
      await sleep(opts.pauseMs());
    }
  } catch (err) {
    opts.tally.errors.push(`caller ${opts.id}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    if (call) hangUp(call, opts);
  }
}
