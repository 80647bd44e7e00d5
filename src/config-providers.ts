// Configuration of the speech and language providers: which engines each kind uses (a chain, first
// is primary, the rest are fallbacks in order), each vendor's non-secret settings, and resilience.
// API keys are never configuration: they come only from the environment (see VENDOR_KEY_ENV).
import { z } from 'zod';
import { checkModelFile, LocalModelError } from './providers/local/local-runtime-model-file.js';

export const STT_ENGINES = ['simulated', 'pocketsphinx', 'deepgram', 'openai', 'whisper'] as const;
export const TTS_ENGINES = ['simulated', 'espeak', 'deepgram', 'elevenlabs', 'cartesia'] as const;
/**
 * LLM chain entries: `flow` (the agent's conversation flow, offline), `simulated`, `openai`, `llama`
 * (a local GGUF model), or the name of an entry of `providers.llmEndpoints`.
 */
export const BUILTIN_LLM_ENGINES = ['flow', 'simulated', 'openai', 'llama'] as const;

export type SttEngine = (typeof STT_ENGINES)[number];
export type TtsEngine = (typeof TTS_ENGINES)[number];

/** The environment variable that holds each vendor's key. */
export const VENDOR_KEY_ENV = {
  deepgram: 'DEEPGRAM_API_KEY',
  openai: 'OPENAI_API_KEY',
  elevenlabs: 'ELEVENLABS_API_KEY',
  cartesia: 'CARTESIA_API_KEY',
} as const;

/** The environment variable that holds each local engine's model file (mapped onto `providers.<engine>.modelPath`). */
export const LOCAL_MODEL_ENV = {
  whisper: 'WHISPER_MODEL_PATH',
  llama: 'LLM_MODEL_PATH',
} as const;

/** A chain: one engine name, or a list in fallback order. */
const chain = <T extends z.ZodType<string>>(engine: T) =>
  z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v), z.array(engine).min(1));

const url = z.url();
const ms = (max: number) => z.number().int().min(0).max(max);

export const providerChainsSchema = z
  .object({
    stt: chain(z.enum(STT_ENGINES)).optional(),
    llm: chain(z.string().min(1)).optional(),
    tts: chain(z.enum(TTS_ENGINES)).optional(),
  })
  .strict();

export type ProviderChains = { stt: SttEngine[]; llm: string[]; tts: TtsEngine[] };

export const providersSchema = z
  .object({
    // The offline stack by default; the simulated engines stand in where a Debian package is missing.
    stt: chain(z.enum(STT_ENGINES)).default(['pocketsphinx', 'simulated']),
    llm: chain(z.string().min(1)).default(['flow']),
    tts: chain(z.enum(TTS_ENGINES)).default(['espeak', 'simulated']),
    /** The cheaper tier an agent switches to when its budget is spent (kinds left out keep their chain). */
    economy: providerChainsSchema.default({ tts: ['simulated'] }),
    deepgram: z
      .object({
        baseUrl: url.default('https://api.deepgram.com'),
        model: z.string().min(1).default('nova-3'),
        language: z.string().min(1).default('en'),
        endpointingMs: ms(10_000).default(300),
        utteranceEndMs: ms(10_000).nullable().default(1000),
        ttsModel: z.string().min(1).default('aura-2-thalia-en'),
        ttsTransport: z.enum(['websocket', 'rest']).default('websocket'),
      })
      .strict()
      .prefault({}),
    openai: z
      .object({
        baseUrl: url.default('https://api.openai.com/v1'),
        model: z.string().min(1).default('gpt-4o-mini'),
        transcriptionModel: z.string().min(1).default('gpt-4o-transcribe'),
        temperature: z.number().min(0).max(2).optional(),
        maxTokens: z.number().int().positive().optional(),
      })
      .strict()
      .prefault({}),
    /** More OpenAI-compatible servers (Ollama, vLLM, Groq, …) usable by name in `providers.llm`. */
    llmEndpoints: z
      .record(
        z.string().regex(/^[a-z][a-z0-9_-]*$/, 'endpoint names are lower-case identifiers'),
        z
          .object({
            baseUrl: url,
            model: z.string().min(1),
            /** Environment variable with the key; servers that ignore auth (Ollama) need none. */
            apiKeyEnv: z.string().regex(/^[A-Z][A-Z0-9_]*$/).optional(),
            temperature: z.number().min(0).max(2).optional(),
          })
          .strict(),
      )
      .default({}),
    elevenlabs: z
      .object({
        baseUrl: url.default('wss://api.elevenlabs.io'),
        voiceId: z.string().min(1).default('21m00Tcm4TlvDq8ikWAM'),
        modelId: z.string().min(1).default('eleven_flash_v2_5'),
        outputFormat: z.enum(['pcm', 'ulaw_8000']).default('pcm'),
      })
      .strict()
      .prefault({}),
    espeak: z
      .object({
        /** espeak-ng voice: language code, name or file, with an optional variant (`en-us+klatt`). */
        voice: z.string().min(1).default('en-us+klatt'),
        /** Words per minute. */
        rate: z.number().int().min(80).max(450).default(170),
        pitch: z.number().int().min(0).max(99).default(50),
        volume: z.number().int().min(0).max(200).default(100),
      })
      .strict()
      .prefault({}),
    /** whisper.cpp on a ggml model file the user supplies (WHISPER_MODEL_PATH); nothing is downloaded. */
    whisper: z
      .object({
        modelPath: z.string().min(1).optional(),
        /** ISO-639-1 code, or 'auto' to let whisper detect the language. */
        language: z.string().min(1).default('en'),
        /** CPU threads per transcription; default the cores, at most 4. */
        threads: z.number().int().min(1).max(256).optional(),
      })
      .strict()
      .prefault({}),
    /** llama.cpp on a GGUF model file the user supplies (LLM_MODEL_PATH); nothing is downloaded. */
    llama: z
      .object({
        modelPath: z.string().min(1).optional(),
        /** Tokens of context per request (prompt and reply); capped at the model's own. */
        contextSize: z.number().int().min(256).max(1_048_576).default(4096),
        temperature: z.number().min(0).max(2).default(0.7),
        maxTokens: z.number().int().positive().default(256),
        /** CPU threads per request; default the machine's math cores (more than the cores is much slower). */
        threads: z.number().int().min(1).max(256).optional(),
      })
      .strict()
      .prefault({}),
    cartesia: z
      .object({
        baseUrl: url.default('wss://api.cartesia.ai'),
        voiceId: z.string().min(1).default('a0e99841-438c-4a64-b679-ae501e7d6091'),
        modelId: z.string().min(1).default('sonic-2'),
        version: z.string().min(1).default('2025-04-16'),
        language: z.string().min(1).default('en'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export const resilienceSchema = z
  .object({
    retry: z
      .object({
        maxAttempts: z.number().int().min(1).max(10).default(3),
        baseDelayMs: ms(60_000).default(250),
        maxDelayMs: ms(120_000).default(4000),
        jitter: z.number().min(0).max(1).default(0.25),
      })
      .strict()
      .prefault({}),
    breaker: z
      .object({
        failureThreshold: z.number().int().min(1).max(100).default(5),
        openMs: ms(3_600_000).default(30_000),
      })
      .strict()
      .prefault({}),
    llmFirstTokenTimeoutMs: ms(300_000).default(8000),
    /** No first audio from a synthesizer in this long: one retry, then the next TTS. */
    ttsFirstAudioTimeoutMs: ms(300_000).default(5000),
    /** Spoken when every LLM of the chain failed; `null` to end the turn silently. */
    apology: z.string().min(1).nullable().default("I'm sorry, I'm having trouble answering right now. Could you say that again in a moment?"),
    sttReconnectDelaysMs: z.array(ms(60_000)).min(1).max(20).default([0, 1000, 2000, 4000, 8000]),
    sttBufferMs: ms(60_000).default(5000),
    sttReplayMs: ms(60_000).default(3000),
  })
  .strict()
  .prefault({});

export type ProvidersConfig = z.infer<typeof providersSchema>;
export type ResilienceConfig = z.infer<typeof resilienceSchema>;

/** Problems in a provider setup that the schema alone cannot see: unknown LLM names, missing keys. */
export function checkProviderSetup(providers: ProvidersConfig, chains: ProviderChains[], env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const llmNames = new Set<string>([...BUILTIN_LLM_ENGINES, ...Object.keys(providers.llmEndpoints)]);
  const needKey = new Set<keyof typeof VENDOR_KEY_ENV>();
  for (const c of chains) {
    for (const name of c.llm) {
      if (!llmNames.has(name)) problems.push(`LLM "${name}" is neither a built-in engine (${BUILTIN_LLM_ENGINES.join(', ')}) nor an entry of providers.llmEndpoints`);
      if (name === 'openai') needKey.add('openai');
      const endpoint = providers.llmEndpoints[name];
      if (endpoint?.apiKeyEnv && !env[endpoint.apiKeyEnv]) problems.push(`LLM endpoint "${name}" needs the environment variable ${endpoint.apiKeyEnv}`);
    }
    for (const name of [...c.stt, ...c.tts]) if (name in VENDOR_KEY_ENV) needKey.add(name as keyof typeof VENDOR_KEY_ENV);
  }
  for (const vendor of needKey) {
    if (!env[VENDOR_KEY_ENV[vendor]]) problems.push(`${vendor} is configured but the environment variable ${VENDOR_KEY_ENV[vendor]} is not set`);
  }
  problems.push(...checkLocalModels(providers, chains));
  return problems;
}

/** A chosen local engine needs a model file that exists: there is nothing to download instead. */
function checkLocalModels(providers: ProvidersConfig, chains: ProviderChains[]): string[] {
  const economy = providers.economy;
  const all = [...chains, { stt: economy.stt ?? [], llm: economy.llm ?? [], tts: [] }];
  const uses = {
    whisper: all.some((c) => (c.stt as readonly string[]).includes('whisper')),
    llama: all.some((c) => c.llm.includes('llama')),
  };
  const problems: string[] = [];
  for (const engine of ['whisper', 'llama'] as const) {
    if (!uses[engine]) continue;
    const envVar = LOCAL_MODEL_ENV[engine];
    const path = providers[engine].modelPath;
    if (!path) {
      problems.push(`the ${engine} engine is chosen but has no model file: set ${envVar} (or providers.${engine}.modelPath) to the model's path`);
      continue;
    }
    try {
      checkModelFile(path, { engine, envVar, expected: engine === 'whisper' ? 'a whisper.cpp ggml model file' : 'a GGUF model file' });
    } catch (err) {
      if (!(err instanceof LocalModelError)) throw err;
      problems.push(err.message);
    }
  }
  return problems;
}
