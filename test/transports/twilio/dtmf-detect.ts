// A Goertzel DTMF detector for tests: which keys a stretch of 8 kHz audio sounds.

const RATE = 8000;
const LOW = [697, 770, 852, 941];
const HIGH = [1209, 1336, 1477, 1633];
const KEYS = ['123A', '456B', '789C', '*0#D'];

function goertzelPower(samples: Int16Array, freq: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * freq) / RATE);
  let s1 = 0;
  let s2 = 0;
  for (const x of samples) {
    const s = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

/** The key in a block of audio, or null when no row/column pair clearly dominates (silence, speech). */
export function detectKey(block: Int16Array): string | null {
  const energy = block.reduce((e, x) => e + x * x, 0);
  if (energy / block.length < 1000) return null;
  const low = LOW.map((f) => goertzelPower(block, f));
  const high = HIGH.map((f) => goertzelPower(block, f));
  const byPower = (xs: number[]) => [...xs].sort((a, b) => b - a);
  // Each group's winner must stand well clear of its runner-up.
  if (byPower(low)[1] * 10 > byPower(low)[0] || byPower(high)[1] * 10 > byPower(high)[0]) return null;
  return KEYS[low.indexOf(Math.max(...low))][high.indexOf(Math.max(...high))];
}

/** Keys sounded in `audio`, read in 50 ms blocks; a key held over several blocks counts once. */
export function decodeKeys(audio: Int16Array, blockSamples = 400): string {
  let out = '';
  let previous: string | null = null;
  for (let at = 0; at + blockSamples <= audio.length; at += blockSamples) {
    const key = detectKey(audio.subarray(at, at + blockSamples));
    if (key && key !== previous) out += key;
    previous = key;
  }
  return out;
}
