// The recognizer as a caller meets it: the 24 booking-dialogue utterances, spoken by flite (kal16)
// and by espeak-ng, streamed in real time over /ws/voice into calls with the receptionist on the offline stack,
// one caller turn at a time (each after the agent has answered the one before). The word error
// rate of the final transcripts is measured and printed, and the test fails above 15%.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { speak } from '../helpers/speech.js';
import { normalizeWords, wordEditDistance, wordErrorRate } from '../helpers/wer.js';
import { UTTERANCES } from '../providers/local/pocketsphinx-speech-corpus.js';
import { OfflineCaller, startOfflineParley, type OfflineServer } from './offline-call.js';

const CALLS = 6;
type Voice = 'flite' | 'espeak-ng';
/** espeak-ng's Klatt variant: its default voice is too unlike recorded speech for pocketsphinx's acoustic model (WER ~55%). */
const ESPEAK_VOICE = 'en-us+klatt';

let server: OfflineServer;

beforeAll(async () => {
  server = await startOfflineParley();
});

afterAll(async () => {
  await server?.close();
});

/** A caller who rings (again, when the agent ended the call), waits out the greeting, then speaks. */
async function callerReady(): Promise<OfflineCaller> {
  const caller = await OfflineCaller.call(server.url);
  await caller.next((m) => m.type === 'turn_complete', 0);
  return caller;
}

async function sayAll(texts: readonly string[], voice: Voice): Promise<{ reference: string; hypothesis: string }[]> {
  const pairs: { reference: string; hypothesis: string }[] = [];
  let caller = await callerReady();
  try {
    for (const text of texts) {
      if (caller.ended) {
        caller.hangUp();
        caller = await callerReady();
      }
      const { heard } = await caller.turn(voice === 'flite' ? speak(text, 'flite') : speak(text, 'espeak-ng', 16000, ESPEAK_VOICE));
      pairs.push({ reference: text, hypothesis: heard });
    }
  } finally {
    caller.hangUp();
  }
  return pairs;
}

describe('the offline recognizer over the browser protocol', () => {
  it(`transcribes ${UTTERANCES.length} booking utterances in two voices with a word error rate of at most 15% each`, async () => {
    expect(UTTERANCES.length).toBeGreaterThanOrEqual(20);
    // Every utterance in both voices, over CALLS calls at once (half flite, half espeak-ng).
    const perVoice = CALLS / 2;
    const groups = () => Array.from({ length: perVoice }, (_, i) => UTTERANCES.filter((_, j) => j % perVoice === i));
    const [flite, espeak] = await Promise.all(
      (['flite', 'espeak-ng'] as const).map(async (voice) => (await Promise.all(groups().map((g) => sayAll(g, voice)))).flat()),
    );

    for (const [voice, pairs] of [['flite kal16', flite], [`espeak-ng ${ESPEAK_VOICE}`, espeak]] as const) {
      const { wer, errors, referenceWords } = wordErrorRate(pairs);
      console.log(`offline stack over /ws/voice, ${voice}: WER ${(wer * 100).toFixed(1)}% (${errors}/${referenceWords} words, ${pairs.length} utterances)`);
      for (const p of pairs) {
        const d = wordEditDistance(normalizeWords(p.reference), normalizeWords(p.hypothesis));
        if (d > 0) console.log(`  ${d} error(s): "${p.reference}" -> "${p.hypothesis}"`);
      }
      expect(pairs).toHaveLength(UTTERANCES.length);
      expect(wer).toBeLessThanOrEqual(0.15);
    }
  }, 240_000);
});
