// One Cartesia context: buffers transcript pieces, generates audio for them segment by segment
// (paced by the simulator's TTS latencies) and streams `chunk`, `timestamps`, `flush_done` and
// finally `done`. A cancel stops its timers at once, so nothing more is sent for it. A context left
// open (no `continue:false`) expires 1 s after its last audio, as Cartesia's do.
import { performance } from 'node:perf_hooks';
import { writeWav } from '../../src/audio/wav.js';
import type { SimLatencies } from '../sim-control.js';
import { synthesizeSpeech } from '../sim-voice.js';
import { bytesPerSample, chunkLengths, encodeSamples } from './cartesia-audio.js';
import type { GenerationRequest, OutputFormat } from './cartesia-request.js';

/** What a context needs from its socket. */
export type ContextHost = {
  latencies: SimLatencies;
  /** The `wrong_audio_format` fault: the first audio of every context is a WAV file. */
  wrongAudioFormat: boolean;
  send(message: Record<string, unknown>): void;
  /** Called after each chunk; the socket may inject its `malformed` garbage here. */
  afterChunk(contextId: string, flushId: number | undefined): void;
  log(type: string, detail: string): void;
  /** The context ended (done sent, cancelled, failed or expired); the socket forgets it. */
  finished(contextId: string): void;
  /** The context expired while open for input; the socket refuses its id from now on. */
  expired(contextId: string): void;
};

type Segment = { text: string; flushId?: number };

/** Cartesia's documented default when a client streams with `continue:true` and no delay. */
const DEFAULT_BUFFER_DELAY_MS = 3000;
/** Cartesia: "Contexts automatically expire 1 second after the last audio output is streamed out." */
export const CONTEXT_EXPIRY_MS = 1000;
const SENTENCE_END = /[.!?;:]["')\]]*\s*$/;

export class CartesiaContext {
  readonly format: OutputFormat;
  readonly voiceId: string;
  private addTimestamps: boolean;
  private pending = '';
  private readonly segments: Segment[] = [];
  private inputClosed = false;
  private generating = false;
  private ended = false;
  private nextFlushId = 1;
  private segmentsGenerated = 0;
  /** Audio already streamed for this context, so word times count from the context's start. */
  private audioOffsetMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private bufferTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private lastSendAt = performance.now();

  constructor(
    readonly id: string,
    first: GenerationRequest,
    private readonly host: ContextHost,
  ) {
    this.format = first.outputFormat;
    this.voiceId = first.voiceId;
    this.addTimestamps = first.addTimestamps;
  }

  /** True once `continue:false` arrived: further input for this id is refused. */
  get closedForInput(): boolean {
    return this.inputClosed;
  }

  accept(request: GenerationRequest): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    if (request.addTimestamps) this.addTimestamps = true;
    this.pending += request.transcript;
    if (request.flush) {
      this.commit(this.nextFlushId++);
    } else if (request.continue && this.pending.trim() !== '') {
      const delay = request.maxBufferDelayMs ?? DEFAULT_BUFFER_DELAY_MS;
      if (delay === 0 || SENTENCE_END.test(this.pending)) this.commit();
      else this.bufferTimer ??= setTimeout(() => this.commit(), delay);
    }
    if (!request.continue) {
      if (this.pending !== '') this.commit();
      this.inputClosed = true;
      this.pump();
    }
  }

  /** Stops everything at once; nothing more is sent for this context. */
  cancel(): void {
    this.end();
  }

  private commit(flushId?: number): void {
    if (this.bufferTimer) clearTimeout(this.bufferTimer);
    this.bufferTimer = null;
    const text = this.pending;
    this.pending = '';
    if (text.trim() === '' && flushId === undefined) return;
    this.segments.push({ text, flushId });
    this.pump();
  }

  private pump(): void {
    if (this.generating || this.ended) return;
    const segment = this.segments.shift();
    if (!segment) {
      if (this.inputClosed && this.pending === '') {
        this.send({ type: 'done', done: true, status_code: 206, context_id: this.id });
        this.host.log('done', this.id);
        this.end();
      } else if (!this.inputClosed && this.pending === '' && !this.bufferTimer) {
        // Idle and still open for input: the expiry clock runs from the last audio sent.
        this.expiryTimer ??= setTimeout(() => {
          this.expiryTimer = null;
          this.host.log('expired', this.id);
          this.host.expired(this.id);
          this.end();
        }, CONTEXT_EXPIRY_MS);
      }
      return;
    }
    this.generating = true;
    this.generate(segment);
  }

  private generate(segment: Segment): void {
    const { sampleRate, encoding } = this.format;
    const { ttsTtfbMs, ttsRealtimeFactor } = this.host.latencies;
    const speech = segment.text.trim() === '' ? null : synthesizeSpeech(segment.text, sampleRate, this.voiceId);
    const samples = speech?.samples ?? new Int16Array(0);
    const firstOfContext = this.segmentsGenerated++ === 0;
    const bytes =
      this.host.wrongAudioFormat && firstOfContext && samples.length > 0
        ? writeWav({ sampleRate, channels: 1, samples })
        : encodeSamples(samples, encoding);
    const bytesPerMs = (sampleRate * bytesPerSample(encoding)) / 1000;
    const lengths = chunkLengths(bytes.length, bytesPerMs * 1000);
    const words = speech?.words ?? [];
    const offsetMs = this.audioOffsetMs;
    const startedAt = performance.now();
    let chunk = 0;
    let at = 0;
    let wordsSent = 0;

    const step = () => {
      this.timer = null;
      if (this.ended) return;
      if (chunk < lengths.length) {
        const piece = bytes.subarray(at, at + lengths[chunk]);
        at += piece.length;
        chunk++;
        this.send({
          type: 'chunk',
          data: piece.toString('base64'),
          done: false,
          status_code: 206,
          step_time: Math.round(performance.now() - this.lastSendAt),
          context_id: this.id,
          ...(segment.flushId === undefined ? {} : { flush_id: segment.flushId }),
        });
        this.host.log('chunk', this.id);
        if (this.ended) return;
        this.host.afterChunk(this.id, segment.flushId);
        if (this.ended) return;
        // Word timings follow the audio they describe: every word that has begun by now.
        const sentMs = at / bytesPerMs;
        if (this.addTimestamps && wordsSent < words.length && (words[wordsSent].startMs < sentMs || at >= bytes.length)) {
          const batch = [];
          while (wordsSent < words.length && (words[wordsSent].startMs < sentMs || at >= bytes.length)) batch.push(words[wordsSent++]);
          this.send({
            type: 'timestamps',
            done: false,
            status_code: 206,
            context_id: this.id,
            ...(segment.flushId === undefined ? {} : { flush_id: segment.flushId }),
            word_timestamps: {
              words: batch.map((w) => w.word),
              start: batch.map((w) => (offsetMs + w.startMs) / 1000),
              end: batch.map((w) => (offsetMs + w.endMs) / 1000),
            },
          });
        }
        this.schedule(startedAt + ttsTtfbMs + at / bytesPerMs / ttsRealtimeFactor, step);
        return;
      }
      this.audioOffsetMs += (samples.length * 1000) / sampleRate;
      if (segment.flushId !== undefined) {
        this.send({ type: 'flush_done', done: false, flush_done: true, flush_id: segment.flushId, status_code: 206, context_id: this.id });
      }
      this.generating = false;
      this.pump();
    };
    // A flush with nothing left to say answers at once; only speech pays the time to first byte.
    this.schedule(startedAt + (bytes.length === 0 ? 0 : ttsTtfbMs), step);
  }

  private schedule(at: number, fn: () => void): void {
    this.timer = setTimeout(fn, Math.max(0, at - performance.now()));
  }

  private send(message: Record<string, unknown>): void {
    if (this.ended) return;
    this.lastSendAt = performance.now();
    this.host.send(message);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.bufferTimer) clearTimeout(this.bufferTimer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.timer = null;
    this.bufferTimer = null;
    this.expiryTimer = null;
    this.host.finished(this.id);
  }
}
