// An agent as a call runs it: the stored configuration of one exact version (tenant, agent id,
// version) in the shape the engines and the session take. Config-file agents are stored too
// (in the default tenant), so every call names the stored version that ran it.
import type { AgentConfig } from '../config.js';
import type { Agent, AgentConfig as StoredAgentConfig, WebhookTarget } from '../store/repository.js';
import type { TurnSettings } from '../turn/turn-inputs.js';

export type RuntimeAgent = AgentConfig & {
  /** Unique per stored version: what per-agent engine caches are keyed by. */
  key: string;
  tenantId: string;
  agentId: string;
  version: number;
  /** A flow given inline (API agents) rather than as a file path. */
  inlineFlow: unknown;
  turn: Partial<TurnSettings>;
  webhooks: WebhookTarget[];
};

const TOOL_SETS = ['time', 'appointments', 'call'] as const;
type ToolSet = (typeof TOOL_SETS)[number];
const isToolSet = (t: unknown): t is ToolSet => typeof t === 'string' && (TOOL_SETS as readonly string[]).includes(t);

function chains(providers: Record<string, unknown>): AgentConfig['providers'] {
  const pick = (k: string) => (Array.isArray(providers[k]) ? (providers[k] as string[]) : undefined);
  const stt = pick('stt');
  const llm = pick('llm');
  const tts = pick('tts');
  if (!stt && !llm && !tts) return undefined;
  return { ...(stt ? { stt } : {}), ...(llm ? { llm } : {}), ...(tts ? { tts } : {}) } as AgentConfig['providers'];
}

export function runtimeAgentOf(agent: Agent): RuntimeAgent {
  const c = agent.config;
  const voice = typeof c.voice.voice === 'string' ? c.voice.voice : undefined;
  const providers = chains(c.providers);
  return {
    key: `${agent.tenantId}/${agent.id}@${agent.currentVersion}`,
    tenantId: agent.tenantId,
    agentId: agent.id,
    version: agent.currentVersion,
    name: agent.name,
    systemPrompt: c.prompt,
    greeting: c.greeting ?? null,
    ...(voice ? { voice } : {}),
    ...(providers ? { providers } : {}),
    flow: typeof c.flow === 'string' ? c.flow : null,
    inlineFlow: c.flow !== null && typeof c.flow === 'object' ? c.flow : null,
    tools: c.tools.filter(isToolSet),
    turn: turnSettingsOf(c.turnSettings),
    webhooks: c.webhooks ?? [],
  };
}

/** Stored turn settings (the API's names) -> the turn core's. */
function turnSettingsOf(stored: Record<string, unknown>): Partial<TurnSettings> {
  const num = (k: string) => (typeof stored[k] === 'number' ? (stored[k] as number) : undefined);
  const debounce = num('debounceMs');
  const hold = num('speculativeHoldMs');
  const minInterruption = num('minInterruptionMs');
  const dtmfTimeout = num('dtmfTimeoutMs');
  const dtmfMax = num('dtmfMaxDigits');
  return {
    ...(dtmfTimeout !== undefined ? { dtmfTimeoutMs: dtmfTimeout } : {}),
    ...(dtmfMax !== undefined ? { dtmfMaxDigits: dtmfMax } : {}),
    ...(debounce !== undefined ? { debounceOverrideMs: debounce } : {}),
    ...(hold !== undefined ? { speculativeHoldMs: hold } : {}),
    ...(minInterruption !== undefined ? { minInterruptionMs: minInterruption } : {}),
  };
}

/** The stored fields a config-file agent defines. Webhooks and turn settings are kept as stored. */
export function storedConfigOf(agent: AgentConfig, current?: StoredAgentConfig): StoredAgentConfig {
  return {
    prompt: agent.systemPrompt,
    greeting: agent.greeting,
    voice: agent.voice ? { voice: agent.voice } : {},
    providers: agent.providers ? { ...agent.providers } : {},
    tools: [...agent.tools],
    flow: agent.flow ?? null,
    turnSettings: current?.turnSettings ?? {},
    webhooks: current?.webhooks ?? [],
  };
}
