// The booking utterances as caller speech, synthesized once before anything is measured (flite,
// kal16 voice), so the load generator does no synthesis while the server is under test. Each
// clip gets the same faint noise floor as the bench's other speech, and its true speech bounds.
import { speak } from '../../test/helpers/speech.js';
import { BOOKING_UTTERANCES } from '../../test/helpers/booking-utterances.js';
import { noiseFloor, SAMPLE_RATE, speechBounds, type Utterance } from './speech-corpus.js';

export function buildBookingCorpus(texts: readonly string[] = BOOKING_UTTERANCES): Utterance[] {
  return texts.map((text, i) => {
    const clean = speak(text, 'flite', SAMPLE_RATE);
    const noise = noiseFloor(clean.length, 5000 + i);
    // flite pads with digital zeros, which a microphone never gives and the decoder's noise estimate dislikes.
    const samples = Int16Array.from(clean, (s, k) => Math.max(-32768, Math.min(32767, s + noise[k])));
    return { text, samples, ...speechBounds(clean) };
  });
}
