import { describe, expect, it } from 'vitest';
import { noiseFloor, speechBounds } from '../../../bench/lib/speech-corpus.js';
import { concatPcm } from '../../../src/audio/pcm.js';

const RATE = 16000;

function tone(ms: number, dbfs: number, hz = 220): Int16Array {
  const amp = 32768 * 10 ** (dbfs / 20) * Math.SQRT2;
  return Int16Array.from({ length: (ms * RATE) / 1000 }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * hz * i) / RATE)));
}

const concat = (...parts: Int16Array[]): Int16Array => concatPcm(parts);

describe('speechBounds', () => {
  it('finds the onset and end of a loud segment', () => {
    const audio = concat(new Int16Array(RATE * 0.3), tone(1000, -12), new Int16Array(RATE * 0.5));
    const b = speechBounds(audio);
    expect(b.onsetMs).toBe(300);
    expect(b.offsetMs).toBe(1300);
    expect(b.leadInPeakDbfs).toBeLessThan(-100);
  });

  it('ignores a click shorter than 20 ms before the words but reports it as lead-in', () => {
    const audio = concat(new Int16Array(RATE * 0.1), tone(10, -15), new Int16Array(RATE * 0.19), tone(500, -12), new Int16Array(RATE * 0.2));
    const b = speechBounds(audio);
    expect(b.onsetMs).toBe(300);
    expect(b.offsetMs).toBe(800);
    expect(b.leadInPeakDbfs).toBeGreaterThan(-20);
  });

  it('counts a short final burst as speech (the end needs no run)', () => {
    const audio = concat(tone(400, -12), new Int16Array(RATE * 0.1), tone(10, -20), new Int16Array(RATE * 0.3));
    expect(speechBounds(audio).offsetMs).toBe(510);
  });

  it('rejects audio without speech', () => {
    expect(() => speechBounds(new Int16Array(RATE))).toThrow(/no speech energy/);
  });
});

describe('noiseFloor', () => {
  it('is deterministic, faint and zero-mean', () => {
    const a = noiseFloor(RATE, 5);
    expect(noiseFloor(RATE, 5)).toEqual(a);
    let sum = 0;
    let squares = 0;
    for (const s of a) {
      sum += s;
      squares += s * s;
    }
    const dbfs = 20 * Math.log10(Math.sqrt(squares / a.length) / 32768);
    expect(dbfs).toBeGreaterThan(-73);
    expect(dbfs).toBeLessThan(-69);
    expect(Math.abs(sum / a.length)).toBeLessThan(0.5);
  });
});
