// One simulated caller for the capacity step: speaks a real utterance, waits for the reply, and
// either listens to it to the end or (one time in four) talks over it; then again, until told to
// stop. Event driven (no polling), so a few hundred of them stay cheap.
import type { BenchClient, EncodedUtterance, ReceivedReply, SpokenUtterance } from './bench-client.js';
import { ReplyWatch, sleep } from './conversation.js';

export const BARGE_IN_SHARE = 0.25;

export class LoadMetrics {
  /** Only replies that start while this is true are counted. */
  measuring = false;
  readonly replies: { said: SpokenUtterance; reply: ReceivedReply }[] = [];
  readonly bargeIns: { said: SpokenUtterance; reply: ReceivedReply }[] = [];
  noReply = 0;
}

export async function runCaller(
  client: BenchClient,
  utterances: EncodedUtterance[],
  rng: () => number,
  metrics: LoadMetrics,
  stopped: () => boolean,
): Promise<void> {
  const watch = new ReplyWatch(client);
  const pick = () => utterances[Math.floor(rng() * utterances.length)];
  const speakingLeft = (u: SpokenUtterance, enc: EncodedUtterance) => Math.max(0, u.startAt + enc.frames * 20 - performance.now());
  await sleep(rng() * 4000);
  let enc = pick();
  let said = client.say(enc);
  while (!stopped() && !client.closed) {
    const reply = await watch.nextStart(speakingLeft(said, enc) + 8000);
    if (stopped()) return;
    if (!reply || reply.after !== said) {
      if (!reply && metrics.measuring) metrics.noReply++;
      await sleep(speakingLeft(said, enc) + 1000);
      enc = pick();
      said = client.say(enc);
      continue;
    }
    if (metrics.measuring) metrics.replies.push({ said, reply });
    if (rng() < BARGE_IN_SHARE) {
      await sleep(500 + rng() * 1000);
      if (stopped()) return;
      enc = pick();
      said = client.say(enc);
      const ended = await watch.nextEnd(3000);
      if (ended?.interrupted && metrics.measuring) metrics.bargeIns.push({ said, reply: ended });
    } else {
      await watch.nextEnd(20000);
      await sleep(300 + rng() * 700);
      enc = pick();
      said = client.say(enc);
    }
  }
}
