// Real caller speech for the bench: flite speaks a few one-sentence requests; each is measured for
// where its speech energy starts and stops, so a client that streams it knows the true onset and
// end of speech on its own clock. A faint noise floor is mixed in, as a microphone would give.
import { speak } from '../../test/helpers/speech.js';

export const SAMPLE_RATE = 16000;

/**
 * One sentence each and no commas, so flite leaves no pause long enough to split them; and each
 * starts from a clean silence (no breath or hum before the words), so the energy onset is the
 * unambiguous start of speech.
 */
export const UTTERANCE_TEXTS = [
  'I would like to book a table for two tonight.',
  'Can you tell me the weather in Paris?',
  'I need a taxi to the train station.',
  'Is the museum open on Sundays?',
  'Book me a flight to Berlin next Monday.',
  'I have a question about my bill.',
] as const;

/** Any sound louder than this before the onset makes the onset ambiguous. */
export const CLEAN_LEAD_IN_DBFS = -58;

export type Utterance = {
  text: string;
  /** PCM16 mono 16 kHz, noise floor included. */
  samples: Int16Array;
  /** Audio ms from the start of `samples` to the first / past the last speech-energy frame. */
  onsetMs: number;
  offsetMs: number;
  /** Loudest 5 ms frame before the onset (dBFS), to check the lead-in is clean. */
  leadInPeakDbfs: number;
};

/**
 * Energy analysis in 5 ms frames: speech is within 35 dB of the loudest frame (and above -50 dBFS).
 * The onset must open a run of at least 20 ms of such frames, so a click or a low hum before the
 * words does not count; the end is the last such frame (final consonants are short bursts).
 */
export function speechBounds(samples: Int16Array, rate = SAMPLE_RATE): { onsetMs: number; offsetMs: number; leadInPeakDbfs: number } {
  const frame = Math.round(rate * 0.005);
  const levels: number[] = [];
  for (let i = 0; i + frame <= samples.length; i += frame) {
    let sum = 0;
    for (let j = i; j < i + frame; j++) sum += samples[j] * samples[j];
    levels.push(10 * Math.log10(sum / frame / (32768 * 32768) + 1e-12));
  }
  const threshold = Math.max(-50, Math.max(...levels) - 35);
  const RUN = 4;
  const loudRun = (at: number) => {
    for (let k = 0; k < RUN; k++) if (!(levels[at + k] >= threshold)) return false;
    return true;
  };
  let first = -1;
  for (let i = 0; i + RUN <= levels.length && first < 0; i++) if (loudRun(i)) first = i;
  let last = levels.length - 1;
  while (last >= 0 && !(levels[last] >= threshold)) last--;
  if (first < 0 || last < first) throw new Error('no speech energy found in the synthesized utterance');
  const leadInPeakDbfs = first === 0 ? -Infinity : Math.max(...levels.slice(0, first));
  return { onsetMs: first * 5, offsetMs: (last + 1) * 5, leadInPeakDbfs };
}

function flite(text: string): Int16Array {
  return speak(text, 'flite', SAMPLE_RATE);
}

/** Deterministic low-level white noise (about -71 dBFS RMS). */
export function noiseFloor(samples: number, seed = 12345): Int16Array {
  const out = new Int16Array(samples);
  let s = seed >>> 0;
  for (let i = 0; i < samples; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s >>> 16) % 31) - 15;
  }
  return out;
}

function withNoise(speech: Int16Array, seed: number): Int16Array {
  const noise = noiseFloor(speech.length, seed);
  const out = new Int16Array(speech.length);
  for (let i = 0; i < speech.length; i++) out[i] = Math.max(-32768, Math.min(32767, speech[i] + noise[i]));
  return out;
}

export function buildCorpus(): Utterance[] {
  return UTTERANCE_TEXTS.map((text, i) => {
    const clean = flite(text);
    return { text, samples: withNoise(clean, 1000 + i), ...speechBounds(clean) };
  });
}
