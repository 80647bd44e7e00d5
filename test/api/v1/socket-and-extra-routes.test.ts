// The API over a real listening socket (fetch), and other modules' routes registered inside the
// authenticated /v1 scope: they get authentication, scope checks, the error shape and audit().
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/api/api-error.js';
import { audit } from '../../../src/api/v1/audit.js';
import { defineRoute } from '../../../src/api/v1/route-spec.js';
import { agentBody } from './fixtures.js';
import { startApi, type ApiHarness } from './harness.js';

let api: ApiHarness;
let base: string;

function webhookAdminRoutes(v1: FastifyInstance): void {
  defineRoute(v1, {
    method: 'GET',
    url: '/webhook-things',
    summary: 'A route from another module',
    tags: ['webhooks'],
    access: 'webhooks:read',
    responses: { 200: { description: 'things' } },
    async handler({ principal }) {
      return { tenant: principal.tenantId };
    },
  });
  v1.post('/webhook-things/replay', { config: { access: 'webhooks:write' } }, async (request) => {
    await audit(request, 'webhook.replay', 'webhook_delivery', 'd1', {});
    return { ok: true };
  });
  v1.post(
    '/typed',
    { schema: { tags: ['webhooks'], summary: 'Validated by fastify', body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } } },
    async (request) => ({ got: request.body }),
  );
  v1.get('/plain', async () => {
    throw new ApiError(409, 'busy', 'try later');
  });
}

beforeAll(async () => {
  api = await startApi({ extraRoutes: [webhookAdminRoutes] });
  base = await api.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => api.close());

describe('over a listening socket', () => {
  it('creates and reads an agent with fetch', async () => {
    const { key } = await api.keyFor('acme');
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const created = await fetch(`${base}/v1/agents`, { method: 'POST', headers, body: JSON.stringify(agentBody()) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const got = await fetch(`${base}/v1/agents/${id}`, { headers });
    expect(got.status).toBe(200);
    expect(((await got.json()) as { name: string }).name).toBe('Front desk');
    const anonymous = await fetch(`${base}/v1/agents`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: { code: 'unauthorized', message: 'send an API key or session token: Authorization: Bearer <token>' } });
    const docs = await fetch(`${base}/openapi.json`);
    expect(((await docs.json()) as { paths: Record<string, unknown> }).paths['/v1/webhook-things']).toBeDefined();
  });
});

describe('extra routes', () => {
  it('are authenticated and scope-checked inside /v1', async () => {
    const viewer = (await api.keyFor('globex', 'viewer')).key;
    const member = (await api.keyFor('globex', 'member')).key;
    expect((await api.app.inject({ method: 'GET', url: '/v1/webhook-things' })).statusCode).toBe(401);
    const read = await api.call(viewer, { method: 'GET', url: '/v1/webhook-things' });
    expect(read.json()).toEqual({ tenant: 'globex' });
    expect((await api.call(viewer, { method: 'POST', url: '/v1/webhook-things/replay' })).statusCode).toBe(403);
    expect((await api.call(member, { method: 'POST', url: '/v1/webhook-things/replay' })).json()).toEqual({ ok: true });
    const entries = await api.repository.listAudit('globex', { limit: 10 });
    expect(entries.items.map((e) => e.action)).toEqual(['webhook.replay']);
    // A route without an access setting needs any authenticated principal; its errors get the shape.
    expect((await api.app.inject({ method: 'GET', url: '/v1/plain' })).statusCode).toBe(401);
    const plain = await api.call(viewer, { method: 'GET', url: '/v1/plain' });
    expect(plain.statusCode).toBe(409);
    expect(plain.json()).toEqual({ error: { code: 'busy', message: 'try later' } });
  });

  it('keep fastify validation of their JSON schemas, answered as (field, reason)', async () => {
    const { key } = await api.keyFor('initech', 'viewer');
    const missing = await api.call(key, { method: 'POST', url: '/v1/typed', payload: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatchObject({ code: 'validation_failed', issues: [{ field: 'n', reason: 'required' }] });
    const wrong = await api.call(key, { method: 'POST', url: '/v1/typed', payload: { n: 'x' } });
    expect(wrong.json().error.issues).toEqual([{ field: 'n', reason: 'must be integer' }]);
    expect((await api.call(key, { method: 'POST', url: '/v1/typed', payload: { n: 3 } })).json()).toEqual({ got: { n: 3 } });
  });
});
