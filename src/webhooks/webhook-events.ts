// The webhook events Parley sends, how an agent's webhook target subscribes to them, and the JSON
// body every delivery carries (`{ id, type, created_at, call_id, agent_id, agent_version, data }`).
import type { WebhookTarget } from '../store/repository.js';

/** What a call produced, before it is addressed to any target. */
export type WebhookEvent = { type: string; callId: string | null; data: unknown };

/** The agent version whose configuration lists the targets. */
export type WebhookSource = { agentId: string; agentVersion: number; webhooks: readonly WebhookTarget[] };

export type WebhookBody = {
  /** The delivery id: the same on every retry, so receivers can drop duplicates. */
  id: string;
  type: string;
  created_at: string;
  call_id: string | null;
  agent_id: string;
  agent_version: number;
  data: unknown;
};

/** Event types are validated where agents are saved (WEBHOOK_EVENTS in src/api/v1/agent-body.ts). */
export function isSubscribed(target: WebhookTarget, eventType: string): boolean {
  return Array.isArray(target.events) && target.events.includes(eventType);
}

export function webhookBody(deliveryId: string, source: WebhookSource, event: WebhookEvent, createdAt: string): WebhookBody {
  return {
    id: deliveryId,
    type: event.type,
    created_at: createdAt,
    call_id: event.callId,
    agent_id: source.agentId,
    agent_version: source.agentVersion,
    data: event.data,
  };
}
