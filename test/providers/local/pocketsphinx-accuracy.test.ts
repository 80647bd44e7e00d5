// Word error rate of the pocketsphinx provider on real synthesized speech, restricted to the
// booking domain as the product runs it. Two runs decode side by side:
// - booking: the booking domain phrases (the product configuration);
// - held-out: the same domain with every test sentence removed from it, which shows how the
//   domain model does on sentences it was not built from.
// The unrestricted general model is measured in pocketsphinx-general-model.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { bookingDomainPhrases } from '../../../src/providers/local/pocketsphinx-booking-domain.js';
import { PocketsphinxStt } from '../../../src/providers/local/pocketsphinx-stt.js';
import { spokenWords } from '../../../src/providers/local/pocketsphinx-words.js';
import { normalizeWords, wordEditDistance, wordErrorRate } from '../../helpers/wer.js';
import { expectTimingsInsideClips, percent, report, speakCorpus, transcribe, UTTERANCES, type Clip } from './pocketsphinx-speech-corpus.js';

const WER_LIMIT = 0.15;

let clips: Clip[];

beforeAll(() => {
  clips = speakCorpus();
});

describe('word error rate helper', () => {
  it('normalises case, punctuation and numbers the same way on both sides', () => {
    expect(normalizeWords('No, I said 3 PM on the 5th!')).toEqual(['no', 'i', 'said', 'three', 'pm', 'on', 'the', 'fifth']);
    expect(normalizeWords('at 9:30 a.m., call 0770')).toEqual(['at', 'nine', 'thirty', 'am', 'call', 'zero', 'seven', 'seven', 'zero']);
    expect(normalizeWords("it's the 21st")).toEqual(["it's", 'the', 'twenty', 'first']);
    expect(wordErrorRate([{ reference: 'tomorrow at 3pm', hypothesis: 'Tomorrow at three p.m.' }]).wer).toBe(0);
  });

  it('counts substitutions, deletions and insertions over all reference words', () => {
    expect(wordEditDistance(['a', 'b', 'c'], ['a', 'x', 'c', 'd'])).toBe(2);
    expect(wordEditDistance(['a', 'b'], [])).toBe(2);
    expect(wordEditDistance([], ['a'])).toBe(1);
    const result = wordErrorRate([
      { reference: 'book an appointment', hypothesis: 'book appointment' },
      { reference: 'yes please', hypothesis: 'yes please thanks' },
    ]);
    expect(result).toEqual({ errors: 2, referenceWords: 5, wer: 0.4 });
  });
});

describe(`pocketsphinx restricted to the booking domain, ${UTTERANCES.length} utterances (flite kal16)`, () => {
  it(`stays within ${percent(WER_LIMIT)} WER, also with the test sentences held out of the domain`, async () => {
    const testSentences = new Set(UTTERANCES.map((u) => spokenWords(u).join(' ')));
    const domain = bookingDomainPhrases();
    const heldOut = domain.filter((phrase) => !testSentences.has(phrase));
    console.log(`booking domain: ${domain.length} phrases, ${domain.length - heldOut.length} of them equal to test sentences (removed for held-out)`);
    const [booking, held] = await Promise.all([
      transcribe('booking domain (product)', new PocketsphinxStt({ phrases: domain }), clips),
      transcribe('booking domain, test sentences held out', new PocketsphinxStt({ phrases: heldOut }), clips),
    ]);
    expect(report(booking)).toBeLessThanOrEqual(WER_LIMIT);
    expect(report(held)).toBeLessThanOrEqual(WER_LIMIT);
    expectTimingsInsideClips(booking, clips);
    expectTimingsInsideClips(held, clips);
  });
});
