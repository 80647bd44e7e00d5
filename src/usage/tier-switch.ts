// Budget tiers: once an agent's spend reaches its budget, new requests go to the cheaper tier
// (e.g. premium TTS -> local TTS) for the rest of the call. Decided per request, so a call that
// crosses the budget switches at its next sentence or reply.
import type { LlmChunk, LlmProvider, LlmRequest, ProviderCapabilities, TtsAudio, TtsProvider, TtsRequest } from '../providers/types.js';

export class TierSwitchLlm implements LlmProvider {
  constructor(
    private readonly premium: LlmProvider,
    private readonly economy: LlmProvider,
    private readonly useEconomy: () => boolean,
  ) {}

  get name(): string {
    return this.current.name;
  }

  get model(): string {
    return this.current.model;
  }

  stream(request: LlmRequest): AsyncIterable<LlmChunk> {
    return this.current.stream(request);
  }

  private get current(): LlmProvider {
    return this.useEconomy() ? this.economy : this.premium;
  }
}

export class TierSwitchTts implements TtsProvider {
  constructor(
    private readonly premium: TtsProvider,
    private readonly economy: TtsProvider,
    private readonly useEconomy: () => boolean,
  ) {}

  get name(): string {
    return this.current.name;
  }

  get capabilities(): ProviderCapabilities {
    return this.current.capabilities;
  }

  synthesize(request: TtsRequest): AsyncIterable<TtsAudio> {
    return this.current.synthesize(request);
  }

  private get current(): TtsProvider {
    return this.useEconomy() ? this.economy : this.premium;
  }
}
