// A VAD decorator that measures the detector's own processing lag: for each speech_start /
// speech_end it finds when the frame that completed the deciding window arrived, and compares
// that with when the event reached the session. For Silero this is the batching wait, the
// worker round trip and the inference.
import type { Vad, VadEvent, VadSettings, VadStream } from '../../src/vad/vad.js';
import type { Clock } from '../../src/clock.js';
import { VAD_SAMPLE_RATE } from '../../src/vad/vad.js';

export type VadDecision = {
  type: VadEvent['type'];
  /** Audio time the event names (speech onset or end). */
  eventAudioMs: number;
  /** Audio time of the end of the window that decided it. */
  detectedMs: number;
  /** When the frame holding `detectedMs` was pushed into the detector. */
  frameArrivalAt: number;
  /** When the event was delivered to the session. */
  eventAt: number;
  lagMs: number;
};

const HISTORY = 512;

export class ProbedVad implements Vad {
  readonly kind: Vad['kind'];
  /** The decision being delivered right now; the session's timeline event is emitted inside it. */
  lastDecision: VadDecision | null = null;
  readonly lags: { type: VadEvent['type']; lagMs: number }[] = [];

  constructor(
    private readonly inner: Vad,
    private readonly clock: Clock,
  ) {
    this.kind = inner.kind;
  }

  open(settings: VadSettings, onEvent: (e: VadEvent) => void): VadStream {
    const audioEnd = new Float64Array(HISTORY);
    const arrival = new Float64Array(HISTORY);
    let count = 0;
    let audioMs = 0;
    const arrivalOf = (ms: number): number => {
      const oldest = Math.max(0, count - HISTORY);
      for (let i = oldest; i < count; i++) if (audioEnd[i % HISTORY] >= ms - 1e-6) return arrival[i % HISTORY];
      return Number.NaN;
    };
    const stream = this.inner.open(settings, (e) => {
      const eventAt = this.clock.now();
      const frameArrivalAt = arrivalOf(e.detectedMs);
      const decision: VadDecision = {
        type: e.type,
        eventAudioMs: e.type === 'speech_start' ? e.onsetMs : e.endMs,
        detectedMs: e.detectedMs,
        frameArrivalAt,
        eventAt,
        lagMs: eventAt - frameArrivalAt,
      };
      this.lags.push({ type: e.type, lagMs: decision.lagMs });
      this.lastDecision = decision;
      try {
        onEvent(e);
      } finally {
        this.lastDecision = null;
      }
    });
    return {
      push: (frame: Int16Array) => {
        audioMs += (frame.length * 1000) / VAD_SAMPLE_RATE;
        audioEnd[count % HISTORY] = audioMs;
        arrival[count % HISTORY] = this.clock.now();
        count++;
        stream.push(frame);
      },
      close: () => stream.close(),
      get audioMs() {
        return stream.audioMs;
      },
    };
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
