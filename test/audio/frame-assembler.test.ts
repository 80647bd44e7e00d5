import { describe, it, expect } from 'vitest';
import { FrameAssembler } from '../../src/audio/frame-assembler.js';
import { samplesPerFrame } from '../../src/audio/pcm.js';

const seq = (from: number, n: number): Int16Array => Int16Array.from({ length: n }, (_, i) => from + i);

function collect(assembler: FrameAssembler, chunks: Int16Array[]): Int16Array[] {
  const frames: Int16Array[] = [];
  for (const c of chunks) assembler.push(c, (f) => frames.push(f));
  return frames;
}

describe('FrameAssembler', () => {
  it('emits exact frames from arbitrary chunk sizes, in order', () => {
    const fa = new FrameAssembler(4);
    const frames = collect(fa, [seq(0, 3), seq(3, 1), seq(4, 9), seq(13, 0), seq(13, 2)]);
    expect(frames.map((f) => [...f])).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9, 10, 11],
    ]);
    expect(fa.pending).toBe(3);
  });

  it('turns 20 ms of 16 kHz audio split any way into one 320-sample frame', () => {
    const fa = new FrameAssembler(samplesPerFrame(16000));
    const frames = collect(fa, [seq(0, 100), seq(100, 100), seq(200, 120)]);
    expect(frames).toHaveLength(1);
    expect(frames[0]).toEqual(seq(0, 320));
    expect(fa.pending).toBe(0);
  });

  it('emits frames that alias neither its own buffer nor the caller input', () => {
    const fa = new FrameAssembler(4);
    const input = seq(0, 6);
    const frames: Int16Array[] = [];
    fa.push(input, (f) => frames.push(f));
    input.fill(99); // caller reuses its buffer
    fa.push(seq(6, 6), (f) => frames.push(f)); // reuses the partial-frame buffer
    fa.push(seq(12, 4), (f) => frames.push(f));
    expect(frames.map((f) => [...f])).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9, 10, 11],
      [12, 13, 14, 15],
    ]);
    expect(new Set(frames.map((f) => f.buffer)).size).toBe(frames.length);
  });

  it('flush pads the remainder with zeros', () => {
    const fa = new FrameAssembler(5);
    const frames = collect(fa, [seq(1, 7)]);
    fa.flush((f) => frames.push(f));
    expect(frames.map((f) => [...f])).toEqual([
      [1, 2, 3, 4, 5],
      [6, 7, 0, 0, 0],
    ]);
    expect(fa.pending).toBe(0);
  });

  it('flush emits nothing when no samples are pending', () => {
    const fa = new FrameAssembler(3);
    const frames = collect(fa, [seq(0, 6)]);
    fa.flush((f) => frames.push(f));
    expect(frames).toHaveLength(2);
  });

  it('a padded flush leaves no stale samples behind', () => {
    const fa = new FrameAssembler(4);
    const frames = collect(fa, [seq(1, 3)]);
    fa.flush((f) => frames.push(f));
    fa.push(seq(10, 1), (f) => frames.push(f));
    fa.flush((f) => frames.push(f));
    expect(frames.map((f) => [...f])).toEqual([
      [1, 2, 3, 0],
      [10, 0, 0, 0],
    ]);
  });

  it('reset drops the pending samples and reports how many', () => {
    const fa = new FrameAssembler(4);
    collect(fa, [seq(0, 6)]);
    expect(fa.reset()).toBe(2);
    expect(collect(fa, [seq(50, 4)]).map((f) => [...f])).toEqual([[50, 51, 52, 53]]);
  });

  it('preserves every sample of a long stream with random chunking', () => {
    const fa = new FrameAssembler(160);
    const total = 160 * 50 + 37;
    const stream = Int16Array.from({ length: total }, (_, i) => (i * 31) % 32768);
    const frames: Int16Array[] = [];
    let at = 0;
    let seed = 7;
    while (at < total) {
      seed = (seed * 48271) % 2147483647;
      const n = Math.min(total - at, seed % 500);
      fa.push(stream.subarray(at, at + n), (f) => frames.push(f));
      at += n;
    }
    fa.flush((f) => frames.push(f));
    expect(frames).toHaveLength(51);
    expect(frames.every((f) => f.length === 160)).toBe(true);
    const joined = new Int16Array(frames.length * 160);
    frames.forEach((f, i) => joined.set(f, i * 160));
    expect(joined.subarray(0, total)).toEqual(stream);
    expect(joined.subarray(total).every((s) => s === 0)).toBe(true);
  });

  it('rejects a non-positive frame size', () => {
    expect(() => new FrameAssembler(0)).toThrow(RangeError);
  });
});
