import { describe, expect, it } from 'vitest';
import { AudioRing } from '../../src/resilience/audio-ring.js';

const ramp = (from: number, n: number): Int16Array => Int16Array.from({ length: n }, (_, i) => from + i);
const join = (parts: Int16Array[]): number[] => parts.flatMap((p) => [...p]);

describe('AudioRing', () => {
  it('keeps exactly the newest `capacity` samples, trimming inside a chunk', () => {
    const ring = new AudioRing(10);
    ring.push(ramp(0, 6), true);
    ring.push(ramp(6, 7), false);
    expect(ring.startSample).toBe(3);
    expect(ring.endSample).toBe(13);
    expect(join(ring.slice(0))).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(join(ring.slice(5, 8))).toEqual([5, 6, 7]);
    expect(ring.droppedUndelivered).toBe(0);
  });

  it('counts only dropped audio that no stream received', () => {
    const ring = new AudioRing(4);
    ring.push(ramp(0, 4), false);
    ring.markDelivered(2, 4);
    ring.push(ramp(4, 4), false);
    // The first chunk overlapped the delivered range, so it counts as received as a whole.
    expect(ring.droppedUndelivered).toBe(0);
    ring.push(ramp(8, 3), true);
    expect(ring.droppedUndelivered).toBe(3);
  });

  it('copies what it is given', () => {
    const ring = new AudioRing(8);
    const buf = ramp(0, 4);
    ring.push(buf, true);
    buf.fill(99);
    expect(join(ring.slice(0))).toEqual([0, 1, 2, 3]);
  });
});
