// Chat Completions streaming through the official SDK, for OpenAI and the servers that copy its API
// (Ollama, vLLM, Groq, …; `name` tells them apart in errors and metrics).
//
// Why the checks below exist:
// - The SDK's stream ends *silently* when its request is aborted, and also when the body simply
//   stops: so an abort is recognised from our signal, and a stream that ends without any
//   finish_reason is a protocol error (a cut stream must never look like a short answer).
// - Tool calls are yielded whole once the finish chunk arrives; usage comes last, from `usage` or
//   Groq's `x_groq.usage`.
// - `timeoutMs` bounds every wait for progress (response headers, then each chunk), not the whole
//   answer, so a long reply is fine but a stalled one fails as `timeout`.
import type OpenAI from 'openai';
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { ProviderError } from '../provider-error.js';
import { AbortedError, type LlmChunk, type LlmProvider, type LlmRequest } from '../types.js';
import { readChunk, type ChunkUsage } from './chat-chunk.js';
import { toOpenAiMessages, toOpenAiTools } from './chat-messages.js';
import { createOpenAiClient, isOfficialEndpoint } from './openai-client.js';
import { providerErrorFromOpenAi } from './openai-errors.js';
import { ToolCallAssembler } from './tool-call-assembler.js';

export type OpenAiLlmOptions = {
  apiKey: string;
  /** Default https://api.openai.com/v1; e.g. http://localhost:11434/v1 for Ollama. */
  baseUrl?: string;
  model: string;
  temperature?: number;
  maxTokens?: number;
  /** Longest wait for the response headers or for the next chunk. Default: no limit but the SDK's 10 min. */
  timeoutMs?: number;
  /** Provider name in errors and usage; default 'openai' (e.g. 'ollama', 'groq', 'vllm'). */
  name?: string;
};

export class OpenAiLlm implements LlmProvider {
  readonly name: string;
  readonly model: string;
  private readonly client: OpenAI;

  constructor(private readonly options: OpenAiLlmOptions) {
    this.name = options.name ?? 'openai';
    if (typeof options.model !== 'string' || options.model === '') throw new RangeError(`${this.name}: model must be a non-empty string`);
    if (options.maxTokens !== undefined && !(Number.isInteger(options.maxTokens) && options.maxTokens > 0)) {
      throw new RangeError(`${this.name}: maxTokens must be a positive integer, got ${options.maxTokens}`);
    }
    this.model = options.model;
    this.client = createOpenAiClient(this.name, options);
  }

  stream(request: LlmRequest): AsyncIterable<LlmChunk> {
    return this.run(request);
  }

  private body(request: LlmRequest): ChatCompletionCreateParamsStreaming {
    const { temperature, maxTokens, baseUrl } = this.options;
    const body: ChatCompletionCreateParamsStreaming = {
      model: this.model,
      messages: toOpenAiMessages(request.messages),
      stream: true,
      stream_options: { include_usage: true },
    };
    if (request.tools && request.tools.length > 0) body.tools = toOpenAiTools(request.tools);
    if (temperature !== undefined) body.temperature = temperature;
    if (maxTokens !== undefined) {
      // OpenAI deprecated max_tokens (its reasoning models refuse it); compatible servers mostly
      // know only max_tokens.
      if (isOfficialEndpoint(baseUrl)) body.max_completion_tokens = maxTokens;
      else body.max_tokens = maxTokens;
    }
    return body;
  }

  private async *run(request: LlmRequest): AsyncGenerator<LlmChunk> {
    const { signal } = request;
    if (signal.aborted) throw new AbortedError();
    const stall = new StallTimer(this.options.timeoutMs);
    const combined = AbortSignal.any([signal, stall.signal]);
    const fail = (err: unknown): Error => {
      if (signal.aborted) return new AbortedError();
      if (stall.fired) return this.timeoutError();
      return providerErrorFromOpenAi(this.name, err, this.options.apiKey);
    };

    try {
      let stream;
      stall.arm();
      try {
        stream = await this.client.chat.completions.create(this.body(request), { signal: combined });
      } catch (err) {
        throw fail(err);
      }
      const calls = new ToolCallAssembler(this.name);
      let finished = false;
      let usage: ChunkUsage | null = null;
      try {
        stall.arm();
        for await (const raw of stream) {
          // The clock runs only while we wait for the server, not while the consumer holds a chunk.
          stall.stop();
          // The SDK still hands out chunks it had buffered before the abort: none may follow it.
          if (signal.aborted) throw new AbortedError();
          const parts = readChunk(raw);
          if (parts.usage) usage = parts.usage;
          // After the finish chunk only usage is of interest.
          if (!finished) {
            if (parts.text !== '') {
              yield { type: 'text', text: parts.text };
              if (signal.aborted) throw new AbortedError();
            }
            for (const delta of parts.toolCalls) calls.add(delta);
            if (parts.finishReason !== null) {
              finished = true;
              for (const call of calls.complete()) {
                yield { type: 'tool_call', call };
                if (signal.aborted) throw new AbortedError();
              }
            }
          }
          stall.arm();
        }
      } catch (err) {
        throw fail(err);
      }
      // The SDK ends quietly on abort: look at why the loop ended.
      if (signal.aborted) throw new AbortedError();
      if (stall.fired) throw this.timeoutError();
      if (!finished) {
        throw new ProviderError(this.name, 'protocol', 'stream ended before a finish_reason (truncated response)', { code: 'truncated_stream' });
      }
      if (usage) yield { type: 'usage', promptTokens: usage.promptTokens, completionTokens: usage.completionTokens };
    } finally {
      stall.stop();
    }
  }

  private timeoutError(): ProviderError {
    return new ProviderError(this.name, 'timeout', `no response progress within ${this.options.timeoutMs} ms`);
  }
}

/** Aborts its signal when `arm()` is not called again within `ms`. */
class StallTimer {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | null = null;
  fired = false;

  constructor(private readonly ms: number | undefined) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  arm(): void {
    if (this.ms === undefined || this.fired) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.fired = true;
      this.controller.abort();
    }, this.ms);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
