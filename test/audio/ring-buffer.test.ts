import { describe, it, expect } from 'vitest';
import { AudioRingBuffer, MAX_BUFFER_SECONDS, ringBufferFor } from '../../src/audio/ring-buffer.js';

const seq = (from: number, n: number): Int16Array => Int16Array.from({ length: n }, (_, i) => from + i);

describe('AudioRingBuffer', () => {
  it('returns samples first in, first out', () => {
    const rb = new AudioRingBuffer(8);
    rb.push(seq(1, 3));
    rb.push(seq(4, 2));
    expect(rb.length).toBe(5);
    expect([...rb.read(2)]).toEqual([1, 2]);
    expect([...rb.read(10)]).toEqual([3, 4, 5]);
    expect(rb.length).toBe(0);
    expect(rb.read(4).length).toBe(0);
  });

  it('wraps around the end of its storage', () => {
    const rb = new AudioRingBuffer(5);
    rb.push(seq(1, 4));
    expect([...rb.read(3)]).toEqual([1, 2, 3]);
    rb.push(seq(5, 4)); // occupies indices 4,0,1,2
    expect(rb.length).toBe(5);
    expect([...rb.read(5)]).toEqual([4, 5, 6, 7, 8]);
    expect(rb.droppedSamples).toBe(0);
  });

  it('drops the oldest samples on overflow and counts them', () => {
    const rb = new AudioRingBuffer(4);
    rb.push(seq(1, 3));
    rb.push(seq(4, 3));
    expect(rb.droppedSamples).toBe(2);
    expect(rb.length).toBe(4);
    expect([...rb.read(4)]).toEqual([3, 4, 5, 6]);
  });

  it('keeps only the newest `capacity` samples of an oversized push', () => {
    const rb = new AudioRingBuffer(4);
    rb.push(seq(100, 2));
    rb.read(1); // start is now mid-storage
    rb.push(seq(1, 10));
    expect(rb.droppedSamples).toBe(1 + 6);
    expect([...rb.read(10)]).toEqual([7, 8, 9, 10]);
  });

  it('accumulates the dropped count across overflows', () => {
    const rb = new AudioRingBuffer(3);
    for (let i = 0; i < 10; i++) rb.push(seq(i * 2, 2));
    expect(rb.droppedSamples).toBe(20 - 3);
    expect([...rb.read(3)]).toEqual([17, 18, 19]);
  });

  it('readInto fills from the oldest sample and reports the count', () => {
    const rb = new AudioRingBuffer(6);
    rb.push(seq(1, 5));
    rb.read(4);
    rb.push(seq(6, 4)); // wraps
    const out = new Int16Array(8).fill(-1);
    expect(rb.readInto(out)).toBe(5);
    expect([...out]).toEqual([5, 6, 7, 8, 9, -1, -1, -1]);
    expect(rb.readInto(out)).toBe(0);
  });

  it('read returns copies that later pushes do not overwrite', () => {
    const rb = new AudioRingBuffer(2);
    rb.push(seq(1, 2));
    const got = rb.read(2);
    rb.push(seq(50, 2));
    expect([...got]).toEqual([1, 2]);
  });

  it('does not keep a reference to pushed arrays', () => {
    const rb = new AudioRingBuffer(4);
    const input = seq(1, 3);
    rb.push(input);
    input.fill(0);
    expect([...rb.read(3)]).toEqual([1, 2, 3]);
  });

  it('clear returns the discarded count without counting it as dropped', () => {
    const rb = new AudioRingBuffer(10);
    rb.push(seq(1, 7));
    expect(rb.clear()).toBe(7);
    expect(rb.length).toBe(0);
    expect(rb.droppedSamples).toBe(0);
    rb.push(seq(1, 2));
    expect([...rb.read(5)]).toEqual([1, 2]);
  });

  it('rejects a non-positive or fractional capacity', () => {
    expect(() => new AudioRingBuffer(0)).toThrow(RangeError);
    expect(() => new AudioRingBuffer(2.5)).toThrow(RangeError);
  });

  it('matches a simple array model over a long random workload', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const rb = new AudioRingBuffer(37);
    let model: number[] = [];
    let dropped = 0;
    let next = 0;
    for (let step = 0; step < 3000; step++) {
      if (rand(2) === 0) {
        const chunk = seq(next % 30000, rand(50));
        next += chunk.length;
        rb.push(chunk);
        model.push(...chunk);
        if (model.length > 37) {
          dropped += model.length - 37;
          model = model.slice(model.length - 37);
        }
      } else {
        const n = rand(40);
        expect([...rb.read(n)]).toEqual(model.slice(0, n));
        model = model.slice(n);
      }
      expect(rb.length).toBe(model.length);
      expect(rb.droppedSamples).toBe(dropped);
    }
  });
});

describe('ringBufferFor', () => {
  it('sizes the buffer from seconds and rate', () => {
    expect(ringBufferFor(2, 16000).capacity).toBe(32000);
    expect(ringBufferFor(0.02, 22050).capacity).toBe(441);
  });

  it('caps at 10 seconds', () => {
    expect(MAX_BUFFER_SECONDS).toBe(10);
    expect(ringBufferFor(60, 48000).capacity).toBe(480000);
    expect(ringBufferFor(10, 8000).capacity).toBe(80000);
  });

  it('rejects non-positive durations and rates', () => {
    expect(() => ringBufferFor(0, 16000)).toThrow(RangeError);
    expect(() => ringBufferFor(1, -8000)).toThrow(RangeError);
    expect(() => ringBufferFor(Number.NaN, 16000)).toThrow(RangeError);
  });
});
