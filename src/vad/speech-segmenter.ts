// The decision logic every VAD shares: per-window speech probabilities in, speech_start /
// speech_end events out. Pure and timer-free: time is the audio time of the windows it is fed.
import type { ResolvedVadSettings, VadEvent, VadSettings } from './vad.js';
import { resolveVadSettings } from './vad.js';

export type SegmenterState = 'silence' | 'pending' | 'speech';

export class SpeechSegmenter {
  readonly settings: ResolvedVadSettings;
  private phase: SegmenterState = 'silence';
  /** Start of the first speech window of the current (pending or confirmed) segment. */
  private onsetMs = 0;
  /** Start of the first non-speech window after speech, while the end is still undecided. */
  private silenceStartMs: number | null = null;
  /** Keeps padded segments from overlapping the previous one. */
  private lastEndMs = 0;

  constructor(settings: VadSettings) {
    this.settings = resolveVadSettings(settings);
  }

  get state(): SegmenterState {
    return this.phase;
  }

  /**
   * Feeds one window: `probability` of speech (or 0/1 activity) for audio [startMs, endMs).
   * Windows must come in order. Returns the event this window decided, if any.
   */
  push(probability: number, startMs: number, endMs: number): VadEvent | null {
    const { threshold, negThreshold } = this.settings;
    const isSpeech = probability >= threshold;
    const isSilence = probability < negThreshold;
    switch (this.phase) {
      case 'silence':
        if (!isSpeech) return null;
        this.phase = 'pending';
        this.onsetMs = startMs;
        return this.confirmSpeech(endMs);
      case 'pending':
        // A dip below negThreshold before minSpeechMs is reached means it was a click, not speech.
        if (isSilence) {
          this.phase = 'silence';
          return null;
        }
        return this.confirmSpeech(endMs);
      case 'speech':
        if (this.silenceStartMs === null) {
          if (!isSilence) return null;
          this.silenceStartMs = startMs;
        } else if (isSpeech) {
          this.silenceStartMs = null;
          return null;
        }
        // Between the thresholds during trailing silence: still silence (hysteresis).
        if (endMs - this.silenceStartMs < this.settings.minSilenceMs) return null;
        return this.endSpeech(this.silenceStartMs, endMs);
    }
  }

  /**
   * Ends the stream at audio time `atMs`. Open speech ends where its trailing silence began,
   * or at `atMs`; speech still pending confirmation is dropped.
   */
  finish(atMs: number): VadEvent | null {
    const phase = this.phase;
    this.phase = 'silence';
    if (phase !== 'speech') return null;
    return this.endSpeech(this.silenceStartMs ?? atMs, atMs);
  }

  private confirmSpeech(windowEndMs: number): VadEvent | null {
    if (windowEndMs - this.onsetMs < this.settings.minSpeechMs) return null;
    this.phase = 'speech';
    this.silenceStartMs = null;
    const onsetMs = Math.max(this.onsetMs - this.settings.speechPadMs, this.lastEndMs);
    return { type: 'speech_start', onsetMs, detectedMs: windowEndMs };
  }

  private endSpeech(stoppedMs: number, detectedMs: number): VadEvent {
    this.phase = 'silence';
    this.silenceStartMs = null;
    const endMs = Math.min(stoppedMs + this.settings.speechPadMs, detectedMs);
    this.lastEndMs = endMs;
    return { type: 'speech_end', endMs, detectedMs };
  }
}
