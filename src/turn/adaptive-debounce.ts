// End-of-utterance debounce that adapts to the caller: if they keep cancelling replies by
// talking on (we answered too early), wait longer; if they almost never do, answer sooner.
//
// Override: with `debounceOverrideMs` set, `currentMs` is the override and adaptation is
// suspended — turns are NOT counted, because a cancel rate measured under a fixed debounce says
// nothing about the adapted value. The window in progress is kept, so clearing the override
// resumes where adaptation left off.
import type { TurnSettings } from './turn-inputs.js';

export type DebounceSettings = Pick<
  TurnSettings,
  | 'debounceOverrideMs'
  | 'debounceInitialMs'
  | 'debounceMinMs'
  | 'debounceMaxMs'
  | 'debounceWindow'
  | 'debounceRaiseAbove'
  | 'debounceRaiseStepMs'
  | 'debounceLowerBelow'
  | 'debounceLowerStepMs'
>;

export type DebounceAdaptation = { fromMs: number; toMs: number; cancelRate: number };

export class AdaptiveDebounce {
  private settings: DebounceSettings;
  private adapted: number;
  private turns = 0;
  private cancels = 0;

  constructor(settings: DebounceSettings) {
    this.settings = { ...settings };
    this.adapted = this.clamp(settings.debounceInitialMs);
  }

  get currentMs(): number {
    return this.settings.debounceOverrideMs ?? this.adapted;
  }

  /** The adapted value, whether or not an override hides it. */
  get adaptedMs(): number {
    return this.adapted;
  }

  get turnsInWindow(): number {
    return this.turns;
  }

  get cancelsInWindow(): number {
    return this.cancels;
  }

  /**
   * Records one turn attempt (a debounce that fired) and whether the caller cancelled it.
   * Returns the adaptation when the window closed and the value changed, else null (also when
   * the window closed but the rate was in band or the value was already at its bound).
   */
  recordTurn(canceled: boolean): DebounceAdaptation | null {
    if (this.settings.debounceOverrideMs !== null) return null;
    this.turns++;
    if (canceled) this.cancels++;
    if (this.turns < Math.max(1, this.settings.debounceWindow)) return null;

    const cancelRate = this.cancels / this.turns;
    this.turns = 0;
    this.cancels = 0;
    const fromMs = this.adapted;
    const s = this.settings;
    let toMs = fromMs;
    if (cancelRate > s.debounceRaiseAbove) toMs = this.clamp(fromMs + s.debounceRaiseStepMs);
    else if (cancelRate < s.debounceLowerBelow) toMs = this.clamp(fromMs - s.debounceLowerStepMs);
    if (toMs === fromMs) return null;
    this.adapted = toMs;
    return { fromMs, toMs, cancelRate };
  }

  /**
   * Applies new settings. The adapted value is kept (re-clamped to new bounds); a new initial
   * value only matters for a fresh instance. A smaller window closes at the next recorded turn.
   */
  updateSettings(partial: Partial<DebounceSettings>): void {
    this.settings = { ...this.settings, ...partial };
    this.adapted = this.clamp(this.adapted);
  }

  private clamp(ms: number): number {
    return Math.min(this.settings.debounceMaxMs, Math.max(this.settings.debounceMinMs, ms));
  }
}
