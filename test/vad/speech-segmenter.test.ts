import { describe, it, expect } from 'vitest';
import { SpeechSegmenter } from '../../src/vad/speech-segmenter.js';
import type { VadEvent, VadSettings } from '../../src/vad/vad.js';
import { defaultVadSettings, resolveVadSettings } from '../../src/vad/vad.js';

const W = 32;

/** Feeds windows of W ms and returns the events, then the one `finish` gives. */
function run(probs: number[], settings: VadSettings = defaultVadSettings, finish = false): VadEvent[] {
  const seg = new SpeechSegmenter(settings);
  const events: VadEvent[] = [];
  probs.forEach((p, i) => {
    const e = seg.push(p, i * W, (i + 1) * W);
    if (e) events.push(e);
  });
  if (finish) {
    const e = seg.finish(probs.length * W);
    if (e) events.push(e);
  }
  return events;
}

const start = (onsetMs: number, detectedMs: number): VadEvent => ({ type: 'speech_start', onsetMs, detectedMs });
const end = (endMs: number, detectedMs: number): VadEvent => ({ type: 'speech_end', endMs, detectedMs });

describe('resolveVadSettings', () => {
  it('fills negThreshold as threshold - 0.15, floored at 0.01, and speechPadMs as 0', () => {
    expect(resolveVadSettings(defaultVadSettings)).toEqual({
      threshold: 0.5,
      negThreshold: 0.35,
      minSpeechMs: 64,
      minSilenceMs: 250,
      speechPadMs: 0,
    });
    expect(resolveVadSettings({ ...defaultVadSettings, threshold: 0.1 }).negThreshold).toBe(0.01);
    expect(resolveVadSettings({ ...defaultVadSettings, negThreshold: 0.2, speechPadMs: 30 })).toMatchObject({
      negThreshold: 0.2,
      speechPadMs: 30,
    });
  });

  it('rejects settings that cannot work, naming every problem', () => {
    expect(() => resolveVadSettings({ ...defaultVadSettings, threshold: 0 })).toThrow(/threshold must be in/);
    expect(() => resolveVadSettings({ ...defaultVadSettings, threshold: 1.5 })).toThrow(RangeError);
    expect(() => resolveVadSettings({ ...defaultVadSettings, negThreshold: 0.6 })).toThrow(/negThreshold/);
    expect(() => resolveVadSettings({ ...defaultVadSettings, negThreshold: 0 })).toThrow(/negThreshold/);
    expect(() => resolveVadSettings({ threshold: 0.5, minSpeechMs: -1, minSilenceMs: Number.NaN })).toThrow(
      /minSpeechMs.*minSilenceMs/,
    );
    expect(() => resolveVadSettings({ ...defaultVadSettings, speechPadMs: -5 })).toThrow(/speechPadMs/);
  });

  it('is applied by the segmenter constructor', () => {
    expect(() => new SpeechSegmenter({ ...defaultVadSettings, threshold: 2 })).toThrow(RangeError);
  });
});

describe('SpeechSegmenter', () => {
  it('reports nothing for silence or for probabilities just under the threshold', () => {
    expect(run(Array(100).fill(0))).toEqual([]);
    expect(run(Array(100).fill(0.49))).toEqual([]);
  });

  it('starts after minSpeechMs from the onset and ends after minSilenceMs, reporting where speech was', () => {
    // 10 windows of silence, 20 of speech (320..960 ms), then silence; 250 ms needs 8 windows.
    const probs = [...Array(10).fill(0.1), ...Array(20).fill(0.9), ...Array(20).fill(0.1)];
    expect(run(probs)).toEqual([start(320, 384), end(960, 960 + 8 * W)]);
  });

  it('drops a blip shorter than minSpeechMs', () => {
    expect(run([0, 0.9, 0, 0, 0.9, 0.1, 0])).toEqual([]);
  });

  it('counts probabilities between the thresholds as speech while confirming an onset', () => {
    expect(run([0, 0.9, 0.4, 0.4])).toEqual([start(32, 96)]);
  });

  it('needs the threshold, not negThreshold, to begin an onset', () => {
    expect(run([0, 0.4, 0.4, 0.4, 0.4])).toEqual([]);
  });

  it('keeps speech through values between the thresholds and dips shorter than minSilenceMs', () => {
    const probs = [0.9, 0.9, 0.4, 0.4, 0.4, 0.1, 0.1, 0.1, 0.9, ...Array(8).fill(0.1)];
    expect(run(probs)).toEqual([start(0, 64), end(9 * W, 17 * W)]);
  });

  it('treats values between the thresholds as continuing silence once silence began', () => {
    // Silence starts at window 2; the 0.4s do not reset it, so the end is reported from window 2.
    const probs = [0.9, 0.9, 0.1, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4];
    expect(run(probs)).toEqual([start(0, 64), end(64, 64 + 8 * W)]);
  });

  it('finds several segments in order', () => {
    const burst = [0.9, 0.9, 0.9];
    const gap = Array(8).fill(0);
    const events = run([...gap, ...burst, ...gap, ...burst, ...gap]);
    expect(events).toEqual([start(256, 320), end(352, 608), start(608, 672), end(704, 960)]);
  });

  it('with zero minimum durations decides on the first window', () => {
    const settings = { threshold: 0.5, minSpeechMs: 0, minSilenceMs: 0 };
    expect(run([0, 0.9, 0.9, 0.2], settings)).toEqual([start(32, 64), end(96, 128)]);
  });

  it('pads onset and end without crossing the stream start, the previous segment or the decision time', () => {
    const settings = { ...defaultVadSettings, minSilenceMs: 64, speechPadMs: 100 };
    // Speech at 0..64 (onset pad clamps to 0); end at 64 + 100 would pass detection at 128, so 128.
    // Second speech at 160..224: onset 160 - 100 = 60 would overlap the first segment's end (128).
    const events = run([0.9, 0.9, 0, 0, 0, 0.9, 0.9, 0, 0, 0, 0, 0, 0], settings);
    expect(events).toEqual([start(0, 64), end(128, 128), start(128, 224), end(288, 288)]);
    const late = run([...Array(10).fill(0), 0.9, 0.9, ...Array(10).fill(0)], { ...settings, speechPadMs: 30 });
    expect(late).toEqual([start(290, 384), end(414, 448)]);
  });

  it('on finish ends open speech at the end of the audio, or where its trailing silence began', () => {
    expect(run([0.9, 0.9, 0.9], defaultVadSettings, true)).toEqual([start(0, 64), end(96, 96)]);
    expect(run([0.9, 0.9, 0.9, 0.1, 0.4], defaultVadSettings, true)).toEqual([start(0, 64), end(96, 160)]);
    // Pending speech never reported a start, so it gets no end either.
    expect(run([0, 0.9], defaultVadSettings, true)).toEqual([]);
    const seg = new SpeechSegmenter(defaultVadSettings);
    expect(seg.finish(0)).toBeNull();
  });

  it('exposes its phase', () => {
    const seg = new SpeechSegmenter(defaultVadSettings);
    expect(seg.state).toBe('silence');
    seg.push(0.9, 0, 32);
    expect(seg.state).toBe('pending');
    seg.push(0.9, 32, 64);
    expect(seg.state).toBe('speech');
    seg.finish(64);
    expect(seg.state).toBe('silence');
  });

  it('uses the window times it is given, whatever their length', () => {
    const seg = new SpeechSegmenter(defaultVadSettings);
    expect(seg.push(1, 1000, 1020)).toBeNull();
    expect(seg.push(1, 1020, 1040)).toBeNull();
    expect(seg.push(1, 1040, 1060)).toBeNull();
    expect(seg.push(1, 1060, 1080)).toEqual(start(1000, 1080));
  });
});

/**
 * The same rules stated declaratively over a whole sequence: speech starts at the earliest
 * window at or above threshold followed by enough windows not below negThreshold to fill
 * minSpeechMs; it ends at the earliest later window below negThreshold followed by enough
 * windows below threshold to fill minSilenceMs.
 */
function reference(seq: number[], th: number, neg: number, speechWindows: number, silenceWindows: number): VadEvent[] {
  const events: VadEvent[] = [];
  const n = seq.length;
  let i = 0;
  for (;;) {
    let k = -1;
    for (let c = i; c + speechWindows <= n && k < 0; c++) {
      if (seq[c] >= th && seq.slice(c, c + speechWindows).every((p) => p >= neg)) k = c;
    }
    if (k < 0) return events;
    const detected = k + speechWindows;
    events.push(start(k * W, detected * W));
    let m = -1;
    for (let c = detected; c < n && m < 0; c++) {
      if (seq[c] < neg && seq.slice(c + 1, c + silenceWindows).every((p) => p < th) && c + silenceWindows <= n) m = c;
    }
    if (m >= 0) {
      events.push(end(m * W, (m + silenceWindows) * W));
      i = m + silenceWindows;
      continue;
    }
    // Finish: the trailing silence (first sub-negThreshold window after the last speech window) or the end.
    let lastSpeech = detected - 1;
    for (let c = detected; c < n; c++) if (seq[c] >= th) lastSpeech = c;
    let silenceStart = -1;
    for (let c = lastSpeech + 1; c < n && silenceStart < 0; c++) if (seq[c] < neg) silenceStart = c;
    events.push(end((silenceStart < 0 ? n : silenceStart) * W, n * W));
    return events;
  }
}

describe('SpeechSegmenter against the declarative rules, every sequence of 10 windows', () => {
  const levels = [0.1, 0.4, 0.8]; // below negThreshold, between, above threshold
  const cases = [
    { minSpeechMs: 64, minSilenceMs: 96 },
    { minSpeechMs: 0, minSilenceMs: 0 },
    { minSpeechMs: 96, minSilenceMs: 64 },
    { minSpeechMs: 40, minSilenceMs: 33 },
  ];
  it.each(cases)('minSpeechMs $minSpeechMs, minSilenceMs $minSilenceMs', ({ minSpeechMs, minSilenceMs }) => {
    const settings = { threshold: 0.5, negThreshold: 0.35, minSpeechMs, minSilenceMs };
    const speechWindows = Math.max(1, Math.ceil(minSpeechMs / W));
    const silenceWindows = Math.max(1, Math.ceil(minSilenceMs / W));
    const length = 10;
    let checked = 0;
    let withSpeech = 0;
    const seq = new Array<number>(length);
    for (let code = 0; code < 3 ** length; code++) {
      for (let j = 0, c = code; j < length; j++, c = Math.floor(c / 3)) seq[j] = levels[c % 3];
      const got = run(seq, settings, true);
      const want = reference(seq, 0.5, 0.35, speechWindows, silenceWindows);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        expect({ seq, got }).toEqual({ seq, got: want });
      }
      checked++;
      if (got.length > 0) withSpeech++;
    }
    expect(checked).toBe(59049);
    expect(withSpeech).toBeGreaterThan(10_000);
  });
});
