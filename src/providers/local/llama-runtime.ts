// node-llama-cpp, loaded from the runtimes folder, described by the few members Parley uses. The
// types are written here rather than imported from the package, because the package is installed
// only when a local engine is wanted and the build must not depend on it.
import { importRuntimeModule, runtimesDir } from './local-runtime.js';

export type LlamaChatHistoryItem =
  | { type: 'system'; text: string }
  | { type: 'user'; text: string }
  | { type: 'model'; response: Array<string | LlamaFunctionCallItem> };

export type LlamaFunctionCallItem = { type: 'functionCall'; name: string; params: unknown; result: unknown; startsNewChunk?: boolean };

export type LlamaFunctions = Record<string, { description?: string; params?: Record<string, unknown> }>;

export type LlamaGenerateOptions = {
  onTextChunk?: (text: string) => void;
  onToken?: (tokens: number[]) => void;
  signal?: AbortSignal;
  maxTokens?: number;
  temperature?: number;
  functions?: LlamaFunctions;
};

export type LlamaGenerateResult = {
  response: string;
  functionCalls?: { functionName: string; params: unknown }[];
  metadata: { stopReason: string };
};

export interface LlamaTokenMeter {
  readonly usedInputTokens: number;
  readonly usedOutputTokens: number;
}

export interface LlamaContextSequence {
  readonly tokenMeter: LlamaTokenMeter;
}

export interface LlamaContext {
  getSequence(): LlamaContextSequence;
  dispose(): Promise<void>;
}

export interface LlamaModel {
  readonly trainContextSize: number;
  createContext(options: { contextSize?: number; sequences?: number; threads?: number }): Promise<LlamaContext>;
  dispose(): Promise<void>;
}

export interface Llama {
  readonly cpuMathCores: number;
  loadModel(options: { modelPath: string; gpuLayers?: number }): Promise<LlamaModel>;
}

export interface LlamaChat {
  generateResponse(history: LlamaChatHistoryItem[], options: LlamaGenerateOptions): Promise<LlamaGenerateResult>;
  dispose(options?: { disposeSequence?: boolean }): void;
}

export interface NodeLlamaCpp {
  getLlama(options: { gpu: false; build: 'never'; logLevel: 'error' | 'warn'; progressLogs: false; skipDownload: true }): Promise<Llama>;
  LlamaChat: new (options: { contextSequence: LlamaContextSequence }) => LlamaChat;
}

let shared: { dir: string; runtime: Promise<{ module: NodeLlamaCpp; llama: Llama }> } | null = null;

/**
 * The node-llama-cpp module and its CPU backend, loaded once per process. `gpu: false` and
 * `build: 'never'` make it use the prebuilt CPU binary it ships and never compile or download one.
 */
export function loadLlamaRuntime(dir: string = runtimesDir()): Promise<{ module: NodeLlamaCpp; llama: Llama }> {
  if (shared?.dir === dir) return shared.runtime;
  const runtime = (async () => {
    const module = await importRuntimeModule<NodeLlamaCpp>('node-llama-cpp', 'dist/index.js', dir);
    const llama = await module.getLlama({ gpu: false, build: 'never', logLevel: 'error', progressLogs: false, skipDownload: true });
    return { module, llama };
  })();
  shared = { dir, runtime };
  // A failed load is not kept: installing the runtime and trying again must work.
  runtime.catch(() => {
    if (shared?.runtime === runtime) shared = null;
  });
  return runtime;
}
