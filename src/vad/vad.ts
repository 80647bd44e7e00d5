// Contracts shared by every voice activity detector. Input is Parley's internal audio format:
// PCM16 mono 16 kHz, normally in 20 ms frames (320 samples). Times are audio times in
// milliseconds since the stream opened (sample count / 16), never wall-clock times.

export const VAD_SAMPLE_RATE = 16_000;

export type VadEvent =
  | {
      type: 'speech_start';
      /** Audio time of the first speech window (minus speechPadMs). */
      onsetMs: number;
      /** Audio time at which the detector decided (end of the window that confirmed speech). */
      detectedMs: number;
    }
  | {
      type: 'speech_end';
      /** Audio time at which speech stopped (plus speechPadMs, never past detectedMs). */
      endMs: number;
      detectedMs: number;
    };

export interface VadSettings {
  /** Speech probability at or above which a window counts as speech. */
  threshold: number;
  /** Probability below which a window counts as silence; default max(threshold - 0.15, 0.01). */
  negThreshold?: number;
  /** Speech must last this long from its onset before speech_start is reported. */
  minSpeechMs: number;
  /** Silence must last this long before speech_end is reported. */
  minSilenceMs: number;
  /** Widens reported segments: onset moves earlier and end later by this much. Default 0. */
  speechPadMs?: number;
}

export type ResolvedVadSettings = Required<VadSettings>;

export interface VadStream {
  /** Frames in order. Events arrive via the callback given to `open`, possibly asynchronously. */
  push(frame: Int16Array): void;
  /**
   * Stops the stream: no event is delivered after it returns. If speech was open, one final
   * speech_end is delivered synchronously so listeners always see balanced pairs.
   */
  close(): void;
  /** Audio pushed so far, in milliseconds. */
  readonly audioMs: number;
}

export interface Vad {
  readonly kind: 'silero' | 'energy';
  open(settings: VadSettings, onEvent: (e: VadEvent) => void): VadStream;
  /** Closes every open stream and releases the detector's resources. */
  close(): Promise<void>;
}

export const defaultVadSettings: Readonly<VadSettings> = Object.freeze({
  threshold: 0.5,
  minSpeechMs: 64,
  minSilenceMs: 250,
  speechPadMs: 0,
});

/** Fills the optional fields and rejects settings that cannot work, with a reason. */
export function resolveVadSettings(settings: VadSettings): ResolvedVadSettings {
  const { threshold, minSpeechMs, minSilenceMs } = settings;
  const negThreshold = settings.negThreshold ?? Math.max(threshold - 0.15, 0.01);
  const speechPadMs = settings.speechPadMs ?? 0;
  const problems: string[] = [];
  if (!(threshold > 0 && threshold <= 1)) problems.push(`threshold must be in (0, 1], got ${threshold}`);
  if (!(negThreshold > 0 && negThreshold <= threshold)) {
    problems.push(`negThreshold must be in (0, threshold], got ${negThreshold}`);
  }
  if (!(minSpeechMs >= 0 && Number.isFinite(minSpeechMs))) problems.push(`minSpeechMs must be >= 0, got ${minSpeechMs}`);
  if (!(minSilenceMs >= 0 && Number.isFinite(minSilenceMs))) problems.push(`minSilenceMs must be >= 0, got ${minSilenceMs}`);
  if (!(speechPadMs >= 0 && Number.isFinite(speechPadMs))) problems.push(`speechPadMs must be >= 0, got ${speechPadMs}`);
  if (problems.length > 0) throw new RangeError(`invalid VAD settings: ${problems.join('; ')}`);
  return { threshold, negThreshold, minSpeechMs, minSilenceMs, speechPadMs };
}

/** The slice of a pino-style logger the detectors use. */
export interface VadLogger {
  warn(obj: object, msg: string): void;
}
