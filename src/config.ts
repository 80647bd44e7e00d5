// One validated configuration object, from an optional file (JSON or YAML) and the environment.
// A bad value stops startup with an error that names the key and where it came from.
import { readFileSync, existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SUPPORTED_SAMPLE_RATES } from './audio/pcm.js';
import { OpeningHoursConfigSchema } from './appointments/opening-hours.js';
import { budgetsSchema, displayCurrencySchema, priceTableSchema } from './usage/index.js';
import { apiSchema, authSchema, busSchema, recordingSchema, storeSchema, webhooksSchema } from './config-platform.js';
import { telephonySchema } from './config-telephony.js';
import { checkProviderSetup, providerChainsSchema, providersSchema, resilienceSchema, type ProviderChains } from './config-providers.js';

const ms = (max: number) => z.number().int().min(0).max(max);
const sampleRate = z
  .number()
  .int()
  .refine((r) => (SUPPORTED_SAMPLE_RATES as readonly number[]).includes(r), `must be one of ${SUPPORTED_SAMPLE_RATES.join(', ')}`);

const agentSchema = z
  .object({
    name: z.string().min(1).default('assistant'),
    systemPrompt: z.string().default('You are Parley, a friendly voice assistant. Answer briefly, in one to three spoken sentences.'),
    greeting: z.string().nullable().default('Hello! I am Parley. How can I help you today?'),
    voice: z.string().optional(),
    /** This agent's provider chains; kinds left out use `providers.*`. */
    providers: providerChainsSchema.optional(),
    /** Conversation flow file (YAML/JSON) run by the `flow` LLM engine; relative to the working directory; null for none. */
    flow: z.string().min(1).nullable().optional(),
    /**
     * Tool sets the agent may call: `time` (current time), `appointments` (the booking tools),
     * `call` (end_call, transfer_call, send_dtmf).
     */
    tools: z.array(z.enum(['time', 'appointments', 'call'])).default(['time', 'call']),
  })
  .strict();

export type AgentConfig = z.infer<typeof agentSchema>;

/** The default agent: the same fields, but it runs the receptionist flow with the booking tools unless told otherwise. */
const defaultAgentSchema = agentSchema.extend({
  flow: z.string().min(1).nullable().default('flows/receptionist.yaml'),
  tools: z.array(z.enum(['time', 'appointments', 'call'])).default(['time', 'appointments', 'call']),
});

export const configSchema = z
  .object({
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        /** Largest WebSocket frame accepted; bigger frames close the socket with 1009. */
        maxFrameBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(1024 * 1024),
        heartbeatIntervalMs: ms(600_000).default(30_000),
        heartbeatTimeoutMs: ms(1_200_000).default(60_000),
        /** How long a call waits for its browser to reconnect. */
        resumeWindowMs: ms(3_600_000).default(300_000),
        /** On SIGTERM/SIGINT: how long running calls may go on before they are ended. */
        drainTimeoutMs: ms(3_600_000).default(30_000),
      })
      .strict()
      .prefault({}),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    audio: z
      .object({
        /** The one internal format: caller audio is resampled to it, agent audio produced in it. */
        sampleRate: sampleRate.default(16000),
        /** Agent audio rate for clients that do not ask for one. */
        defaultOutputSampleRate: sampleRate.default(16000),
      })
      .strict()
      .prefault({}),
    vad: z
      .object({
        engine: z.enum(['silero', 'energy']).default('silero'),
        threshold: z.number().min(0.05).max(0.99).default(0.5),
        minSpeechMs: ms(2000).default(64),
        minSilenceMs: ms(5000).default(250),
      })
      .strict()
      .prefault({}),
    turn: z
      .object({
        debounceMs: ms(5000).nullable().default(null),
        speculativeHoldMs: ms(5000).default(200),
        minInterruptionMs: ms(5000).default(60),
        correctionMarkers: z.array(z.string().min(1)).optional(),
        /** Keypad entry: it is complete this long after the last key, or at `#`, or at `dtmfMaxDigits`. */
        dtmfTimeoutMs: ms(60_000).default(2000),
        dtmfMaxDigits: z.number().int().min(1).max(64).default(16),
      })
      .strict()
      .prefault({}),
    /** The default agent (`start_session` without `agent`): the receptionist flow, with the booking tools. */
    agent: defaultAgentSchema.prefault({}),
    /** More agents, chosen by name in `start_session.agent`. */
    agents: z.array(agentSchema).default([]),
    providers: providersSchema,
    resilience: resilienceSchema,
    usage: z
      .object({
        /** Prices merged over the built-in list prices (USD), keyed `provider/model`. */
        prices: priceTableSchema.partial().optional(),
        /** How costs are shown (they are kept in USD). */
        currency: displayCurrencySchema.default({ code: 'USD', perUsd: 1 }),
      })
      .strict()
      .prefault({}),
    /** The appointments book used by the `appointments` tools (SQLite). */
    appointments: z
      .object({
        database: z.string().min(1).default('data/appointments.db'),
        /** IANA time zone of the business; default the host's. */
        timeZone: z.string().min(1).optional(),
        openingHours: OpeningHoursConfigSchema.optional(),
      })
      .strict()
      .prefault({}),
    store: storeSchema,
    bus: busSchema,
    auth: authSchema,
    api: apiSchema,
    webhooks: webhooksSchema,
    recording: recordingSchema,
    /** Phone calls: routing, Twilio, the SIP endpoint. */
    telephony: telephonySchema,
    /** Spending budgets by agent name (USD per UTC day / month, with optional hard limits). */
    budgets: budgetsSchema.default({}),
    simulated: z
      .object({
        sttFinalDelayMs: ms(10_000).default(150),
        llmTtftMs: ms(30_000).default(250),
        llmTokensPerSecond: z.number().positive().max(10_000).default(60),
        ttsTtfbMs: ms(30_000).default(120),
        ttsRealtimeFactor: z.number().positive().max(1000).default(4),
        /** What the simulated recognizer "hears", utterance by utterance. */
        script: z
          .array(z.string())
          .default(['Hello there.', 'What can you do?', 'Tell me something interesting.', 'Thank you, goodbye.']),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

export function allAgents(config: Config): AgentConfig[] {
  return [config.agent, ...config.agents];
}

/** The provider chains an agent uses: its own where it names them, the global ones otherwise. */
export function resolveChains(config: Config, agent: AgentConfig): ProviderChains {
  return {
    stt: agent.providers?.stt ?? config.providers.stt,
    llm: agent.providers?.llm ?? config.providers.llm,
    tts: agent.providers?.tts ?? config.providers.tts,
  };
}

function checkAgents(config: Config): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const agent of allAgents(config)) {
    if (seen.has(agent.name)) problems.push(`agents: the name "${agent.name}" is used twice`);
    seen.add(agent.name);
  }
  for (const agent of allAgents(config)) {
    if (resolveChains(config, agent).llm.includes('flow') && !agent.flow) problems.push(`agent "${agent.name}" uses the flow LLM but has no flow file (agent.flow)`);
  }
  for (const name of Object.keys(config.budgets)) {
    if (!seen.has(name)) problems.push(`budgets.${name}: there is no agent called "${name}"`);
  }
  return problems;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Environment variables that map onto keys, besides the generic PARLEY__SECTION__KEY form. */
const ENV_ALIASES: Record<string, string> = {
  PORT: 'server.port',
  PARLEY_PORT: 'server.port',
  PARLEY_HOST: 'server.host',
  LOG_LEVEL: 'logLevel',
  PARLEY_VAD: 'vad.engine',
  PARLEY_STT: 'providers.stt',
  PARLEY_LLM: 'providers.llm',
  PARLEY_TTS: 'providers.tts',
  WHISPER_MODEL_PATH: 'providers.whisper.modelPath',
  LLM_MODEL_PATH: 'providers.llama.modelPath',
  DATABASE_URL: 'store.url',
  REDIS_URL: 'bus.redisUrl',
  PARLEY_ADMIN_EMAIL: 'auth.adminEmail',
  PARLEY_PUBLIC_URL: 'telephony.publicUrl',
  TWILIO_ACCOUNT_SID: 'telephony.twilio.accountSid',
  TWILIO_API_BASE_URL: 'telephony.twilio.apiBaseUrl',
};

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Config file; defaults to $PARLEY_CONFIG, else ./parley.config.{yaml,yml,json} if present. */
  file?: string;
}

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env.PARLEY_CONFIG ?? ['parley.config.yaml', 'parley.config.yml', 'parley.config.json'].find((f) => existsSync(f));
  const raw: Record<string, unknown> = file ? readConfigFile(file) : {};
  const sources = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    let key = ENV_ALIASES[name];
    if (!key && name.startsWith('PARLEY__')) key = name.slice('PARLEY__'.length).split('__').map(camel).join('.');
    if (!key) continue;
    setPath(raw, key, coerce(value));
    sources.set(key, `environment variable ${name}`);
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = issue.path.join('.');
      // An unknown key is reported on its parent: find which of its keys came from where.
      const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [key, k].filter(Boolean).join('.')) : [key];
      const from = keys.map((k) => sources.get(k)).find(Boolean) ?? (file ? `file ${file}` : 'defaults');
      return `  ${key || '(root)'}: ${issue.message} (from ${from})`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  const problems = checkAgents(config);
  problems.push(...checkProviderSetup(config.providers, [config.providers, ...allAgents(config).map((a) => resolveChains(config, a))], env));
  if (problems.length) throw new ConfigError(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return config;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  try {
    const data: unknown = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    if (data === null || data === undefined) return {};
    if (typeof data !== 'object' || Array.isArray(data)) throw new Error('top level must be a mapping');
    return data as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid: ${(err as Error).message}`);
  }
}

function camel(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Environment values are strings: numbers, booleans, null and JSON arrays are read as such. */
function coerce(value: string): unknown {
  const v = value.trim();
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (v === 'null') return null;
  if (v !== '' && !Number.isNaN(Number(v))) return Number(v);
  if (v.startsWith('[') || v.startsWith('{')) {
    try {
      return JSON.parse(v);
    } catch {
      return value;
    }
  }
  return value;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]] = value;
}
