// Decorators that meter what each concrete provider is asked to do, into a call's usage sink. They
// wrap each adapter before it goes into a fallback chain, so usage is billed to the provider that
// actually served: STT audio seconds as written, LLM tokens as reported at the end of a stream, TTS
// characters when a synthesis is requested (vendors bill requested characters).
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
} from '../providers/types.js';
import type { UsageSink } from './usage-item.js';

/** STT audio is recorded in pieces of at least this much, and the rest when the stream closes. */
const STT_RECORD_EVERY_S = 1;

export class MeteredStt implements SttProvider {
  constructor(
    private readonly inner: SttProvider,
    private readonly sink: UsageSink,
    private readonly model: string,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  get capabilities(): ProviderCapabilities {
    return this.inner.capabilities;
  }

  open(options: SttOpenOptions): SttStream {
    const stream = this.inner.open(options);
    let unrecorded = 0;
    const flush = () => {
      if (unrecorded === 0) return;
      const quantity = unrecorded / options.sampleRate;
      unrecorded = 0;
      this.sink.record({ kind: 'stt', provider: this.inner.name, model: this.model, unit: 'audio_seconds', quantity });
    };
    return {
      write: (samples) => {
        stream.write(samples);
        unrecorded += samples.length;
        if (unrecorded >= STT_RECORD_EVERY_S * options.sampleRate) flush();
      },
      finalize: () => stream.finalize(),
      close: () => {
        stream.close();
        flush();
      },
    };
  }
}

export class MeteredLlm implements LlmProvider {
  constructor(
    private readonly inner: LlmProvider,
    private readonly sink: UsageSink,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  get model(): string {
    return this.inner.model;
  }

  async *stream(request: LlmRequest): AsyncGenerator<LlmChunk> {
    for await (const chunk of this.inner.stream(request)) {
      if (chunk.type === 'usage') {
        const base = { kind: 'llm' as const, provider: this.inner.name, model: this.inner.model, turnId: request.turnId ?? null };
        this.sink.record({ ...base, unit: 'prompt_tokens', quantity: chunk.promptTokens });
        this.sink.record({ ...base, unit: 'completion_tokens', quantity: chunk.completionTokens });
      }
      yield chunk;
    }
  }
}

export class MeteredTts implements TtsProvider {
  constructor(
    private readonly inner: TtsProvider,
    private readonly sink: UsageSink,
    private readonly model: string,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  get capabilities(): ProviderCapabilities {
    return this.inner.capabilities;
  }

  async *synthesize(request: TtsRequest): AsyncGenerator<TtsAudio> {
    // Billed once the vendor accepted the request: on its first audio, or when it finished without any.
    let billed = false;
    const bill = () => {
      if (billed) return;
      billed = true;
      this.sink.record({ kind: 'tts', provider: this.inner.name, model: this.model, unit: 'characters', quantity: request.text.length, turnId: request.turnId ?? null });
    };
    for await (const audio of this.inner.synthesize(request)) {
      bill();
      yield audio;
    }
    bill();
  }
}
