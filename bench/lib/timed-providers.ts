// Timing decorators for the provider interfaces: they record when Parley called the provider and
// when each token / audio chunk / final came back out of it, so provider latency is measured at
// the provider boundary and everything between two providers is Parley's own time. A call is
// tied to its session and turn by an owner key that the bench sets just before Parley's
// synchronous call into the provider (see server-probe.ts).
import type {
  LlmChunk,
  LlmProvider,
  LlmRequest,
  ProviderCapabilities,
  SttOpenOptions,
  SttProvider,
  SttStream,
  TtsAudio,
  TtsProvider,
  TtsRequest,
} from '../../src/providers/types.js';
import type { TimingClock } from './timing-clock.js';

export type LlmCall = {
  requestAt: number;
  /** Due time of the timer whose callback made the request (the debounce), if any. */
  timerDueAt: number | null;
  /** Text tokens (null for tool calls / usage) with the instant they left the provider. */
  items: { text: string | null; at: number }[];
  doneAt: number | null;
};

export class TimedLlm implements LlmProvider {
  readonly name: string;
  get model(): string {
    return this.inner.model;
  }
  readonly calls = new Map<string, LlmCall>();
  /** Set right before Parley calls `stream()`; claimed by that call. */
  nextOwner: string | null = null;

  constructor(
    private readonly inner: LlmProvider,
    private readonly clock: TimingClock,
  ) {
    this.name = inner.name;
  }

  stream(request: LlmRequest): AsyncIterable<LlmChunk> {
    const call: LlmCall = { requestAt: this.clock.now(), timerDueAt: this.clock.currentTimer?.dueAt ?? null, items: [], doneAt: null };
    if (this.nextOwner !== null) this.calls.set(this.nextOwner, call);
    this.nextOwner = null;
    return this.relay(this.inner.stream(request), call);
  }

  private async *relay(source: AsyncIterable<LlmChunk>, call: LlmCall): AsyncGenerator<LlmChunk> {
    for await (const chunk of source) {
      call.items.push({ text: chunk.type === 'text' ? chunk.text : null, at: this.clock.now() });
      yield chunk;
    }
    call.doneAt = this.clock.now();
  }
}

export type TtsCall = {
  text: string;
  requestAt: number;
  timerDueAt: number | null;
  firstAudioAt: number | null;
  chunks: number;
};

export class TimedTts implements TtsProvider {
  readonly name: string;
  get capabilities(): ProviderCapabilities {
    return this.inner.capabilities;
  }
  /** The most recent request; the probe claims it on the matching `tts.start` timeline event. */
  lastCall: TtsCall | null = null;
  requests = 0;

  constructor(
    private readonly inner: TtsProvider,
    private readonly clock: TimingClock,
  ) {
    this.name = inner.name;
  }

  synthesize(request: TtsRequest): AsyncIterable<TtsAudio> {
    const call: TtsCall = {
      text: request.text,
      requestAt: this.clock.now(),
      timerDueAt: this.clock.currentTimer?.dueAt ?? null,
      firstAudioAt: null,
      chunks: 0,
    };
    this.lastCall = call;
    this.requests++;
    return this.relay(this.inner.synthesize(request), call);
  }

  private async *relay(source: AsyncIterable<TtsAudio>, call: TtsCall): AsyncGenerator<TtsAudio> {
    for await (const audio of source) {
      if (call.firstAudioAt === null) call.firstAudioAt = this.clock.now();
      call.chunks++;
      yield audio;
    }
  }
}

export type SttFinal = { at: number; endMs: number };

export class TimedStt implements SttProvider {
  readonly name: string;
  get capabilities(): ProviderCapabilities {
    return this.inner.capabilities;
  }
  readonly finals = new Map<string, SttFinal[]>();
  nextOwner: string | null = null;

  constructor(
    private readonly inner: SttProvider,
    private readonly clock: TimingClock,
  ) {
    this.name = inner.name;
  }

  open(options: SttOpenOptions): SttStream {
    const owner = this.nextOwner;
    this.nextOwner = null;
    const finals: SttFinal[] = [];
    if (owner !== null) this.finals.set(owner, finals);
    return this.inner.open({
      ...options,
      onEvent: (e) => {
        if (e.type === 'final') finals.push({ at: this.clock.now(), endMs: e.endMs });
        options.onEvent(e);
      },
    });
  }
}
