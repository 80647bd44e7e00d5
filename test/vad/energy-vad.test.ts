import { describe, it, expect } from 'vitest';
import { EnergyVad, defaultEnergyMeterOptions } from '../../src/vad/energy-vad.js';
import type { VadEvent } from '../../src/vad/vad.js';
import { defaultVadSettings } from '../../src/vad/vad.js';
import { noise, pushFrames, silence, tone } from './speech-fixture.js';
import { concatPcm } from '../../src/audio/pcm.js';

const concat = (...parts: Int16Array[]): Int16Array => concatPcm(parts);

describe('EnergyVad', () => {
  it('is the energy kind with a noise-tracking meter by default', () => {
    const vad = new EnergyVad();
    expect(vad.kind).toBe('energy');
    expect(defaultEnergyMeterOptions.noiseFloor).toBeDefined();
  });

  it('times events in 20 ms frames: loud from 1000 to 1500 ms', () => {
    const events: VadEvent[] = [];
    const stream = new EnergyVad().open(defaultVadSettings, (e) => events.push(e));
    pushFrames(stream, concat(silence(1000), tone(8000, 1000, -20), silence(1000)));
    expect(stream.audioMs).toBe(2500);
    expect(events).toEqual([
      { type: 'speech_start', onsetMs: 1000, detectedMs: 1080 },
      { type: 'speech_end', endMs: 1500, detectedMs: 1760 },
    ]);
  });

  it('ignores a sound shorter than minSpeechMs and a gap shorter than minSilenceMs', () => {
    const events: VadEvent[] = [];
    const stream = new EnergyVad().open(defaultVadSettings, (e) => events.push(e));
    const loud = (ms: number) => tone(ms * 16, 1000, -20);
    pushFrames(stream, concat(silence(500), loud(60), silence(500), loud(400), silence(200), loud(400), silence(500)));
    expect(events).toEqual([
      { type: 'speech_start', onsetMs: 1060, detectedMs: 1140 },
      { type: 'speech_end', endMs: 2060, detectedMs: 2320 },
    ]);
  });

  it('applies the meter options it is given', () => {
    const events: VadEvent[] = [];
    const vad = new EnergyVad({ meter: { onDbfs: -10, offDbfs: -15 } });
    const stream = vad.open(defaultVadSettings, (e) => events.push(e));
    pushFrames(stream, concat(silence(200), tone(16000, 1000, -20), silence(500)));
    expect(events).toEqual([]);
    expect(() => new EnergyVad({ meter: { onDbfs: -40, offDbfs: -30 } })).toThrow(RangeError);
  });

  it('keeps each stream independent', () => {
    const vad = new EnergyVad();
    const a: VadEvent[] = [];
    const b: VadEvent[] = [];
    const sa = vad.open(defaultVadSettings, (e) => a.push(e));
    const sb = vad.open(defaultVadSettings, (e) => b.push(e));
    pushFrames(sa, concat(silence(300), tone(8000, 1000, -20)));
    pushFrames(sb, noise(16000, -60, 1));
    expect(a.map((e) => e.type)).toEqual(['speech_start']);
    expect(b).toEqual([]);
  });

  it('closing ends open speech at once and stops further events, also when the VAD closes', async () => {
    const vad = new EnergyVad();
    const events: VadEvent[] = [];
    const stream = vad.open(defaultVadSettings, (e) => events.push(e));
    pushFrames(stream, concat(silence(300), tone(8000, 1000, -20)));
    await vad.close();
    expect(events).toEqual([
      { type: 'speech_start', onsetMs: 300, detectedMs: 380 },
      { type: 'speech_end', endMs: 800, detectedMs: 800 },
    ]);
    pushFrames(stream, tone(8000, 1000, -20));
    stream.close();
    expect(events).toHaveLength(2);
    expect(stream.audioMs).toBe(800);
  });
});
