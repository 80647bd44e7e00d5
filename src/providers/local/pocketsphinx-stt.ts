// Offline streaming speech recognition with CMU pocketsphinx (Debian `pocketsphinx`, 0.8 /
// 5prealpha), one long-lived decoder process per stream: decoding runs in that
// process, off Node's event loop, and a crash ends one call only. A pool would save the model
// load (~0.7 s for the general model, ~0.1 s for a domain model) but the decoder keeps per-speaker
// state (cepstral mean, noise estimate) that must not leak between callers, and it starts while
// the greeting plays, so one process per stream is simpler and safe.
//
// The decoder is our own build/native/pocketsphinx-stream (native/pocketsphinx-stream.c, built
// by scripts/ensure-deps.mjs) when it was built, else Debian's `pocketsphinx_continuous`. Both
// split the audio into utterances with the decoder's own VAD and print each as it ends: that is
// a `final` with word times. Only the streaming decoder also prints the hypothesis while an
// utterance is in progress (`partial` events, ~every 100 ms of audio when it changed);
// pocketsphinx_continuous prints nothing until the end, and then no partials are emitted (none
// are invented). finalize() appends enough quiet audio for the decoder's VAD to close the
// utterance at once; that audio has no stream time.
import { pcm16ToBytes } from '../../audio/pcm.js';
import { Resampler } from '../../audio/resampler.js';
import { ProviderError } from '../provider-error.js';
import type { ProviderCapabilities, SttEvent, SttOpenOptions, SttProvider, SttStream, WordTiming } from '../types.js';
import { hasDomain, prepareDomain, type PocketsphinxDomain } from './pocketsphinx-domain.js';
import { featureParamsArgs } from './pocketsphinx-feature-params.js';
import { assertInstalled, DEFAULT_BINARY, DEFAULT_DICT_PATH, DEFAULT_HMM_DIR, DEFAULT_LM_PATH } from './pocketsphinx-install.js';
import { findNativeDecoder } from './pocketsphinx-native.js';
import { DecoderOutputReader, type DecodedUtterance } from './pocketsphinx-output.js';
import { DecoderProcess, type DecoderExit } from './pocketsphinx-process.js';
import { StreamDecoderOutputReader, type StreamDecoderEvent } from './pocketsphinx-stream-output.js';
import { DecoderTimeline } from './pocketsphinx-timeline.js';

export type PocketsphinxSttOptions = PocketsphinxDomain & {
  /** The fallback decoder. Default `pocketsphinx_continuous` (looked up on PATH). */
  binary?: string;
  /**
   * The streaming decoder, which also gives partial results. Default: build/native/pocketsphinx-stream
   * in this repository when it was built and no `binary` is given. null always uses `binary` (no partials).
   */
  streamDecoder?: string | null;
  /** Acoustic model directory. Default /usr/share/pocketsphinx/model/en-us/en-us. */
  hmmDir?: string;
  /** General language model, used when no domain is given. Default .../en-us.lm.bin. */
  lmPath?: string;
  /** Pronunciation dictionary. Default .../cmudict-en-us.dict. */
  dictPath?: string;
  /** Silence that makes the decoder end an utterance by itself. Default 500 ms. */
  endSilenceMs?: number;
  /** Decoder VAD threshold (pocketsphinx `-vad_threshold`, default 2.0); raise it in noise. */
  vadThreshold?: number;
  /** Audio queued for the decoder beyond which the stream fails (it fell behind). Default 20 000 ms. */
  maxBacklogMs?: number;
  /** How long close() lets the decoder finish before killing it. Default 2000 ms. */
  closeGraceMs?: number;
};

const PROVIDER = 'pocketsphinx';
const DECODER_RATE = 16000;
/** pocketsphinx_continuous reads its input in blocks of 2048 samples (128 ms at 16 kHz). */
const READ_BLOCK_MS = 128;
/** On top of the VAD's end silence and one read block, so rounding never leaves it one frame short. */
const FINALIZE_MARGIN_MS = 60;
/** Amplitude of the quiet audio inserted on finalize; exact zeros confuse the decoder's noise estimate. */
const QUIET_AMPLITUDE = 3;

export class PocketsphinxStt implements SttProvider {
  readonly name = PROVIDER;
  /** `streaming` (interim results while audio flows) only with the streaming decoder. */
  readonly capabilities: ProviderCapabilities;
  /** Domain words missing from the dictionary (left out of the domain model). */
  readonly unknownWords: readonly string[];
  private readonly decoderArgs: readonly string[];
  private readonly binary: string;
  /** True when `binary` is the streaming decoder. */
  private readonly streams: boolean;
  private readonly hmmDir: string;
  private readonly endSilenceMs: number;

  constructor(private readonly options: PocketsphinxSttOptions = {}) {
    // A `binary` given on its own is a pocketsphinx_continuous-style decoder and is used as given.
    const streamDecoder = options.streamDecoder !== undefined ? options.streamDecoder : options.binary !== undefined ? null : findNativeDecoder();
    this.streams = streamDecoder !== null;
    this.binary = streamDecoder ?? options.binary ?? DEFAULT_BINARY;
    this.capabilities = { sampleRates: [DECODER_RATE], wordTimestamps: true, languages: ['en'], streaming: this.streams };
    const hmmDir = options.hmmDir ?? DEFAULT_HMM_DIR;
    this.hmmDir = hmmDir;
    const lmPath = options.lmPath ?? DEFAULT_LM_PATH;
    const dictPath = options.dictPath ?? DEFAULT_DICT_PATH;
    this.endSilenceMs = options.endSilenceMs ?? 500;
    if (!(this.endSilenceMs >= 50 && this.endSilenceMs <= 5000)) throw new RangeError(`endSilenceMs must be within 50..5000, got ${this.endSilenceMs}`);
    if (options.vadThreshold !== undefined && !(options.vadThreshold > 0)) throw new RangeError(`vadThreshold must be > 0, got ${options.vadThreshold}`);
    if (options.maxBacklogMs !== undefined && !(options.maxBacklogMs > 0)) throw new RangeError(`maxBacklogMs must be > 0, got ${options.maxBacklogMs}`);

    const restricted = hasDomain(options);
    assertInstalled({ binary: this.binary, hmmDir, lmPath, dictPath }, !restricted);
    const domain = restricted ? prepareDomain(options, dictPath) : { args: ['-lm', lmPath, '-dict', dictPath], unknownWords: [] };
    this.unknownWords = domain.unknownWords;
    this.decoderArgs = [
      '-hmm', hmmDir,
      ...domain.args,
      '-samprate', String(DECODER_RATE),
      '-time', 'yes',
      '-vad_postspeech', String(Math.round(this.endSilenceMs / 10)),
      ...(options.vadThreshold === undefined ? [] : ['-vad_threshold', String(options.vadThreshold)]),
    ];
  }

  /** The decoder command line without the input file (for logs and /health). */
  get commandLine(): readonly string[] {
    return [this.binary, ...this.decoderArgs];
  }

  open(request: SttOpenOptions): PocketsphinxSttStream {
    if (!(Number.isInteger(request.sampleRate) && request.sampleRate > 0)) throw new RangeError(`sampleRate must be a positive integer, got ${request.sampleRate}`);
    return new PocketsphinxSttStream(
      {
        binary: this.binary,
        input: this.streams ? 'stdin' : 'fifo',
        args: [...this.decoderArgs, ...featureParamsArgs(this.hmmDir, request.sampleRate)],
        finalizeSilenceMs: this.endSilenceMs + READ_BLOCK_MS + FINALIZE_MARGIN_MS,
        maxBacklogMs: this.options.maxBacklogMs ?? 20_000,
        closeGraceMs: this.options.closeGraceMs ?? 2000,
      },
      request,
    );
  }
}

type StreamConfig = { binary: string; input: 'fifo' | 'stdin'; args: readonly string[]; finalizeSilenceMs: number; maxBacklogMs: number; closeGraceMs: number };

/** What both decoders' output readers do. */
type OutputReader = { push(text: string): void; end(): void; discard(): void };

type State = 'running' | 'closing' | 'ended';

export class PocketsphinxSttStream implements SttStream {
  private state: State = 'running';
  /** Null when the signal had already fired at open(): no process is started for nothing. */
  private readonly decoder: DecoderProcess | null = null;
  private readonly reader: OutputReader;
  private readonly resampler: Resampler | null;
  private readonly timeline: DecoderTimeline;
  private closeTimer: NodeJS.Timeout | null = null;
  private quietSeed = 1;
  /** Samples written since the last finalize(), so a finalize with nothing new does nothing. */
  private samplesSinceFinalize = 0;
  /** Text of the last partial, so a partial that only changed fillers or variants is not repeated. */
  private lastPartial = '';

  constructor(
    private readonly config: StreamConfig,
    private readonly request: SttOpenOptions,
  ) {
    this.resampler = request.sampleRate === DECODER_RATE ? null : new Resampler(request.sampleRate, DECODER_RATE);
    this.timeline = new DecoderTimeline(this.resampler ? (this.resampler.delaySamples * 1000) / DECODER_RATE : 0);
    this.reader =
      config.input === 'stdin'
        ? new StreamDecoderOutputReader((event) => this.onDecoderEvent(event))
        : new DecoderOutputReader((utterance) => this.onUtterance(utterance));
    if (request.signal.aborted) {
      this.state = 'ended';
      return;
    }
    request.signal.addEventListener('abort', this.onAbort, { once: true });
    this.decoder = new DecoderProcess({
      binary: config.binary,
      args: config.args,
      input: config.input,
      onStdout: (text) => {
        if (this.state === 'running') this.reader.push(text);
      },
      onExit: (exit) => this.onExit(exit),
    });
  }

  /** Process (group) id of the decoder, for diagnostics and tests. */
  get pid(): number | undefined {
    return this.decoder?.pid;
  }

  write(samples: Int16Array): void {
    if (this.state !== 'running' || samples.length === 0) return;
    const audio = this.resampler ? this.resampler.process(samples) : samples;
    this.samplesSinceFinalize += samples.length;
    this.timeline.audio((samples.length * 1000) / this.request.sampleRate, (audio.length * 1000) / DECODER_RATE);
    this.feed(audio);
  }

  finalize(): void {
    if (this.state !== 'running' || this.samplesSinceFinalize === 0) return;
    this.samplesSinceFinalize = 0;
    if (this.resampler) {
      // The filter still holds the last ~2 ms of speech; let it out before the quiet.
      const tail = this.resampler.flush();
      this.timeline.audio(0, (tail.length * 1000) / DECODER_RATE);
      this.feed(tail);
    }
    const quiet = this.quiet(Math.round((this.config.finalizeSilenceMs * DECODER_RATE) / 1000));
    this.timeline.insertedSilence((quiet.length * 1000) / DECODER_RATE);
    this.feed(quiet);
  }

  /** Ends the stream quietly: the decoder gets end of input and a grace period, then is killed. */
  close(): void {
    if (this.state !== 'running') return;
    this.state = 'closing';
    this.reader.discard();
    this.request.signal.removeEventListener('abort', this.onAbort);
    this.decoder?.endInput();
    this.closeTimer = setTimeout(() => this.decoder?.kill(), this.config.closeGraceMs);
    this.closeTimer.unref?.();
  }

  private readonly onAbort = (): void => {
    if (this.state === 'ended') return;
    this.end();
    this.decoder?.kill();
  };

  private feed(audio: Int16Array): void {
    if (audio.length === 0 || !this.decoder) return;
    this.decoder.write(pcm16ToBytes(audio));
    const backlogMs = (this.decoder.queuedBytes / 2 / DECODER_RATE) * 1000;
    if (backlogMs > this.config.maxBacklogMs) {
      this.fail(new ProviderError(PROVIDER, 'timeout', `the decoder fell ${Math.round(backlogMs)} ms behind the audio`, { code: 'decoder_backlog' }));
    }
  }

  /** Near-silent noise (a few LSB): reads as silence to the VAD without being digital zero. */
  private quiet(samples: number): Int16Array {
    const out = new Int16Array(samples);
    let seed = this.quietSeed;
    for (let i = 0; i < samples; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      out[i] = (seed % (2 * QUIET_AMPLITUDE + 1)) - QUIET_AMPLITUDE;
    }
    this.quietSeed = seed;
    return out;
  }

  private onDecoderEvent(event: StreamDecoderEvent): void {
    if (event.type === 'final') this.onUtterance(event.utterance);
    else this.onPartial(event.utterance);
  }

  private onPartial(utterance: DecodedUtterance): void {
    const words = utterance.words;
    if (this.state !== 'running' || words.length === 0) return;
    const text = words.map((w) => w.word).join(' ');
    if (text === this.lastPartial) return;
    this.lastPartial = text;
    this.emit({ type: 'partial', text, startMs: this.timeline.toStreamMs(words[0].startMs), endMs: this.timeline.toStreamMs(words[words.length - 1].endMs) });
  }

  private onUtterance(utterance: DecodedUtterance): void {
    this.lastPartial = '';
    if (this.state !== 'running' || utterance.words.length === 0) return;
    const words: WordTiming[] = utterance.words.map((w) => ({
      word: w.word,
      startMs: this.timeline.toStreamMs(w.startMs),
      endMs: this.timeline.toStreamMs(w.endMs),
      confidence: w.confidence,
    }));
    const confidence = words.reduce((sum, w) => sum + (w.confidence ?? 0), 0) / words.length;
    this.emit({
      type: 'final',
      text: words.map((w) => w.word).join(' '),
      confidence: Math.round(confidence * 1000) / 1000,
      startMs: words[0].startMs,
      endMs: words[words.length - 1].endMs,
      words,
    });
  }

  private onExit(exit: DecoderExit): void {
    if (this.closeTimer) clearTimeout(this.closeTimer);
    if (this.state === 'running') {
      this.reader.end();
      this.fail(new ProviderError(PROVIDER, 'server', describeExit(exit), { code: 'decoder_exited' }));
      return;
    }
    this.end();
  }

  private emit(event: SttEvent): void {
    if (this.state === 'running') this.request.onEvent(event);
  }

  /** Reports `error` once and ends the stream; the decoder is killed if still alive. */
  private fail(error: ProviderError): void {
    if (this.state !== 'running') return;
    this.end();
    this.decoder?.kill();
    this.request.onEvent({ type: 'error', message: error.message, recoverable: true, error });
  }

  private end(): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.reader.discard();
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.request.signal.removeEventListener('abort', this.onAbort);
  }
}

/** One line on why the decoder stopped: its exit and the last error it logged. */
function describeExit(exit: DecoderExit): string {
  const how = exit.signal ? `was killed by ${exit.signal}` : exit.code === null ? 'could not be started' : `exited with code ${exit.code}`;
  const lines = exit.stderrTail.split('\n').map((l) => l.trim()).filter(Boolean);
  const reason = [...lines].reverse().find((l) => /ERROR|FATAL|not found|No such file|cannot|failed/i.test(l)) ?? lines[lines.length - 1];
  return `the decoder ${how}${reason ? `: ${reason.slice(0, 300)}` : ''}`;
}
