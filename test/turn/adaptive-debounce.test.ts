import { describe, it, expect } from 'vitest';
import { AdaptiveDebounce } from '../../src/turn/adaptive-debounce.js';
import { defaultTurnSettings } from '../../src/turn/turn-inputs.js';

function make(overrides: Partial<typeof defaultTurnSettings> = {}): AdaptiveDebounce {
  return new AdaptiveDebounce({ ...defaultTurnSettings, ...overrides });
}

/** Records one window of `turns` turns with `cancels` cancellations; returns the last result. */
function window(d: AdaptiveDebounce, cancels: number, turns = 10) {
  const results = [];
  for (let i = 0; i < turns; i++) results.push(d.recordTurn(i < cancels));
  expect(results.slice(0, -1).every((r) => r === null)).toBe(true);
  return results[results.length - 1];
}

describe('AdaptiveDebounce', () => {
  it('starts at the initial value', () => {
    expect(make().currentMs).toBe(400);
    expect(make({ debounceInitialMs: 700 }).currentMs).toBe(700);
  });

  it('clamps the initial value into bounds', () => {
    expect(make({ debounceInitialMs: 100 }).currentMs).toBe(400);
    expect(make({ debounceInitialMs: 5000 }).currentMs).toBe(1200);
  });

  it('raises by 100 ms above 30% (4/10)', () => {
    const d = make({ debounceInitialMs: 600 });
    expect(window(d, 4)).toEqual({ fromMs: 600, toMs: 700, cancelRate: 0.4 });
    expect(d.currentMs).toBe(700);
  });

  it('does not change at exactly 30% (3/10)', () => {
    const d = make({ debounceInitialMs: 600 });
    expect(window(d, 3)).toBeNull();
    expect(d.currentMs).toBe(600);
  });

  it('does not change at 20% (2/10)', () => {
    const d = make({ debounceInitialMs: 600 });
    expect(window(d, 2)).toBeNull();
    expect(d.currentMs).toBe(600);
  });

  it('lowers by 50 ms below 15% (1/10 and 0/10)', () => {
    const d = make({ debounceInitialMs: 600 });
    expect(window(d, 1)).toEqual({ fromMs: 600, toMs: 550, cancelRate: 0.1 });
    expect(window(d, 0)).toEqual({ fromMs: 550, toMs: 500, cancelRate: 0 });
    expect(d.currentMs).toBe(500);
  });

  it('treats exactly 15% as in band (3/20)', () => {
    const d = make({ debounceInitialMs: 600, debounceWindow: 20 });
    expect(window(d, 3, 20)).toBeNull();
    expect(d.currentMs).toBe(600);
  });

  it('does not adapt before the window is full and starts the window over afterwards', () => {
    const d = make({ debounceInitialMs: 600 });
    for (let i = 0; i < 9; i++) expect(d.recordTurn(true)).toBeNull();
    expect(d.turnsInWindow).toBe(9);
    expect(d.cancelsInWindow).toBe(9);
    expect(d.recordTurn(true)).toEqual({ fromMs: 600, toMs: 700, cancelRate: 1 });
    expect(d.turnsInWindow).toBe(0);
    expect(d.cancelsInWindow).toBe(0);
    // the next window's 3/10 must not carry over any of the previous cancels
    expect(window(d, 3)).toBeNull();
    expect(d.currentMs).toBe(700);
  });

  it('clamps at the maximum and reports no adaptation there', () => {
    const d = make({ debounceInitialMs: 1150 });
    expect(window(d, 10)).toEqual({ fromMs: 1150, toMs: 1200, cancelRate: 1 });
    expect(window(d, 10)).toBeNull();
    expect(d.currentMs).toBe(1200);
  });

  it('clamps at the minimum and reports no adaptation there', () => {
    const d = make({ debounceInitialMs: 420 });
    expect(window(d, 0)).toEqual({ fromMs: 420, toMs: 400, cancelRate: 0 });
    expect(window(d, 0)).toBeNull();
    expect(d.currentMs).toBe(400);
  });

  it('walks up to the max and back down to the min over many windows', () => {
    const d = make();
    const seen: number[] = [];
    for (let i = 0; i < 10; i++) {
      window(d, 5);
      seen.push(d.currentMs);
    }
    expect(seen).toEqual([500, 600, 700, 800, 900, 1000, 1100, 1200, 1200, 1200]);
    const down: number[] = [];
    for (let i = 0; i < 18; i++) {
      window(d, 0);
      down.push(d.currentMs);
    }
    expect(down.slice(0, 3)).toEqual([1150, 1100, 1050]);
    expect(down[15]).toBe(400);
    expect(down.slice(16)).toEqual([400, 400]);
  });

  it('uses the override and suspends adaptation without counting turns', () => {
    const d = make({ debounceInitialMs: 600 });
    for (let i = 0; i < 5; i++) d.recordTurn(true);
    d.updateSettings({ debounceOverrideMs: 900 });
    expect(d.currentMs).toBe(900);
    for (let i = 0; i < 30; i++) expect(d.recordTurn(true)).toBeNull();
    expect(d.turnsInWindow).toBe(5);
    expect(d.adaptedMs).toBe(600);
    d.updateSettings({ debounceOverrideMs: null });
    expect(d.currentMs).toBe(600);
    // the 5 turns from before the override still count towards this window
    expect(window(d, 0, 5)).toEqual({ fromMs: 600, toMs: 700, cancelRate: 0.5 });
  });

  it('honours an override given at construction', () => {
    const d = make({ debounceOverrideMs: 250 });
    expect(d.currentMs).toBe(250);
    expect(window(d, 10)).toBeNull();
    expect(d.adaptedMs).toBe(400);
  });

  it('re-clamps the adapted value when bounds change', () => {
    const d = make({ debounceInitialMs: 1000 });
    d.updateSettings({ debounceMaxMs: 800 });
    expect(d.currentMs).toBe(800);
    d.updateSettings({ debounceMinMs: 900, debounceMaxMs: 1500 });
    expect(d.currentMs).toBe(900);
  });

  it('uses updated steps, thresholds and window size', () => {
    const d = make({ debounceInitialMs: 600 });
    d.updateSettings({ debounceWindow: 4, debounceRaiseStepMs: 25, debounceRaiseAbove: 0.5 });
    expect(window(d, 2, 4)).toBeNull();
    expect(window(d, 3, 4)).toEqual({ fromMs: 600, toMs: 625, cancelRate: 0.75 });
  });

  it('does not share settings with the object it was given', () => {
    const settings = { ...defaultTurnSettings, debounceInitialMs: 600 };
    const d = new AdaptiveDebounce(settings);
    settings.debounceOverrideMs = 100;
    expect(d.currentMs).toBe(600);
  });
});
