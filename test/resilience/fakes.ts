// In-memory providers for the resilience tests: each does exactly what the test scripts, on a
// VirtualClock, and records what it was asked and when.
import type { VirtualClock } from '../../src/clock.js';
import type {
  LlmChunk,
  LlmProvider,
  LlmRequest,
  ProviderCapabilities,
  SttEvent,
  SttOpenOptions,
  SttProvider,
  SttStream,
  TtsAudio,
  TtsProvider,
  TtsRequest,
} from '../../src/providers/types.js';
import { AbortedError } from '../../src/providers/types.js';
import type { ResilienceEvent } from '../../src/resilience/resilience-events.js';
import { sleep } from '../../src/resilience/retry-policy.js';
import { mulberry32 } from '../helpers/random.js';

export const CAPS: ProviderCapabilities = { sampleRates: [16000], wordTimestamps: true, languages: ['en'], streaming: true };

/** Lets every promise continuation that is ready run (the virtual clock never does that itself). */
export async function flush(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}

/** Advances the clock in small steps, letting async code woken by each timer run before the next. */
export async function advance(clock: VirtualClock, ms: number, stepMs = 1): Promise<void> {
  const end = clock.now() + ms;
  await flush();
  while (clock.now() < end) {
    clock.advance(Math.min(stepMs, end - clock.now()));
    await flush();
  }
}

/** Collects resilience reports. */
export function recorder(): { events: ResilienceEvent[]; report: (e: ResilienceEvent) => void } {
  const events: ResilienceEvent[] = [];
  return { events, report: (e) => events.push(e) };
}

/** Small deterministic PRNG for jitter. */
export const seeded = mulberry32;

// ---------- LLM / TTS ----------

/** What one call does. `deaf` ignores its abort signal and never ends (a misbehaving adapter). */
export type Script<C> =
  | { chunks: C[]; firstAfterMs?: number; gapMs?: number; thenFail?: unknown }
  | { fail: unknown; afterMs?: number }
  | { hang: true }
  | { deaf: true };

export type CallRecord = { at: number; signal: AbortSignal; turnId?: string };

async function* play<C>(clock: VirtualClock, script: Script<C>, signal: AbortSignal): AsyncGenerator<C, void, undefined> {
  if ('deaf' in script) {
    await new Promise<never>(() => undefined);
    return;
  }
  if ('hang' in script) {
    await sleep(clock, 1e9, signal);
    return;
  }
  if ('fail' in script) {
    if (script.afterMs) await sleep(clock, script.afterMs, signal);
    throw script.fail;
  }
  for (let i = 0; i < script.chunks.length; i++) {
    const wait = i === 0 ? (script.firstAfterMs ?? 0) : (script.gapMs ?? 0);
    if (wait > 0) await sleep(clock, wait, signal);
    if (signal.aborted) throw new AbortedError();
    yield script.chunks[i];
  }
  if (script.thenFail !== undefined) throw script.thenFail;
}

function pick<C>(scripts: Script<C>[] | ((n: number) => Script<C>), n: number): Script<C> {
  if (typeof scripts === 'function') return scripts(n);
  const script = scripts[Math.min(n, scripts.length - 1)];
  if (!script) throw new Error('fake provider has no script');
  return script;
}

export class FakeLlm implements LlmProvider {
  readonly calls: CallRecord[] = [];
  readonly model: string;

  constructor(
    readonly name: string,
    private readonly clock: VirtualClock,
    /** Script per call (the last one repeats), or a function of the call index. */
    private readonly scripts: Script<LlmChunk>[] | ((n: number) => Script<LlmChunk>),
  ) {
    this.model = `${name}-model`;
  }

  stream(request: LlmRequest): AsyncIterable<LlmChunk> {
    const n = this.calls.length;
    this.calls.push({ at: this.clock.now(), signal: request.signal, ...(request.turnId ? { turnId: request.turnId } : {}) });
    return play(this.clock, pick(this.scripts, n), request.signal);
  }
}

export function text(...pieces: string[]): LlmChunk[] {
  return pieces.map((t) => ({ type: 'text', text: t }));
}

export class FakeTts implements TtsProvider {
  readonly calls: CallRecord[] = [];

  constructor(
    readonly name: string,
    private readonly clock: VirtualClock,
    private readonly scripts: Script<TtsAudio>[] | ((n: number) => Script<TtsAudio>),
    readonly capabilities: ProviderCapabilities = CAPS,
  ) {}

  synthesize(request: TtsRequest): AsyncIterable<TtsAudio> {
    const n = this.calls.length;
    this.calls.push({ at: this.clock.now(), signal: request.signal, ...(request.turnId ? { turnId: request.turnId } : {}) });
    return play(this.clock, pick(this.scripts, n), request.signal);
  }
}

/** Audio chunks whose samples all equal `tag`, so a test can tell which provider produced them. */
export function audio(tag: number, ...lengths: number[]): TtsAudio[] {
  return lengths.map((n) => ({ samples: new Int16Array(n).fill(tag) }));
}

// ---------- STT ----------

export class FakeSttStream implements SttStream {
  readonly received: Int16Array[] = [];
  /** Samples received (on this stream's own timeline) at each finalize(). */
  readonly finalizedAt: number[] = [];
  closed = false;
  dead = false;

  constructor(
    readonly options: SttOpenOptions,
    readonly openedAt: number,
  ) {}

  get samples(): number {
    return this.received.reduce((n, s) => n + s.length, 0);
  }

  /** Everything received, as one array. */
  all(): Int16Array {
    const out = new Int16Array(this.samples);
    let at = 0;
    for (const s of this.received) {
      out.set(s, at);
      at += s.length;
    }
    return out;
  }

  write(samples: Int16Array): void {
    if (this.closed || this.dead) throw new Error('write after end');
    this.received.push(samples.slice());
  }

  finalize(): void {
    this.finalizedAt.push(this.samples);
  }

  close(): void {
    this.closed = true;
  }

  emit(event: SttEvent): void {
    this.options.onEvent(event);
  }

  /** The connection is lost: an error event, then nothing. */
  fail(recoverable = true, message = 'connection dropped'): void {
    this.dead = true;
    this.options.onEvent({ type: 'error', message, recoverable });
  }
}

export class FakeStt implements SttProvider {
  readonly capabilities = CAPS;
  readonly streams: FakeSttStream[] = [];

  constructor(
    readonly name: string,
    private readonly clock: VirtualClock,
    /** Called for each stream as it opens (index = how many opened before): script failures here. */
    private readonly onOpen?: (stream: FakeSttStream, index: number) => void,
  ) {}

  open(options: SttOpenOptions): SttStream {
    const stream = new FakeSttStream(options, this.clock.now());
    this.streams.push(stream);
    this.onOpen?.(stream, this.streams.length - 1);
    return stream;
  }

  get last(): FakeSttStream {
    const s = this.streams.at(-1);
    if (!s) throw new Error(`${this.name}: no stream opened`);
    return s;
  }
}

/**
 * A caller that talks in 20 ms frames at 16 kHz, in real time on the virtual clock. Frame k is
 * filled with the value k + 1, so any received sample tells which moment of the call it came from.
 */
export class Talker {
  static readonly RATE = 16000;
  static readonly FRAME = 320;
  frames = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly stream: SttStream,
  ) {}

  talk(ms: number): void {
    this.frames20(ms, true);
  }

  /** Silent frames (all zero); they still move the timeline on. */
  pause(ms: number): void {
    this.frames20(ms, false);
  }

  private frames20(ms: number, speech: boolean): void {
    if (ms % 20 !== 0) throw new Error('talk in multiples of 20 ms');
    for (let i = 0; i < ms / 20; i++) {
      this.stream.write(new Int16Array(Talker.FRAME).fill(speech ? this.frames + 1 : 0));
      this.frames++;
      this.clock.advance(20);
    }
  }

  /** Caller-timeline ms at which a sample with `value` was written. */
  static msOfValue(value: number): number {
    return (value - 1) * 20;
  }
}

export type Consumed<T> = { items: T[]; error: unknown; endedAt: number | null };

/**
 * Consumes `iterable` while moving the virtual clock 1 ms at a time, until it ends or `limitMs`
 * passed (then `endedAt` is null: the stream hung).
 */
export async function consume<T>(clock: VirtualClock, iterable: AsyncIterable<T>, limitMs = 20_000): Promise<Consumed<T>> {
  const result: Consumed<T> = { items: [], error: undefined, endedAt: null };
  let ended = false;
  void (async () => {
    try {
      for await (const item of iterable) result.items.push(item);
    } catch (err) {
      result.error = err;
    }
    ended = true;
    result.endedAt = clock.now();
  })();
  const end = clock.now() + limitMs;
  await flush();
  while (!ended && clock.now() < end) {
    clock.advance(1);
    await flush();
  }
  return result;
}

/**
 * An STT that really listens: every non-silent 20 ms frame it hears is one word (`w<value>`), and
 * 200 ms of silence after speech ends the utterance with a final. Like a real engine, a connection
 * that dies takes its unfinished utterance with it.
 */
export class EchoStt implements SttProvider {
  readonly capabilities = CAPS;
  readonly streams: FakeSttStream[] = [];

  constructor(
    readonly name: string,
    private readonly clock: VirtualClock,
  ) {}

  open(options: SttOpenOptions): SttStream {
    const stream = new FakeSttStream(options, this.clock.now());
    this.streams.push(stream);
    let heard = 0;
    let words: string[] = [];
    let startMs = 0;
    let endMs = 0;
    let silenceMs = 0;
    const write = stream.write.bind(stream);
    stream.write = (samples: Int16Array): void => {
      write(samples);
      for (let at = 0; at < samples.length; at += Talker.FRAME) {
        const value = samples[at];
        const frameMs = (heard * 1000) / Talker.RATE;
        heard += Math.min(Talker.FRAME, samples.length - at);
        if (value !== 0) {
          if (words.length === 0) startMs = frameMs;
          words.push(`w${value}`);
          endMs = frameMs + 20;
          silenceMs = 0;
        } else if (words.length > 0 && (silenceMs += 20) >= 200) {
          stream.emit({ type: 'final', text: words.join(' '), confidence: 0.9, startMs, endMs });
          words = [];
        }
      }
    };
    return stream;
  }
}
