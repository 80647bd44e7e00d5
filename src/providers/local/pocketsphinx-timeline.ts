// Maps the decoder's audio clock to the stream's. The decoder's word times count every sample it
// read; that is the caller's audio (resampled, so shifted by the filter's group delay) plus the
// silence we insert to make it end an utterance on finalize(). Inserted silence has no stream
// time: a decoder time inside it maps to the stream time where it was inserted.

type Span = {
  decoderStartMs: number;
  decoderEndMs: number;
  streamStartMs: number;
  streamEndMs: number;
};

/** Spans kept; older ones are merged into the first, which only loses precision long ago. */
const MAX_SPANS = 256;

export class DecoderTimeline {
  private spans: Span[] = [];
  private decoderMs = 0;
  private streamMs = 0;

  /** @param delayMs Group delay of the resampler in front of the decoder (0 without one). */
  constructor(private readonly delayMs = 0) {}

  /** The caller's audio: `streamMs` of stream time became `decoderMs` of decoder input. */
  audio(streamMs: number, decoderMs: number): void {
    this.push(decoderMs, streamMs);
  }

  /** Silence the stream never had. */
  insertedSilence(decoderMs: number): void {
    this.push(decoderMs, 0);
  }

  get decoderPositionMs(): number {
    return this.decoderMs;
  }

  get streamPositionMs(): number {
    return this.streamMs;
  }

  /** Stream time of a decoder time, rounded to whole ms and never past the audio written. */
  toStreamMs(decoderMs: number): number {
    const span = this.spans.find((s) => decoderMs < s.decoderEndMs) ?? this.spans[this.spans.length - 1];
    if (!span) return 0;
    if (span.streamEndMs === span.streamStartMs) return Math.round(span.streamStartMs);
    const scale = (span.streamEndMs - span.streamStartMs) / (span.decoderEndMs - span.decoderStartMs);
    const t = span.streamStartMs + (decoderMs - span.decoderStartMs - this.delayMs) * scale;
    return Math.round(Math.min(span.streamEndMs, Math.max(span.streamStartMs, t)));
  }

  private push(decoderMs: number, streamMs: number): void {
    if (decoderMs <= 0) {
      this.streamMs += streamMs;
      return;
    }
    const last = this.spans[this.spans.length - 1];
    const silent = streamMs === 0;
    const lastSilent = last !== undefined && last.streamEndMs === last.streamStartMs;
    if (last && silent === lastSilent) {
      last.decoderEndMs += decoderMs;
      last.streamEndMs += streamMs;
    } else {
      this.spans.push({ decoderStartMs: this.decoderMs, decoderEndMs: this.decoderMs + decoderMs, streamStartMs: this.streamMs, streamEndMs: this.streamMs + streamMs });
    }
    this.decoderMs += decoderMs;
    this.streamMs += streamMs;
    if (this.spans.length > MAX_SPANS) {
      const [a, b] = this.spans;
      this.spans.splice(0, 2, { decoderStartMs: a.decoderStartMs, decoderEndMs: b.decoderEndMs, streamStartMs: a.streamStartMs, streamEndMs: b.streamEndMs });
    }
  }
}
