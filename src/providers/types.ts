import type { ProviderError } from './provider-error.js';

// The three streaming provider interfaces. Every call takes an AbortSignal; adapters speak one
// vendor's wire protocol each; resilience wraps adapters from the outside.

/** What an adapter can do, so configuration can be checked before a call needs it. */
export type ProviderCapabilities = {
  /** Sample rates the provider accepts (STT) or produces (TTS) natively; others are resampled. */
  sampleRates: readonly number[];
  /** STT: per-word times on finals. TTS: per-word (or per-character) timing of the audio. */
  wordTimestamps: boolean;
  /** BCP-47 language codes, or ['*'] when the provider accepts any it knows. */
  languages: readonly string[];
  /** STT: interim results while audio flows (false for batch transcription). TTS: audio before the text is complete. */
  streaming: boolean;
};

export type WordTiming = { word: string; startMs: number; endMs: number; confidence?: number };

export type SttEvent =
  /** Interim hypothesis for the audio since the last final. Times are audio-stream ms. */
  | { type: 'partial'; text: string; startMs: number; endMs: number }
  | { type: 'final'; text: string; confidence: number; startMs: number; endMs: number; words?: WordTiming[] }
  /**
   * From an adapter: the stream failed and is finished, no event follows; `recoverable` is false
   * when reopening cannot help (wrong key, bad request). From the ReconnectingStt wrapper, a
   * recoverable error only says it is reconnecting and the stream goes on; its errors with
   * recoverable=false are terminal. `error` carries the typed failure when there is one.
   */
  | { type: 'error'; message: string; recoverable: boolean; error?: ProviderError };

export interface SttStream {
  /** PCM16 mono at the stream's sample rate, contiguous audio (audio time = samples written). */
  write(samples: Int16Array): void;
  /** Ask for a final result for all audio written so far. */
  finalize(): void;
  close(): void;
}

export interface SttOpenOptions {
  sampleRate: number;
  language?: string;
  signal: AbortSignal;
  onEvent: (event: SttEvent) => void;
}

export interface SttProvider {
  readonly name: string;
  readonly capabilities: ProviderCapabilities;
  open(options: SttOpenOptions): SttStream;
}

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export type ToolCall = { id: string; name: string; arguments: string };

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[] }
  | { role: 'tool'; toolCallId: string; content: string };

export type ToolSpec = {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
};

export type LlmChunk =
  | { type: 'text'; text: string }
  | { type: 'tool_call'; call: ToolCall }
  | { type: 'usage'; promptTokens: number; completionTokens: number };

export interface LlmRequest {
  messages: ChatMessage[];
  tools?: ToolSpec[];
  signal: AbortSignal;
  /** The turn this request serves, for usage attribution (adapters ignore it). */
  turnId?: string;
}

export interface LlmProvider {
  readonly name: string;
  /** Model id, for usage and cost. */
  readonly model: string;
  stream(request: LlmRequest): AsyncIterable<LlmChunk>;
}

export type TtsAudio = {
  /** PCM16 mono at the requested sample rate. */
  samples: Int16Array;
  /** Word timings relative to the start of this synthesis, when the engine gives them. */
  words?: WordTiming[];
};

export interface TtsRequest {
  text: string;
  sampleRate: number;
  voice?: string;
  signal: AbortSignal;
  /**
   * The turn this request serves (usage attribution; adapters that keep a reply's sentences in one
   * vendor context group requests by call and turn). Turn ids are unique within a call only.
   */
  turnId?: string;
  /** The call this request serves; with `turnId`, a key unique in the process. */
  callId?: string;
}

export interface TtsProvider {
  readonly name: string;
  readonly capabilities: ProviderCapabilities;
  synthesize(request: TtsRequest): AsyncIterable<TtsAudio>;
}

/** Thrown by providers when an AbortSignal fired; never reported as a failure. */
export class AbortedError extends Error {
  constructor() {
    super('aborted');
    this.name = 'AbortedError';
  }
}
