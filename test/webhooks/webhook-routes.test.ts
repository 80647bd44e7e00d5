// The delivery log API inside a /v1 scope: listing with filters and cursors (failed = dead letters),
// one delivery with its attempts, replay; tenant isolation (404), scopes (403), and zod validation
// (400 validation_failed with per-field issues). The principal comes from a test hook; the audit
// writer is the /v1 plugin's.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/api/api-error.js';
import { installAuditWriter } from '../../src/api/v1/audit.js';
import type { Principal } from '../../src/auth/principal.js';
import type { WebhookDispatcher } from '../../src/webhooks/webhook-dispatcher.js';
import { webhookRoutes } from '../../src/webhooks/webhook-routes.js';
import { createHarness, type Harness } from './dispatcher-harness.js';
import { TestReceiver } from './test-receiver.js';

const SECRET = 'whsec_routes_test_secret';
const PRINCIPALS: Record<string, Principal> = {
  'a-viewer': { tenantId: 'ta', role: 'viewer', actor: 'user:ann', kind: 'user', scopes: null },
  'a-member': { tenantId: 'ta', role: 'member', actor: 'user:max', kind: 'user', scopes: null },
  'a-calls-key': { tenantId: 'ta', role: 'admin', actor: 'key:k1', kind: 'api_key', scopes: ['calls:read'] },
  'b-admin': { tenantId: 'tb', role: 'admin', actor: 'user:bea', kind: 'user', scopes: null },
};

describe('webhook delivery routes', () => {
  let h: Harness;
  let receiver: TestReceiver;
  let dispatcher: WebhookDispatcher;
  let app: FastifyInstance;
  const ids: Record<string, string> = {};

  const get = async (who: string | null, url: string) => {
    const res = await app.inject({ method: 'GET', url, headers: who ? { 'x-test-principal': who } : {} });
    return { status: res.statusCode, body: res.json() };
  };
  const replay = async (who: string, id: string) => {
    const res = await app.inject({ method: 'POST', url: `/v1/webhooks/deliveries/${id}/replay`, headers: { 'x-test-principal': who } });
    return { status: res.statusCode, body: res.json() };
  };

  beforeAll(async () => {
    h = await createHarness('sqlite');
    receiver = await TestReceiver.start(SECRET, () => h.nowSec());
    dispatcher = h.dispatcher({ schedule: [] });
    const a = await h.agent('ta', 'agent-a', [{ url: receiver.url, events: ['turn.completed', 'call.ended'], secret: SECRET }]);
    const b = await h.agent('tb', 'agent-b', [{ url: receiver.url, events: ['turn.completed', 'call.ended'], secret: SECRET }]);

    receiver.answer(500);
    await dispatcher.enqueue('ta', a, { type: 'call.ended', callId: 'call-1', data: { reason: 'bye' } });
    await dispatcher.whenIdle();
    h.clock.advance(1000);
    await dispatcher.enqueue('ta', a, { type: 'turn.completed', callId: 'call-1', data: { turn_id: 't1' } });
    await dispatcher.whenIdle();
    h.clock.advance(1000);
    await dispatcher.enqueue('ta', a, { type: 'call.ended', callId: 'call-2', data: { reason: 'bye' } });
    await dispatcher.enqueue('tb', b, { type: 'call.ended', callId: 'call-9', data: {} });
    await dispatcher.whenIdle();
    for (const [key, tenant, callId, type] of [
      ['deadA', 'ta', 'call-1', 'call.ended'],
      ['turnA', 'ta', 'call-1', 'turn.completed'],
      ['secondA', 'ta', 'call-2', 'call.ended'],
      ['onlyB', 'tb', 'call-9', 'call.ended'],
    ] as const) {
      ids[key] = (await h.repo.listWebhookDeliveries(tenant, { callId, eventType: type }, { limit: 1 })).items[0].id;
    }

    app = Fastify();
    app.setErrorHandler((err, _request, reply) => {
      if (err instanceof ApiError) return reply.code(err.status).send(err.toJSON());
      return reply.code(500).send({ error: { code: 'internal', message: String(err) } });
    });
    await app.register(
      async (v1) => {
        installAuditWriter(v1, { repository: h.repo, now: h.now, log: { error: () => undefined, warn: () => undefined, info: () => undefined } });
        v1.addHook('onRequest', async (request) => {
          const who = request.headers['x-test-principal'];
          if (typeof who === 'string') request.principal = PRINCIPALS[who];
        });
        webhookRoutes({ repository: h.repo, dispatcher })(v1);
      },
      { prefix: '/v1' },
    );
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await h?.cleanup();
    await receiver?.close();
  });

  it('lists the tenant’s deliveries newest first, filtered, a page at a time', async () => {
    const all = await get('a-viewer', '/v1/webhooks/deliveries');
    expect(all.status).toBe(200);
    expect(all.body.items.map((d: { id: string }) => d.id)).toEqual([ids.secondA, ids.turnA, ids.deadA]);
    expect(all.body.next_cursor).toBeNull();
    expect(all.body.items[2]).toMatchObject({ status: 'failed', event_type: 'call.ended', call_id: 'call-1', attempts: 1, response_status: 500, agent_id: 'agent-a', agent_version: 1 });
    expect(all.body.items[2]).not.toHaveProperty('payload');

    const dead = await get('a-viewer', '/v1/webhooks/deliveries?status=failed');
    expect(dead.body.items.map((d: { id: string }) => d.id)).toEqual([ids.deadA]);
    const turns = await get('a-viewer', '/v1/webhooks/deliveries?event_type=turn.completed');
    expect(turns.body.items.map((d: { id: string }) => d.id)).toEqual([ids.turnA]);
    const byCall = await get('a-viewer', '/v1/webhooks/deliveries?call_id=call-1&status=delivered');
    expect(byCall.body.items.map((d: { id: string }) => d.id)).toEqual([ids.turnA]);

    const first = await get('a-viewer', '/v1/webhooks/deliveries?limit=2');
    expect(first.body.items).toHaveLength(2);
    const second = await get('a-viewer', `/v1/webhooks/deliveries?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body).toEqual({ items: [expect.objectContaining({ id: ids.deadA })], next_cursor: null });

    const other = await get('b-admin', '/v1/webhooks/deliveries');
    expect(other.body.items.map((d: { id: string }) => d.id)).toEqual([ids.onlyB]);
  });

  it('rejects bad query parameters field by field', async () => {
    const bad = await get('a-viewer', '/v1/webhooks/deliveries?limit=0&status=lost&colour=blue&cursor=nonsense');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    const fields = (bad.body.error.issues as { field: string; reason: string }[]).map((i) => i.field).sort();
    expect(fields).toEqual(['colour', 'cursor', 'limit', 'status']);
    expect((await get('a-viewer', '/v1/webhooks/deliveries?limit=201')).status).toBe(400);
    expect((await get('a-viewer', '/v1/webhooks/deliveries?limit=two')).body.error.issues).toEqual([{ field: 'limit', reason: expect.any(String) }]);
  });

  it('shows one delivery with its body and attempt log; another tenant’s is not found', async () => {
    const one = await get('a-viewer', `/v1/webhooks/deliveries/${ids.deadA}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: ids.deadA, status: 'failed', payload: { id: ids.deadA, type: 'call.ended', call_id: 'call-1', data: { reason: 'bye' } } });
    expect(one.body.attempt_log).toEqual([{ id: expect.any(String), at: expect.any(String), response_status: 500, error: 'HTTP 500: receiver says 500', duration_ms: 0 }]);

    const hidden = await get('b-admin', `/v1/webhooks/deliveries/${ids.deadA}`);
    expect(hidden).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'webhook delivery not found' } } });
    expect((await get('a-viewer', '/v1/webhooks/deliveries/whd_nope')).status).toBe(404);
  });

  it('needs a principal, and the webhooks scopes', async () => {
    expect((await get(null, '/v1/webhooks/deliveries')).status).toBe(401);
    const keyed = await get('a-calls-key', '/v1/webhooks/deliveries');
    expect(keyed.status).toBe(403);
    expect(keyed.body.error.code).toBe('forbidden');
    expect((await replay('a-viewer', ids.deadA)).status).toBe(403);
    expect((await h.repo.getWebhookDelivery('ta', ids.deadA))?.status).toBe('failed');
  });

  it('replays a dead letter for its own tenant only, and audits it', async () => {
    expect(await replay('b-admin', ids.deadA)).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'webhook delivery not found' } } });
    expect((await h.repo.getWebhookDelivery('ta', ids.deadA))?.status).toBe('failed');

    const before = receiver.requests.length;
    const replayed = await replay('a-member', ids.deadA);
    expect(replayed.status).toBe(202);
    expect(replayed.body).toMatchObject({ id: ids.deadA });
    await dispatcher.whenIdle();
    expect(receiver.requests.length).toBe(before + 1);
    const after = await get('a-viewer', `/v1/webhooks/deliveries/${ids.deadA}`);
    expect(after.body).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(after.body.attempt_log.map((a: { response_status: number }) => a.response_status)).toEqual([500, 200]);

    const audit = await h.repo.listAudit('ta', { limit: 10 });
    expect(audit.items).toEqual([
      expect.objectContaining({ actor: 'user:max', action: 'webhook.replay', targetType: 'webhook_delivery', targetId: ids.deadA, details: { event_type: 'call.ended', previous_status: 'failed' } }),
    ]);
  });
});
