// Both detectors on real synthesized speech placed at known positions between silences.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnergyVad } from '../../src/vad/energy-vad.js';
import { SileroVad } from '../../src/vad/silero-vad.js';
import type { Vad, VadEvent } from '../../src/vad/vad.js';
import { defaultVadSettings } from '../../src/vad/vad.js';
import type { Program, Segment } from './speech-fixture.js';
import { speak } from '../helpers/speech.js';
import { mix, noise, program, pushFrames, segments, silence, tone } from './speech-fixture.js';

let speech: Program;
let silero: SileroVad;
const energy = new EnergyVad();

beforeAll(async () => {
  const u1 = speak('Hello there how are you doing today', 'flite');
  const u2 = speak('I would like to book a table for two', 'espeak-ng');
  const u3 = speak('Can you hear me now', 'flite');
  const u4 = speak('Thank you very much goodbye', 'espeak-ng');
  speech = program([1000, u1, 1200, u2, 900, u3, 1500, u4, 1000]);
  silero = await SileroVad.load();
});

afterAll(async () => {
  await silero?.close();
});

async function detect(vad: Vad, pcm: Int16Array): Promise<VadEvent[]> {
  const events: VadEvent[] = [];
  const stream = vad.open(defaultVadSettings, (e) => events.push(e));
  pushFrames(stream, pcm);
  if (vad instanceof SileroVad) await vad.whenIdle();
  stream.close();
  return events;
}

/** Each utterance found once, with onset and end near where its audible part really is. */
function expectMatchesTruth(found: Segment[], onsetToleranceMs: number, endToleranceMs: number): void {
  expect(found).toHaveLength(speech.truth.length);
  found.forEach((seg, i) => {
    const truth = speech.truth[i];
    expect(Math.abs(seg.onsetMs - truth.startMs), `onset of utterance ${i + 1}`).toBeLessThanOrEqual(onsetToleranceMs);
    expect(Math.abs(seg.endMs - truth.endMs), `end of utterance ${i + 1}`).toBeLessThanOrEqual(endToleranceMs);
  });
}

const detectors = [
  // Silero decides on 32 ms windows: 2 confirm 64 ms of speech, 8 make 256 ≥ 250 ms of silence.
  { name: 'silero', vad: () => silero as Vad, confirmMs: 64, silenceMs: 256 },
  // The energy VAD decides on 20 ms frames: 4 make 80 ≥ 64 ms, 13 make 260 ≥ 250 ms.
  { name: 'energy', vad: () => energy as Vad, confirmMs: 80, silenceMs: 260 },
];

describe.each(detectors)('$name VAD on real speech', ({ vad, confirmMs, silenceMs }) => {
  it('finds each utterance, with onset within 120 ms and end within 200 ms of the truth', async () => {
    const found = segments(await detect(vad(), speech.pcm));
    expectMatchesTruth(found, 120, 200);
    for (const seg of found) {
      expect(seg.startDetectedMs - seg.onsetMs).toBe(confirmMs);
      expect(seg.endDetectedMs - seg.endMs).toBe(silenceMs);
    }
  });

  it('still finds each utterance with white noise at -50 dBFS', async () => {
    const noisy = mix(speech.pcm, noise(speech.pcm.length, -50, 11));
    expectMatchesTruth(segments(await detect(vad(), noisy)), 120, 200);
  });

  it('reports nothing in digital silence', async () => {
    expect(await detect(vad(), silence(5000))).toEqual([]);
  });

  it('reports nothing in white noise at -50 dBFS', async () => {
    expect(await detect(vad(), noise(16000 * 5, -50, 5))).toEqual([]);
  });
});

describe('Silero against energy on sounds that are not speech', () => {
  // One second of a loud non-speech sound after a second of quiet background.
  const background = () => noise(16000 * 4, -55, 9);
  const withSound = (sound: Int16Array) => {
    const pcm = background();
    return mix(pcm, Int16Array.from({ length: pcm.length }, (_, i) => (i >= 16000 && i < 32000 ? sound[i - 16000] : 0)));
  };
  const sounds = [
    { name: 'a 1 kHz tone at -20 dBFS', pcm: () => tone(16000, 1000, -20) },
    { name: 'a white-noise burst at -20 dBFS', pcm: () => noise(16000, -20, 3) },
  ];

  it.each(sounds)('Silero ignores $name that the energy VAD takes for speech', async ({ pcm }) => {
    const signal = withSound(pcm());
    expect(await detect(silero, signal)).toEqual([]);
    const byEnergy = segments(await detect(energy, signal));
    expect(byEnergy).toHaveLength(1);
    expect(byEnergy[0].onsetMs).toBe(1000);
    expect(byEnergy[0].endMs).toBe(2000);
  });

  it('a tone at voice pitch (300 Hz) fools Silero only at its onset, energy for its whole second', async () => {
    const signal = withSound(tone(16000, 300, -20));
    const bySilero = segments(await detect(silero, signal));
    const byEnergy = segments(await detect(energy, signal));
    const speechMs = (found: Segment[]) => found.reduce((ms, seg) => ms + seg.endMs - seg.onsetMs, 0);
    expect(bySilero.length).toBeLessThanOrEqual(1);
    expect(speechMs(bySilero)).toBeLessThan(300);
    expect(speechMs(byEnergy)).toBe(1000);
  });

  it('Silero still finds every utterance at -35 dBFS of noise, where loudness alone struggles', async () => {
    const noisy = mix(speech.pcm, noise(speech.pcm.length, -35, 7));
    const found = segments(await detect(silero, noisy));
    expect(found).toHaveLength(speech.truth.length);
    found.forEach((seg, i) => {
      // Overlaps its utterance and no other.
      expect(seg.onsetMs).toBeLessThan(speech.truth[i].endMs);
      expect(seg.endMs).toBeGreaterThan(speech.truth[i].startMs);
      if (i + 1 < found.length) expect(seg.endMs).toBeLessThan(speech.truth[i + 1].startMs);
    });
  });
});
