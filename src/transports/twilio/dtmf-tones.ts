// In-band DTMF (ITU-T Q.23): each key is the sum of one low-group and one high-group sine. A Twilio
// media stream has no message that sends a key press, so keys go out as these tones in the audio.

const LOW_HZ = [697, 770, 852, 941];
const HIGH_HZ = [1209, 1336, 1477, 1633];
const KEYPAD = ['123A', '456B', '789C', '*0#D'];

export type DtmfToneOptions = {
  sampleRate?: number;
  /** Tone length per key; receivers need about 40 ms, 100 ms is the usual sender's choice. */
  toneMs?: number;
  /** Silence after each key, so repeated keys are told apart. */
  gapMs?: number;
  /** Peak of each of the two sines, as a fraction of full scale. */
  level?: number;
};

/** The frequency pair of a key (0-9, *, #, A-D); throws for anything else. */
export function dtmfFrequencies(digit: string): [number, number] {
  const key = digit.toUpperCase();
  for (let row = 0; row < KEYPAD.length; row++) {
    const col = KEYPAD[row].indexOf(key);
    if (key.length === 1 && col >= 0) return [LOW_HZ[row], HIGH_HZ[col]];
  }
  throw new RangeError(`"${digit}" is not a DTMF key (0-9, *, #, A-D)`);
}

/** PCM16 mono: each key's tone then its gap. */
export function dtmfTones(digits: string, options: DtmfToneOptions = {}): Int16Array {
  const rate = options.sampleRate ?? 8000;
  const toneSamples = Math.round(((options.toneMs ?? 100) * rate) / 1000);
  const gapSamples = Math.round(((options.gapMs ?? 50) * rate) / 1000);
  const amplitude = (options.level ?? 0.35) * 32767;
  // A 2 ms raised-cosine ramp at each end keeps the keying clicks out of the neighbouring bands.
  const ramp = Math.min(Math.round(0.002 * rate), Math.floor(toneSamples / 2));
  const pairs = [...digits].map(dtmfFrequencies);
  const out = new Int16Array(pairs.length * (toneSamples + gapSamples));
  pairs.forEach(([low, high], k) => {
    const base = k * (toneSamples + gapSamples);
    for (let i = 0; i < toneSamples; i++) {
      const t = i / rate;
      const edge = Math.min(i, toneSamples - 1 - i);
      const gain = edge < ramp ? 0.5 - 0.5 * Math.cos((Math.PI * edge) / ramp) : 1;
      out[base + i] = Math.round(gain * amplitude * (Math.sin(2 * Math.PI * low * t) + Math.sin(2 * Math.PI * high * t)));
    }
  });
  return out;
}
