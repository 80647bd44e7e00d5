import { describe, expect, it } from 'vitest';
import { SortedWindow } from '../../src/audio/sorted-window.js';
import { mulberry32 } from '../helpers/random.js';

describe('SortedWindow', () => {
  it('gives the same quantiles as sorting the last N values, over a long random stream', () => {
    const random = mulberry32(7);
    const window = new SortedWindow(100);
    const recent: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const v = Math.round(random() * 50) / 2; // repeats on purpose
      window.push(v);
      recent.push(v);
      if (recent.length > 100) recent.shift();
      const sorted = [...recent].sort((a, b) => a - b);
      expect(window.length).toBe(recent.length);
      expect(window.min()).toBe(sorted[0]);
      expect(window.quantile(0.95)).toBe(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]);
    }
  });

  it('is empty after clear and refuses a bad capacity', () => {
    const window = new SortedWindow(3);
    window.push(1);
    window.clear();
    expect(window.length).toBe(0);
    expect(window.quantile(0.5)).toBeNaN();
    expect(() => new SortedWindow(0)).toThrow(RangeError);
  });
});
