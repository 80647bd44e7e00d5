// The same utterances as pocketsphinx-accuracy.test.ts through the unrestricted general en-us
// model (the default when a flow defines no domain), for comparison. Kept in its own file
// because the 130 000-word search takes most of the time.
import { beforeAll, describe, expect, it } from 'vitest';
import { PocketsphinxStt } from '../../../src/providers/local/pocketsphinx-stt.js';
import { expectTimingsInsideClips, percent, report, speakCorpus, transcribe, UTTERANCES, type Clip } from './pocketsphinx-speech-corpus.js';

const WER_LIMIT = 0.15;

let clips: Clip[];

beforeAll(() => {
  clips = speakCorpus();
});

describe(`pocketsphinx general en-us model, ${UTTERANCES.length} booking utterances (flite kal16)`, () => {
  it(`stays within ${percent(WER_LIMIT)} WER with no restriction`, async () => {
    const general = await transcribe('general en-us model', new PocketsphinxStt(), clips);
    expect(report(general)).toBeLessThanOrEqual(WER_LIMIT);
    expectTimingsInsideClips(general, clips);
  });
});
