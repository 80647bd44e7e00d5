// A local LLM through llama.cpp (node-llama-cpp) on a GGUF file the user supplies (LLM_MODEL_PATH);
// nothing is downloaded or compiled. The model loads once, on the first request (or `load()`), and
// is shared; each request gets its own context (its own KV cache), disposed when it ends, so calls
// never see each other's conversation. node-llama-cpp evaluates on native threads and answers
// through promises, so the event loop stays free while tokens are computed.
//
// Tools: the request's tools are offered through node-llama-cpp's function calling (the model's
// chat template decides how well that works); a call the model makes ends the reply and is yielded
// as a `tool_call` for Parley's tool loop to run, as with the OpenAI adapter.
import { ProviderError } from '../provider-error.js';
import { AbortedError, type LlmChunk, type LlmProvider, type LlmRequest } from '../types.js';
import { toLlamaFunctions, toLlamaHistory } from './llama-chat-history.js';
import { loadLlamaRuntime, type LlamaModel, type NodeLlamaCpp } from './llama-runtime.js';
import { checkModelFile, LocalModelError, printableReason } from './local-runtime-model-file.js';
import { LocalRuntimeMissingError, runtimesDir } from './local-runtime.js';
import { basename } from 'node:path';

export type LlamaLlmOptions = {
  /** The GGUF model file (LLM_MODEL_PATH). */
  modelPath?: string;
  /** Tokens of context per request (prompt + reply). Default 4096, at most the model's training context. */
  contextSize?: number;
  /** Default 0.7; 0 is greedy (deterministic). */
  temperature?: number;
  /** Longest reply in tokens. Default 256. */
  maxTokens?: number;
  /** CPU threads per request. Default: the machine's math cores (more than the cores slows llama.cpp down sharply). */
  threads?: number;
  /** Where the runtimes package is installed; default `<repo>/runtimes`. */
  runtimesDir?: string;
};

export const LLAMA_MODEL_EXPECTED = 'a GGUF model file (llama.cpp format, e.g. a .gguf chat model)';
const PROVIDER = 'llama';

type Loaded = { module: NodeLlamaCpp; model: LlamaModel; threads: number };

export class LlamaLlm implements LlmProvider {
  readonly name = PROVIDER;
  readonly model: string;
  readonly modelPath: string;
  /** Tokens the native sampler produced over this provider's life (all requests). */
  generatedTokens = 0;
  private readonly dir: string;
  private loaded: Promise<Loaded> | null = null;

  /** Checks the model path at once (throws LocalModelError); the runtime and model load on first use or `load()`. */
  constructor(private readonly options: LlamaLlmOptions) {
    this.modelPath = checkModelFile(options.modelPath, { engine: PROVIDER, envVar: 'LLM_MODEL_PATH', expected: LLAMA_MODEL_EXPECTED });
    this.model = basename(this.modelPath).replace(/\.gguf$/i, '');
    for (const key of ['contextSize', 'maxTokens', 'threads'] as const) {
      const v = options[key];
      if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new RangeError(`llama: ${key} must be a positive integer, got ${v}`);
    }
    if (options.temperature !== undefined && !(options.temperature >= 0)) throw new RangeError(`llama: temperature must be >= 0, got ${options.temperature}`);
    this.dir = options.runtimesDir ?? runtimesDir();
  }

  /** Loads the runtime and the model (once); rejects with LocalRuntimeMissingError or a LocalModelError naming the file. */
  load(): Promise<Loaded> {
    if (!this.loaded) {
      const loading = this.loadOnce();
      this.loaded = loading;
      // Not kept on failure: a fixed file or a new install works without a restart.
      loading.catch(() => {
        if (this.loaded === loading) this.loaded = null;
      });
    }
    return this.loaded;
  }

  private async loadOnce(): Promise<Loaded> {
    const { module, llama } = await loadLlamaRuntime(this.dir);
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: this.modelPath, gpuLayers: 0 });
    } catch (err) {
      throw new LocalModelError(`llama: cannot load ${this.modelPath} (LLM_MODEL_PATH): ${printableReason((err as Error).message)}; it must be ${LLAMA_MODEL_EXPECTED}`, { cause: err });
    }
    return { module, model, threads: this.options.threads ?? Math.max(1, llama.cpuMathCores) };
  }

  stream(request: LlmRequest): AsyncIterable<LlmChunk> {
    return this.run(request);
  }

  private async *run(request: LlmRequest): AsyncGenerator<LlmChunk> {
    const { signal } = request;
    if (signal.aborted) throw new AbortedError();
    let loaded: Loaded;
    try {
      loaded = await this.load();
    } catch (err) {
      throw this.loadError(err);
    }
    if (signal.aborted) throw new AbortedError();

    // Stops generation when the caller aborts and also when the consumer stops iterating early.
    const stop = new AbortController();
    const onAbort = () => stop.abort(new AbortedError());
    signal.addEventListener('abort', onAbort, { once: true });
    const contextSize = Math.min(this.options.contextSize ?? 4096, loaded.model.trainContextSize || Infinity);
    const inbox = new ChunkInbox();
    let context: Awaited<ReturnType<LlamaModel['createContext']>> | null = null;
    let generation: Promise<void> = Promise.resolve();
    try {
      try {
        context = await loaded.model.createContext({ contextSize, sequences: 1, threads: loaded.threads });
      } catch (err) {
        throw new ProviderError(PROVIDER, 'server', `cannot create a context of ${contextSize} tokens: ${(err as Error).message}`, { cause: err, code: 'context_failed' });
      }
      if (signal.aborted) throw new AbortedError();
      const sequence = context.getSequence();
      const chat = new loaded.module.LlamaChat({ contextSequence: sequence });
      const functions = toLlamaFunctions(request.tools);
      generation = chat
        .generateResponse(toLlamaHistory(request.messages), {
          signal: stop.signal,
          maxTokens: this.options.maxTokens ?? 256,
          temperature: this.options.temperature ?? 0.7,
          ...(functions ? { functions } : {}),
          onToken: (tokens) => {
            this.generatedTokens += tokens.length;
          },
          onTextChunk: (text) => {
            if (text !== '') inbox.push({ type: 'text', text });
          },
        })
        .then(
          (result) => {
            let n = 0;
            for (const call of result.functionCalls ?? []) {
              inbox.push({ type: 'tool_call', call: { id: `call_llama_${Date.now().toString(36)}_${n++}`, name: call.functionName, arguments: JSON.stringify(call.params ?? {}) } });
            }
            inbox.push({ type: 'usage', promptTokens: sequence.tokenMeter.usedInputTokens, completionTokens: sequence.tokenMeter.usedOutputTokens });
            inbox.end();
          },
          (err: unknown) => inbox.fail(err),
        )
        .finally(() => chat.dispose({ disposeSequence: true }));

      for (;;) {
        const next = await inbox.next(stop.signal);
        if (signal.aborted) throw new AbortedError();
        if (next === null) break;
        yield next;
        if (signal.aborted) throw new AbortedError();
      }
    } catch (err) {
      if (signal.aborted || err instanceof AbortedError) throw new AbortedError();
      if (err instanceof ProviderError) throw err;
      throw new ProviderError(PROVIDER, 'server', `generation failed: ${(err as Error).message}`, { cause: err, code: 'generation_failed' });
    } finally {
      signal.removeEventListener('abort', onAbort);
      stop.abort(new AbortedError());
      // The context is freed only once the native side stopped evaluating into it.
      await generation.catch(() => undefined);
      await context?.dispose().catch(() => undefined);
    }
  }

  private loadError(err: unknown): ProviderError {
    if (err instanceof ProviderError) return err;
    const code = err instanceof LocalRuntimeMissingError ? 'runtime_missing' : err instanceof LocalModelError ? 'model_load_failed' : 'load_failed';
    // A missing runtime or a file that is not a model stays so: not worth retrying.
    const kind = code === 'load_failed' ? 'server' : 'bad_request';
    return new ProviderError(PROVIDER, kind, (err as Error).message.replace(/^llama: /, ''), { cause: err, code });
  }

  /** Frees the model (requests in flight end first, with the context they hold). */
  async close(): Promise<void> {
    const loaded = this.loaded;
    this.loaded = null;
    if (!loaded) return;
    try {
      await (await loaded).model.dispose();
    } catch {
      // It never loaded: nothing to free.
    }
  }
}

/** Chunks from node-llama-cpp's callbacks, handed to the async generator in order. */
class ChunkInbox {
  private readonly items: LlmChunk[] = [];
  private done = false;
  private error: unknown = null;
  private wake: (() => void) | null = null;

  push(chunk: LlmChunk): void {
    this.items.push(chunk);
    this.notify();
  }

  end(): void {
    this.done = true;
    this.notify();
  }

  fail(err: unknown): void {
    this.error = err ?? new Error('generation failed');
    this.done = true;
    this.notify();
  }

  /** The next chunk, null at the end; throws the generation's error, or AbortedError once `signal` fires. */
  async next(signal: AbortSignal): Promise<LlmChunk | null> {
    for (;;) {
      if (signal.aborted) throw new AbortedError();
      const item = this.items.shift();
      if (item) return item;
      if (this.done) {
        if (this.error !== null) throw this.error;
        return null;
      }
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        this.wake = () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        signal.addEventListener('abort', onAbort, { once: true });
      });
      this.wake = null;
    }
  }

  private notify(): void {
    this.wake?.();
  }
}
