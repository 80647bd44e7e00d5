// An agent as the API (and the config-file sync) describes it, and its mapping to and from the
// stored AgentConfig. Webhook secrets go in but never come back out: answers show `••••` and the
// last four characters.
import { z } from 'zod';
import { providerChainsSchema } from '../../config-providers.js';
import type { Agent, AgentConfig, AgentVersion, WebhookTarget } from '../../store/repository.js';

export const AGENT_TOOL_SETS = ['time', 'appointments', 'call'] as const;
export const WEBHOOK_EVENTS = ['call.started', 'turn.completed', 'tool.called', 'call.ended', 'call.analyzed'] as const;
export const WEBHOOK_SECRET_MIN_LENGTH = 16;
const MASK = '••••';

export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
export const isWebhookEvent = (e: string): e is WebhookEvent => (WEBHOOK_EVENTS as readonly string[]).includes(e);

const ms = z.number().int().min(0).max(5000);

/** A flow file, relative to the server's working directory, inside it. */
const flowPathSchema = z
  .string()
  .min(1)
  .max(500)
  .refine((p) => !p.startsWith('/') && !/^[A-Za-z]:/.test(p) && !p.split(/[\\/]/).includes('..'), 'must be a relative path inside the working directory')
  .refine((p) => /\.(ya?ml|json)$/i.test(p), 'must name a .yaml, .yml or .json file');

export const webhookTargetSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).max(2000),
  events: z
    .array(z.enum(WEBHOOK_EVENTS))
    .min(1)
    .refine((events) => new Set(events).size === events.length, 'lists an event twice'),
  secret: z.string().min(WEBHOOK_SECRET_MIN_LENGTH, `must be at least ${WEBHOOK_SECRET_MIN_LENGTH} characters`).max(512),
});

export const turnSettingsSchema = z.strictObject({
  /** Fixed end-of-utterance debounce; null adapts it. */
  debounceMs: ms.nullable().optional(),
  speculativeHoldMs: ms.optional(),
  minInterruptionMs: ms.optional(),
  /** Keypad entry: how long after the last key the entry is complete, and its most keys. */
  dtmfTimeoutMs: ms.optional(),
  dtmfMaxDigits: z.number().int().min(1).max(64).optional(),
});

export const agentBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  prompt: z.string().max(50_000),
  greeting: z.string().max(2000).nullable(),
  voice: z.string().min(1).max(200).nullable(),
  providers: providerChainsSchema.optional(),
  tools: z
    .array(z.enum(AGENT_TOOL_SETS))
    .refine((tools) => new Set(tools).size === tools.length, 'lists a tool set twice'),
  /** A flow file path, an inline flow document, or null for a free conversation. */
  flow: z.union([flowPathSchema, z.record(z.string(), z.unknown()), z.null()]),
  turn: turnSettingsSchema.optional(),
  webhooks: z.array(webhookTargetSchema).max(20).optional(),
});

export type AgentBody = z.output<typeof agentBodySchema>;

export function agentBodyToConfig(body: AgentBody): AgentConfig {
  return {
    prompt: body.prompt,
    greeting: body.greeting,
    voice: body.voice === null ? {} : { voice: body.voice },
    providers: { ...(body.providers ?? {}) },
    tools: [...body.tools],
    flow: body.flow,
    turnSettings: { ...(body.turn ?? {}) },
    webhooks: (body.webhooks ?? []).map((w) => ({ url: w.url, events: [...w.events], secret: w.secret })),
  };
}

/** The body that would store this configuration again (secrets included: for server-side merging only). */
export function configToBody(name: string, config: AgentConfig): AgentBody {
  const voice = config.voice.voice;
  return {
    name,
    prompt: config.prompt,
    greeting: config.greeting ?? null,
    voice: typeof voice === 'string' ? voice : null,
    ...(Object.keys(config.providers).length > 0 ? { providers: config.providers as AgentBody['providers'] } : {}),
    tools: config.tools.filter((t): t is AgentBody['tools'][number] => (AGENT_TOOL_SETS as readonly unknown[]).includes(t)),
    flow: (config.flow ?? null) as AgentBody['flow'],
    ...(Object.keys(config.turnSettings).length > 0 ? { turn: config.turnSettings as AgentBody['turn'] } : {}),
    webhooks: (config.webhooks ?? []).map((w) => ({ url: w.url, events: w.events.filter(isWebhookEvent), secret: w.secret })),
  };
}

export function maskSecret(secret: string): string {
  return `${MASK}${secret.slice(-4)}`;
}

export function isMaskedSecret(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(MASK) && value.length === MASK.length + 4;
}

function webhooksToJson(webhooks: WebhookTarget[] | undefined): { url: string; events: string[]; secret: string }[] {
  return (webhooks ?? []).map((w) => ({ url: w.url, events: [...w.events], secret: maskSecret(w.secret) }));
}

function configToJson(config: AgentConfig): Record<string, unknown> {
  const voice = config.voice.voice;
  return {
    prompt: config.prompt,
    greeting: config.greeting ?? null,
    voice: typeof voice === 'string' ? voice : null,
    providers: config.providers,
    tools: config.tools,
    flow: config.flow ?? null,
    turn: config.turnSettings,
    webhooks: webhooksToJson(config.webhooks),
  };
}

/** An agent as the API answers it: its current configuration, webhook secrets masked. */
export function agentToJson(agent: Agent): Record<string, unknown> {
  return {
    id: agent.id,
    name: agent.name,
    version: agent.currentVersion,
    created_at: agent.createdAt,
    updated_at: agent.updatedAt,
    ...configToJson(agent.config),
  };
}

export function agentVersionToJson(version: AgentVersion): Record<string, unknown> {
  return { agent_id: version.agentId, version: version.version, created_at: version.createdAt, ...configToJson(version.config) };
}
