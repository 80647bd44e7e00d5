// Deterministic audio that a VAD or an energy-based STT takes for speech: every word is a voiced
// burst (a few harmonics over a rising-then-falling pitch, with attack, release and a syllable-rate
// swell) and the spaces between words are silent. Its length is proportional to the text length.

export type SpokenWord = { word: string; startSample: number; endSample: number };

export type SpeechLayout = { sampleRate: number; totalSamples: number; words: SpokenWord[] };

/** Every character of the normalised text (single spaces) gets `msPerChar`; words sound, spaces do not. */
export function layoutSpeech(text: string, sampleRate: number, msPerChar: number): SpeechLayout {
  const normalised = text.trim().replace(/\s+/g, ' ');
  const samplesPerChar = (msPerChar * sampleRate) / 1000;
  const words: SpokenWord[] = [];
  for (const match of normalised.matchAll(/\S+/g)) {
    const startSample = Math.round(match.index * samplesPerChar);
    const endSample = Math.round((match.index + match[0].length) * samplesPerChar);
    if (endSample > startSample) words.push({ word: match[0], startSample, endSample });
  }
  return { sampleRate, totalSamples: Math.round(normalised.length * samplesPerChar), words };
}

const HARMONIC_AMPLITUDES = [1, 0.6, 0.45, 0.3, 0.2, 0.12];
const TARGET_RMS = 32768 * 10 ** (-20 / 20);
/** Mean power of the syllable swell below, so the voiced level lands on TARGET_RMS. */
const SWELL_RMS = Math.sqrt(0.7 * 0.7 + (0.3 * 0.3) / 2);
const SYLLABLE_HZ = 4;
const RAMP_MS = 15;
const PITCH_RISE = 0.12;
const PITCH_DECLINE = 0.1;

type WordVoice = { f0: number; harmonics: number; scale: number };

/** Renders a layout sample by sample, in order, across any number of `render` calls. */
export class SpeechLikeRenderer {
  private position = 0;
  private wordIndex = 0;
  private phase = 0;
  private voice: WordVoice | null = null;
  private readonly rampSamples: number;
  private readonly baseF0: number;

  constructor(
    private readonly layout: SpeechLayout,
    voiceName?: string,
  ) {
    this.rampSamples = (RAMP_MS * layout.sampleRate) / 1000;
    this.baseF0 = voiceName === undefined ? 130 : 100 + (hash32(voiceName) % 80);
  }

  /** Fills `out` with the next `out.length` samples (silence past the end). */
  render(out: Int16Array): void {
    const { words, sampleRate } = this.layout;
    for (let i = 0; i < out.length; i++) {
      const pos = this.position++;
      while (this.wordIndex < words.length && pos >= words[this.wordIndex].endSample) {
        this.wordIndex++;
        this.voice = null;
      }
      const word = words[this.wordIndex];
      if (word === undefined || pos < word.startSample) {
        out[i] = 0;
        continue;
      }
      if (this.voice === null) {
        this.voice = this.voiceFor(word.word);
        this.phase = 0;
      }
      const { f0, harmonics, scale } = this.voice;
      const length = word.endSample - word.startSample;
      const intoWord = pos - word.startSample;
      const progress = intoWord / length;
      const pitch = f0 * (1 + PITCH_RISE * Math.sin(Math.PI * progress) - PITCH_DECLINE * progress);
      this.phase += (2 * Math.PI * pitch) / sampleRate;
      if (this.phase > 2 * Math.PI) this.phase -= 2 * Math.PI;
      let s = 0;
      for (let k = 0; k < harmonics; k++) s += HARMONIC_AMPLITUDES[k] * Math.sin((k + 1) * this.phase);
      const ramp = Math.min(this.rampSamples, length / 2);
      const edge = Math.min(intoWord, word.endSample - 1 - pos);
      const envelope = edge >= ramp ? 1 : 0.5 - 0.5 * Math.cos((Math.PI * edge) / ramp);
      const swell = 0.7 + 0.3 * Math.cos((2 * Math.PI * SYLLABLE_HZ * intoWord) / sampleRate);
      out[i] = Math.round(scale * envelope * swell * s);
    }
  }

  private voiceFor(word: string): WordVoice {
    const f0 = this.baseF0 * (0.92 + (0.16 * hash32(word)) / 0xffffffff);
    // Only harmonics that stay well under Nyquist even at the top of the pitch contour.
    const highestPitch = f0 * (1 + PITCH_RISE);
    let harmonics = 0;
    while (harmonics < HARMONIC_AMPLITUDES.length && (harmonics + 1) * highestPitch < 0.45 * this.layout.sampleRate) {
      harmonics++;
    }
    let power = 0;
    for (let k = 0; k < harmonics; k++) power += (HARMONIC_AMPLITUDES[k] * HARMONIC_AMPLITUDES[k]) / 2;
    const scale = power > 0 ? TARGET_RMS / (Math.sqrt(power) * SWELL_RMS) : 0;
    return { f0, harmonics, scale };
  }
}

/** FNV-1a: a stable per-word variation, so the same text always sounds the same. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
