// The tenant isolation matrix: for every /v1 route, the request tenant A sends aimed at tenant B's
// resources, and what A must get (404 like a missing row, or only its own data). The test checks
// that the matrix covers every route the server registered, so a new route without a row fails;
// other modules extend it by adding cases (see `IsolationCase`) and seeding through `seedTenant`.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { agentBodySchema, agentBodyToConfig } from '../../../src/api/v1/agent-body.js';
import { issueApiKey } from '../../../src/auth/api-keys.js';
import { hashPassword } from '../../../src/auth/passwords.js';
import { startUserSession } from '../../../src/auth/user-sessions.js';
import type { Repository } from '../../../src/store/repository.js';
import { agentBody, eventRow, seedCall } from './fixtures.js';

/** What a seeded tenant holds, by id, and its credentials. */
export type TenantData = {
  tenantId: string;
  key: string;
  keyId: string;
  /** A second live key (a target for revoking). */
  spareKeyId: string;
  agentId: string;
  callId: string;
  userId: string;
  userEmail: string;
  password: string;
  sessionToken: string;
  /** Temp directory holding the call's recording; remove it after the test. */
  recordingDir: string;
};

export type MatrixContext = {
  a: TenantData;
  b: TenantData;
  /** Sends as tenant A: with A's API key unless the case asks for its session token. */
  send(request: InjectOptions, as?: 'key' | 'session' | 'none'): Promise<LightMyRequestResponse>;
};

export type IsolationCase = {
  /** `METHOD /v1/path/:param`, exactly as registered. */
  route: string;
  /** How to call it as tenant A. Default: A's API key. */
  as?: 'key' | 'session' | 'none';
  /** The request aimed at tenant B's data. */
  request(b: TenantData, a: TenantData): InjectOptions;
  /** 'not_found': 404 with code not_found. Otherwise a check of the answer (e.g. only A's rows). */
  expect: 'not_found' | ((res: LightMyRequestResponse, ctx: MatrixContext) => void | Promise<void>);
};

export const routeKey = (method: string, url: string): string => `${method} ${url}`;

const json = (res: LightMyRequestResponse) => res.json() as Record<string, unknown> & { items?: Record<string, unknown>[] };
const itemIds = (res: LightMyRequestResponse, field = 'id') => (json(res).items ?? []).map((i) => i[field]);

/** 2xx, and no item of the list belongs to B (and A's own item is there, so the list is not just empty). */
const ownList =
  (bId: (b: TenantData) => string, aId: (a: TenantData) => string, field = 'id') =>
  (res: LightMyRequestResponse, { a, b }: MatrixContext) => {
    expect(res.statusCode, res.body).toBe(200);
    expect(itemIds(res, field)).not.toContain(bId(b));
    expect(itemIds(res, field)).toContain(aId(a));
  };
const emptyList = (res: LightMyRequestResponse) => {
  expect(res.statusCode, res.body).toBe(200);
  expect(json(res).items).toEqual([]);
};
const created = (res: LightMyRequestResponse) => expect(res.statusCode, res.body).toBe(201);

/** The /v1 routes of this module. */
export function buildIsolationMatrix(): IsolationCase[] {
  const agentUrl = (b: TenantData) => `/v1/agents/${b.agentId}`;
  return [
    { route: 'GET /v1/agents', request: () => ({ method: 'GET', url: '/v1/agents' }), expect: ownList((b) => b.agentId, (a) => a.agentId) },
    { route: 'POST /v1/agents', request: () => ({ method: 'POST', url: '/v1/agents', payload: agentBody() }), expect: created },
    { route: 'GET /v1/agents/:id', request: (b) => ({ method: 'GET', url: agentUrl(b) }), expect: 'not_found' },
    { route: 'PUT /v1/agents/:id', request: (b) => ({ method: 'PUT', url: agentUrl(b), payload: agentBody({ prompt: 'hijacked' }) }), expect: 'not_found' },
    { route: 'PATCH /v1/agents/:id', request: (b) => ({ method: 'PATCH', url: agentUrl(b), payload: { prompt: 'hijacked' } }), expect: 'not_found' },
    { route: 'DELETE /v1/agents/:id', request: (b) => ({ method: 'DELETE', url: agentUrl(b) }), expect: 'not_found' },
    { route: 'GET /v1/agents/:id/versions', request: (b) => ({ method: 'GET', url: `${agentUrl(b)}/versions` }), expect: 'not_found' },
    { route: 'GET /v1/agents/:id/versions/:version', request: (b) => ({ method: 'GET', url: `${agentUrl(b)}/versions/1` }), expect: 'not_found' },
    { route: 'POST /v1/agents/:id/rollback', request: (b) => ({ method: 'POST', url: `${agentUrl(b)}/rollback`, payload: { version: 1 } }), expect: 'not_found' },

    { route: 'GET /v1/calls', request: (b) => ({ method: 'GET', url: `/v1/calls?agent_id=${b.agentId}` }), expect: emptyList },
    { route: 'GET /v1/calls/:id', request: (b) => ({ method: 'GET', url: `/v1/calls/${b.callId}` }), expect: 'not_found' },
    { route: 'GET /v1/calls/:id/transcript', request: (b) => ({ method: 'GET', url: `/v1/calls/${b.callId}/transcript?format=srt` }), expect: 'not_found' },
    { route: 'GET /v1/calls/:id/recording', request: (b) => ({ method: 'GET', url: `/v1/calls/${b.callId}/recording` }), expect: 'not_found' },
    {
      route: 'GET /v1/metrics/summary',
      request: (b) => ({ method: 'GET', url: `/v1/metrics/summary?agent_id=${b.agentId}` }),
      expect: (res) => {
        expect(res.statusCode, res.body).toBe(200);
        expect(json(res).days).toEqual([]);
        expect((json(res).totals as { calls: number }).calls).toBe(0);
      },
    },

    {
      route: 'POST /v1/auth/login',
      as: 'none',
      request: (b, a) => ({ method: 'POST', url: '/v1/auth/login', payload: { email: b.userEmail, password: b.password, tenant_id: a.tenantId } }),
      expect: (res) => expect(res.statusCode, res.body).toBe(401),
    },
    {
      route: 'POST /v1/auth/logout',
      as: 'session',
      request: () => ({ method: 'POST', url: '/v1/auth/logout' }),
      expect: async (res, ctx) => {
        expect(res.statusCode, res.body).toBe(204);
        const bStill = await ctx.send({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${ctx.b.sessionToken}` } }, 'none');
        expect(bStill.statusCode).toBe(200);
      },
    },
    {
      route: 'GET /v1/me',
      request: () => ({ method: 'GET', url: '/v1/me' }),
      expect: (res, { a }) => expect((json(res).tenant as { id: string }).id).toBe(a.tenantId),
    },

    { route: 'GET /v1/users', request: () => ({ method: 'GET', url: '/v1/users' }), expect: ownList((b) => b.userId, (a) => a.userId) },
    {
      route: 'POST /v1/users',
      request: (b) => ({ method: 'POST', url: '/v1/users', payload: { email: `new-${b.userEmail}`, name: 'New', role: 'viewer' } }),
      expect: created,
    },
    { route: 'PATCH /v1/users/:id', request: (b) => ({ method: 'PATCH', url: `/v1/users/${b.userId}`, payload: { role: 'viewer' } }), expect: 'not_found' },
    { route: 'DELETE /v1/users/:id', request: (b) => ({ method: 'DELETE', url: `/v1/users/${b.userId}` }), expect: 'not_found' },

    { route: 'GET /v1/api-keys', request: () => ({ method: 'GET', url: '/v1/api-keys' }), expect: ownList((b) => b.keyId, (a) => a.keyId) },
    { route: 'POST /v1/api-keys', request: () => ({ method: 'POST', url: '/v1/api-keys', payload: { name: 'new', role: 'viewer' } }), expect: created },
    { route: 'DELETE /v1/api-keys/:id', request: (b) => ({ method: 'DELETE', url: `/v1/api-keys/${b.spareKeyId}` }), expect: 'not_found' },

    {
      route: 'GET /v1/audit',
      request: () => ({ method: 'GET', url: '/v1/audit?limit=200' }),
      expect: (res, { a, b }) => {
        expect(res.statusCode, res.body).toBe(200);
        expect(itemIds(res, 'target_id')).not.toContain(b.agentId);
        expect(itemIds(res, 'target_id')).toContain(a.agentId);
      },
    },
  ];
}

/** A tenant with a key, a spare key, a user with a password and a live session, an agent with two versions, a call with a turn, an event and a recording file, and an audit entry. */
export async function seedTenant(repository: Repository, tenantId: string): Promise<TenantData> {
  await repository.createTenant({ id: tenantId, name: `Tenant ${tenantId}` });
  const { apiKey, key } = await issueApiKey(repository, tenantId, { name: 'admin', role: 'admin' });
  const spare = await issueApiKey(repository, tenantId, { name: 'spare', role: 'viewer' });
  const password = `password of ${tenantId}`;
  const userEmail = `owner@${tenantId}.example.com`;
  const user = await repository.createUser(tenantId, { id: `${tenantId}-user`, email: userEmail, name: 'Owner', role: 'admin', passwordHash: await hashPassword(password) });
  const session = await startUserSession(repository, { tenantId, userId: user.id, now: new Date('2026-03-01T12:00:00.000Z') });
  const agentId = `${tenantId}-agent`;
  const config = agentBodyToConfig(agentBodySchema.parse(agentBody()));
  await repository.createAgent(tenantId, { id: agentId, name: 'Front desk', config });
  await repository.updateAgent(tenantId, agentId, { config: { ...config, prompt: 'second version' } });
  const callId = `${tenantId}-call`;
  await seedCall(repository, tenantId, { id: callId, agentId, startedAt: '2026-02-01T10:00:00.000Z', turns: [['hello', 'hi']] });
  await repository.insertEvent(tenantId, eventRow(callId, 1, '2026-02-01T10:00:00.000Z', { type: 'call.started', at: 0, agent: 'a', inputSampleRate: 16000, outputSampleRate: 16000 }));
  const recordingDir = mkdtempSync(join(tmpdir(), 'parley-isolation-'));
  const recording = join(recordingDir, `${callId}.wav`);
  writeFileSync(recording, Buffer.alloc(64));
  await repository.setCallRecording(tenantId, callId, recording);
  await repository.appendAudit(tenantId, { id: `${tenantId}-audit`, at: '2026-02-01T10:00:00.000Z', actor: `key:${apiKey.id}`, action: 'agent.create', targetType: 'agent', targetId: agentId, details: {} });
  return { tenantId, key, keyId: apiKey.id, spareKeyId: spare.apiKey.id, agentId, callId, userId: user.id, userEmail, password, sessionToken: session.token, recordingDir };
}

/** Everything of the tenant the API can reach, for comparing before and after (key use times left out). */
export async function snapshotTenant(repository: Repository, tenantId: string): Promise<unknown> {
  const agents = await repository.listAgents(tenantId);
  const calls = await repository.listCalls(tenantId, {}, { limit: 1000 });
  return {
    tenant: await repository.getTenant(tenantId),
    agents,
    versions: await Promise.all(agents.map((a) => repository.listAgentVersions(tenantId, a.id))),
    calls: await Promise.all(calls.items.map((c) => repository.getCall(tenantId, c.id))),
    users: await repository.listUsers(tenantId),
    keys: (await repository.listApiKeys(tenantId)).map(({ lastUsedAt: _lastUsedAt, ...k }) => k),
    audit: await repository.listAudit(tenantId, { limit: 1000 }),
    summary: await repository.summarizeCalls(tenantId, {}),
  };
}
