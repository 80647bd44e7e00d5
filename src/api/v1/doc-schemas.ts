// Shapes of answers, for the OpenAPI document only (answers are built by the *-json mappers and
// are not validated against these).
import { z } from 'zod';
import { agentBodySchema } from './agent-body.js';

export const errorDoc = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ field: z.string(), reason: z.string() })).optional(),
  }),
});

export const agentDoc = agentBodySchema
  .omit({ webhooks: true })
  .extend({
    id: z.string(),
    version: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
    webhooks: z.array(z.object({ url: z.string(), events: z.array(z.string()), secret: z.string().describe('masked: •••• and the last 4 characters') })),
  });

export const agentVersionDoc = agentDoc.omit({ id: true, updated_at: true, name: true }).extend({ agent_id: z.string() });

export const callDoc = z.looseObject({
  id: z.string(),
  agent_id: z.string(),
  agent_version: z.number().int(),
  transport: z.string(),
  caller: z.string().nullable(),
  status: z.enum(['active', 'completed', 'failed', 'abandoned']),
  started_at: z.string(),
  ended_at: z.string().nullable(),
  end_reason: z.string().nullable(),
  duration_ms: z.number().nullable(),
  has_recording: z.boolean(),
  analysis: z.unknown(),
  turn_count: z.number(),
  cost_usd: z.number(),
});

export const listOf = (item: z.ZodType) => z.object({ items: z.array(item) });
export const pageOf = (item: z.ZodType) => z.object({ items: z.array(item), next_cursor: z.string().nullable() });

export const userDoc = z.object({ id: z.string(), email: z.string(), name: z.string(), role: z.string(), created_at: z.string() });

export const apiKeyDoc = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  role: z.string(),
  scopes: z.array(z.string()),
  created_at: z.string(),
  revoked_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
});

export const auditDoc = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  target_type: z.string(),
  target_id: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});

/** The error answers every authenticated route may give. */
export const commonErrors = {
  401: { description: 'no or invalid credentials', schema: errorDoc },
  403: { description: 'the credentials lack the scope', schema: errorDoc },
  429: { description: 'rate limited (see Retry-After)', schema: errorDoc },
} as const;
