// The delivery log API, registered inside /v1: list deliveries (status=failed is the dead-letter
// list), one delivery with its attempts, and replay. Everything is scoped to the caller's tenant;
// another tenant's delivery is a 404.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { notFound } from '../api/api-error.js';
import { audit } from '../api/v1/audit.js';
import { decodeCursor } from '../store/cursor.js';
import type { Repository } from '../store/repository.js';
import type { WebhookDispatcher } from './webhook-dispatcher.js';
import { documentationOnly, parseOrThrow, requireScope } from './webhook-request-checks.js';
import { deliveryDetailToWire, deliveryToWire } from './webhook-wire.js';

export type WebhookRoutesDeps = {
  repository: Repository;
  dispatcher: Pick<WebhookDispatcher, 'replay'>;
};

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;
const STATUSES = ['pending', 'delivered', 'failed'] as const;

const isCursor = (value: string): boolean => {
  try {
    decodeCursor(value);
    return true;
  } catch {
    return false;
  }
};

const listQuery = z.strictObject({
  status: z.enum(STATUSES).optional(),
  event_type: z.string().min(1).max(100).optional(),
  call_id: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT),
  cursor: z.string().max(1000).refine(isCursor, 'is not a cursor from a previous page').optional(),
});
const idParams = z.strictObject({ id: z.string().min(1).max(200) });

const idParamsJson = {
  type: 'object',
  properties: { id: { type: 'string', description: 'Delivery id (the `id` of the webhook body and the Parley-Delivery header).' } },
  required: ['id'],
} as const;

export function webhookRoutes(deps: WebhookRoutesDeps): (v1: FastifyInstance) => void {
  return (v1) => {
    v1.get(
      '/webhooks/deliveries',
      {
        validatorCompiler: documentationOnly,
        schema: {
          summary: 'List webhook deliveries (the delivery log); status=failed lists the dead letters',
          tags: ['webhooks'],
          querystring: {
            type: 'object',
            properties: {
              status: { type: 'string', enum: [...STATUSES] },
              event_type: { type: 'string', description: 'e.g. call.ended' },
              call_id: { type: 'string' },
              limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
              cursor: { type: 'string', description: '`next_cursor` of the previous page' },
            },
          },
        },
      },
      async (request) => {
        const principal = requireScope(request, 'webhooks:read');
        const query = parseOrThrow(listQuery, request.query);
        const page = await deps.repository.listWebhookDeliveries(
          principal.tenantId,
          { status: query.status, eventType: query.event_type, callId: query.call_id },
          { limit: query.limit, cursor: query.cursor ?? null },
        );
        return { items: page.items.map(deliveryToWire), next_cursor: page.nextCursor };
      },
    );

    v1.get(
      '/webhooks/deliveries/:id',
      {
        validatorCompiler: documentationOnly,
        schema: { summary: 'One webhook delivery with its body and every attempt', tags: ['webhooks'], params: idParamsJson },
      },
      async (request) => {
        const principal = requireScope(request, 'webhooks:read');
        const { id } = parseOrThrow(idParams, request.params);
        const delivery = await deps.repository.getWebhookDelivery(principal.tenantId, id);
        if (!delivery) throw notFound('webhook delivery');
        return deliveryDetailToWire(delivery, await deps.repository.listWebhookAttempts(principal.tenantId, id));
      },
    );

    v1.post(
      '/webhooks/deliveries/:id/replay',
      {
        validatorCompiler: documentationOnly,
        schema: {
          summary: 'Send a delivery again (a dead letter, or a delivered one): pending, due now, schedule restarted',
          tags: ['webhooks'],
          params: idParamsJson,
        },
      },
      async (request, reply) => {
        const principal = requireScope(request, 'webhooks:write');
        const { id } = parseOrThrow(idParams, request.params);
        const before = await deps.repository.getWebhookDelivery(principal.tenantId, id);
        if (!before || !(await deps.dispatcher.replay(principal.tenantId, id))) throw notFound('webhook delivery');
        await audit(request, 'webhook.replay', 'webhook_delivery', id, { event_type: before.eventType, previous_status: before.status });
        const after = await deps.repository.getWebhookDelivery(principal.tenantId, id);
        return reply.code(202).send(deliveryToWire(after ?? before));
      },
    );
  };
}
