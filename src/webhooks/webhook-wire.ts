// How deliveries and their attempts look in the REST API (snake_case, like the webhook bodies).
import type { WebhookAttempt, WebhookDelivery } from '../store/repository.js';

export function deliveryToWire(d: WebhookDelivery) {
  return {
    id: d.id,
    event_type: d.eventType,
    status: d.status,
    url: d.url,
    agent_id: d.agentId,
    agent_version: d.agentVersion,
    webhook_index: d.webhookIndex,
    call_id: d.callId,
    attempts: d.attempts,
    next_attempt_at: d.nextAttemptAt,
    last_error: d.lastError,
    response_status: d.responseStatus,
    created_at: d.createdAt,
    delivered_at: d.deliveredAt,
  };
}

export function attemptToWire(a: WebhookAttempt) {
  return { id: a.id, at: a.at, response_status: a.responseStatus, error: a.error, duration_ms: a.durationMs };
}

/** One delivery with the body it sends and every attempt so far (oldest first). */
export function deliveryDetailToWire(d: WebhookDelivery, attempts: readonly WebhookAttempt[]) {
  return { ...deliveryToWire(d), payload: d.payload, attempt_log: attempts.map(attemptToWire) };
}
