// Drives in-process bench conversations over real WebSockets: each client speaks real utterances
// in real time and reacts to the agent the way a caller would. Two behaviours:
//  - 'interrupt': speak, wait for the reply's first audio, stop it with an interrupt message
//    (keeps turns short when only the reply's start matters), pause, repeat;
//  - 'bargein': speak, and talk over the reply a little after its audio starts: every utterance
//    after the first is a barge-in, and is itself the next turn.
import { BenchClient, encodeUtterance, type ReceivedReply, type SpokenUtterance } from './bench-client.js';
import { MicScheduler } from './mic-scheduler.js';
import type { Utterance } from './speech-corpus.js';
import { mulberry32 } from '../../test/helpers/random.js';

export type ConversationMode = 'interrupt' | 'bargein';

export type ConversationOptions = {
  url: string;
  corpus: Utterance[];
  sessions: number;
  /** Utterances per session. */
  cycles: number;
  mode: ConversationMode;
  seed?: number;
  onProgress?: (done: number, total: number) => void;
};

export type ConversationResult = {
  clients: BenchClient[];
  /** Replies paired with the utterance that led to them. */
  replies: { client: BenchClient; reply: ReceivedReply; utterance: SpokenUtterance }[];
  /** Interrupted replies paired with the utterance that cut them. */
  bargeIns: { client: BenchClient; reply: ReceivedReply; utterance: SpokenUtterance }[];
  noReply: number;
  micLatenessP99Ms: number;
};

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));


/** Resolves on the next event a client listener reports, or null after `timeoutMs`. */
export class ReplyWatch {
  private startWaiter: ((r: ReceivedReply | null) => void) | null = null;
  private endWaiter: ((r: ReceivedReply | null) => void) | null = null;

  constructor(client: BenchClient) {
    client.setListener({
      onReplyStart: (r) => this.startWaiter?.(r),
      onReplyEnd: (r) => this.endWaiter?.(r),
    });
  }

  nextStart(timeoutMs: number): Promise<ReceivedReply | null> {
    return this.wait((f) => (this.startWaiter = f), timeoutMs);
  }

  nextEnd(timeoutMs: number): Promise<ReceivedReply | null> {
    return this.wait((f) => (this.endWaiter = f), timeoutMs);
  }

  private wait(set: (f: (r: ReceivedReply | null) => void) => void, timeoutMs: number): Promise<ReceivedReply | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(null), timeoutMs);
      const done = (r: ReceivedReply | null) => {
        clearTimeout(timer);
        set(() => {});
        resolve(r);
      };
      set(done);
    });
  }
}

async function waitUntil(pred: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!pred()) {
    if (performance.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

export async function runConversations(opts: ConversationOptions): Promise<ConversationResult> {
  const rng = mulberry32(opts.seed ?? 42);
  const encoded = opts.corpus.map((u, i) => encodeUtterance(u, i));
  const scheduler = new MicScheduler();
  const result: ConversationResult = { clients: [], replies: [], bargeIns: [], noReply: 0, micLatenessP99Ms: 0 };
  const total = opts.sessions * opts.cycles;
  let done = 0;

  const runOne = async (index: number): Promise<void> => {
    const client = await BenchClient.connect(opts.url);
    result.clients.push(client);
    const watch = new ReplyWatch(client);
    await client.start();
    client.startMic(performance.now() + (index * 20) / Math.max(1, opts.sessions));
    scheduler.add(client);
    // Stagger the sessions so their turns do not line up.
    await sleep(400 + index * 700);
    let pick = Math.floor(rng() * encoded.length);
    const next = () => {
      const enc = encoded[pick];
      pick = (pick + 1 + Math.floor(rng() * (encoded.length - 1))) % encoded.length;
      return enc;
    };
    let said = client.say(next());
    for (let cycle = 0; cycle < opts.cycles; cycle++) {
      const reply = await watch.nextStart(said.offsetAt - performance.now() + 8000);
      opts.onProgress?.(++done, total);
      const last = cycle === opts.cycles - 1;
      if (!reply || reply.after !== said) {
        if (!reply) result.noReply++;
        await waitUntil(() => !client.speaking, 10000);
        await sleep(1500);
        if (!last) said = client.say(next());
        continue;
      }
      result.replies.push({ client, reply, utterance: said });
      await waitUntil(() => reply.firstAudioAt !== null, 2000);
      if (opts.mode === 'interrupt' || last) {
        await sleep(250);
        client.send({ type: 'interrupt' });
        await watch.nextEnd(3000);
        await sleep(700 + rng() * 400);
        if (!last) said = client.say(next());
      } else {
        // Let the caller hear a little of the reply, then talk over it; that speech is the next turn.
        await sleep(350 + rng() * 800);
        const barge = client.say(next());
        const ended = await watch.nextEnd(3000);
        if (ended?.interrupted) result.bargeIns.push({ client, reply: ended, utterance: barge });
        said = barge;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.sessions }, (_, i) => runOne(i)));
  scheduler.stop();
  result.micLatenessP99Ms = scheduler.lateness.quantile(0.99);
  for (const c of result.clients) {
    c.end();
    c.close();
  }
  return result;
}
