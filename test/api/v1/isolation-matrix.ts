// The tenant isolation matrix: for every /v1 route, the request tenant A sends aimed at tenant B's
// resources, and what A must get (404 like a missing row, or only its own data). The test checks
// that the matrix covers every route the server registered, so a new route without a row fails;
// other modules extend it by adding cases (see `IsolationCase`) and seeding through `seedTenant`.
// Streaming routes (SSE, WebSocket) run as `live` cases over the listening server instead of inject.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { WebSocket } from 'ws';
import { agentBodySchema, agentBodyToConfig } from '../../../src/api/v1/agent-body.js';
import { issueApiKey } from '../../../src/auth/api-keys.js';
import { hashPassword } from '../../../src/auth/passwords.js';
import { startUserSession } from '../../../src/auth/user-sessions.js';
import type { CallBusEvent } from '../../../src/bus/call-bus-event.js';
import type { EventBus } from '../../../src/bus/event-bus.js';
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
  /** A failed (dead-letter) webhook delivery of the call. */
  deliveryId: string;
  /** Temp directory holding the call's recording; remove it after the test. */
  recordingDir: string;
};

export type MatrixContext = {
  a: TenantData;
  b: TenantData;
  /** Sends as tenant A: with A's API key unless the case asks for its session token. */
  send(request: InjectOptions, as?: 'key' | 'session' | 'none'): Promise<LightMyRequestResponse>;
  /** The listening server, e.g. `http://127.0.0.1:4321`, for streaming routes. */
  base: string;
  /** The event bus the follow routes read. */
  bus: EventBus<CallBusEvent>;
};

/** A route answered by inject: one request, one answer. */
export type InjectedCase = {
  /** `METHOD /v1/path/:param`, exactly as registered. */
  route: string;
  /** How to call it as tenant A. Default: A's API key. */
  as?: 'key' | 'session' | 'none';
  /** The request aimed at tenant B's data. */
  request(b: TenantData, a: TenantData): InjectOptions;
  /** 'not_found': 404 with code not_found. Otherwise a check of the answer (e.g. only A's rows). */
  expect: 'not_found' | ((res: LightMyRequestResponse, ctx: MatrixContext) => void | Promise<void>);
};

/** A streaming route: the case talks to the listening server as A and checks what it gets itself. */
export type LiveCase = {
  route: string;
  live(ctx: MatrixContext): Promise<void>;
};

export type IsolationCase = InjectedCase | LiveCase;

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

    { route: 'GET /v1/webhooks/deliveries', request: () => ({ method: 'GET', url: '/v1/webhooks/deliveries' }), expect: ownList((b) => b.deliveryId, (a) => a.deliveryId) },
    { route: 'GET /v1/webhooks/deliveries/:id', request: (b) => ({ method: 'GET', url: `/v1/webhooks/deliveries/${b.deliveryId}` }), expect: 'not_found' },
    { route: 'POST /v1/webhooks/deliveries/:id/replay', request: (b) => ({ method: 'POST', url: `/v1/webhooks/deliveries/${b.deliveryId}/replay` }), expect: 'not_found' },

    // Call control: B's live call is invisible to A; dialling with B's agent finds no such agent.
    { route: 'POST /v1/calls', request: (b) => ({ method: 'POST', url: '/v1/calls', payload: { to: 'sip:someone@127.0.0.1:9', agent: b.agentId } }), expect: 'not_found' },
    { route: 'POST /v1/calls/:id/hangup', request: (b) => ({ method: 'POST', url: `/v1/calls/${b.callId}/hangup`, payload: {} }), expect: 'not_found' },
    { route: 'POST /v1/calls/:id/transfer', request: (b) => ({ method: 'POST', url: `/v1/calls/${b.callId}/transfer`, payload: { target: '+15550100' } }), expect: 'not_found' },
    { route: 'POST /v1/calls/:id/dtmf', request: (b) => ({ method: 'POST', url: `/v1/calls/${b.callId}/dtmf`, payload: { digits: '1' } }), expect: 'not_found' },

    { route: 'GET /v1/calls/:id/events', live: ({ a, b, base }) => expectSseRefused(`${base}/v1/calls/${b.callId}/events`, a, b) },
    { route: 'GET /v1/events', live: globalEventsOnlyOwn },
    { route: 'GET /v1/calls/:id/follow', live: followSocketRefused },

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

const bearer = (t: TenantData) => ({ authorization: `Bearer ${t.key}` });
const bIds = (b: TenantData) => [b.tenantId, b.agentId, b.callId, b.userId, b.keyId, b.spareKeyId, b.deliveryId];
const callEnded = (t: TenantData): CallBusEvent => ({ tenantId: t.tenantId, agentId: t.agentId, event: { callId: t.callId, at: 0, type: 'call.ended', reason: 'x', usage: null } });

/** An SSE request as A that must be a 404 before any stream starts. */
async function expectSseRefused(url: string, a: TenantData, b: TenantData): Promise<void> {
  const controller = new AbortController();
  try {
    const res = await fetch(url, { headers: { ...bearer(a), accept: 'text/event-stream' }, signal: controller.signal });
    expect(res.status).toBe(404);
    const body = await res.text();
    expect((JSON.parse(body) as { error: { code: string } }).error.code).toBe('not_found');
    for (const id of bIds(b)) expect(body).not.toContain(id);
  } finally {
    controller.abort();
  }
}

/** A follows every call; B's call publishes first, then A's: A's stream carries A's entry and nothing of B. */
async function globalEventsOnlyOwn({ a, b, base, bus }: MatrixContext): Promise<void> {
  const controller = new AbortController();
  let text = '';
  try {
    const res = await fetch(`${base}/v1/events`, { headers: { ...bearer(a), accept: 'text/event-stream' }, signal: controller.signal });
    expect(res.status).toBe(200);
    // The 200 comes once the subscription is in place: both entries are live for it.
    bus.publish(b.callId, callEnded(b));
    bus.publish(a.callId, callEnded(a));
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    while (!text.includes(a.callId)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    controller.abort();
  }
  expect(text).toContain(`"callId":"${a.callId}"`);
  for (const id of bIds(b)) expect(text).not.toContain(id);
}

/** A WebSocket upgrade as A on B's call: refused with a plain 404 before the upgrade. */
async function followSocketRefused({ a, b, base }: MatrixContext): Promise<void> {
  const url = `${base.replace(/^http/, 'ws')}/v1/calls/${b.callId}/follow`;
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const socket = new WebSocket(url, { headers: bearer(a) });
    socket.on('open', () => {
      socket.terminate();
      resolve({ status: 101, body: '' });
    });
    socket.on('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
        socket.terminate();
      });
    });
    socket.on('error', reject);
  });
  expect(answer.status, answer.body).toBe(404);
  expect((JSON.parse(answer.body) as { error: { code: string } }).error.code).toBe('not_found');
  for (const id of bIds(b)) expect(answer.body).not.toContain(id);
}

/** A tenant with a key, a spare key, a user with a password and a live session, an agent with two versions, a call with a turn, an event and a recording file, a failed webhook delivery, and an audit entry. */
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
  const deliveryId = `${tenantId}-delivery`;
  await repository.insertWebhookDelivery(tenantId, {
    id: deliveryId,
    agentId,
    agentVersion: 1,
    webhookIndex: 0,
    callId,
    eventType: 'call.ended',
    url: 'https://hooks.example.com/parley',
    payload: { type: 'call.ended', call_id: callId },
    status: 'failed',
    nextAttemptAt: null,
    createdAt: '2026-02-01T10:01:00.000Z',
  });
  await repository.appendAudit(tenantId, { id: `${tenantId}-audit`, at: '2026-02-01T10:00:00.000Z', actor: `key:${apiKey.id}`, action: 'agent.create', targetType: 'agent', targetId: agentId, details: {} });
  return { tenantId, key, keyId: apiKey.id, spareKeyId: spare.apiKey.id, agentId, callId, userId: user.id, userEmail, password, sessionToken: session.token, deliveryId, recordingDir };
}

/** Everything of the tenant the API can reach, for comparing before and after (key use times left out). */
export async function snapshotTenant(repository: Repository, tenantId: string): Promise<unknown> {
  const agents = await repository.listAgents(tenantId);
  const calls = await repository.listCalls(tenantId, {}, { limit: 1000 });
  const deliveries = await repository.listWebhookDeliveries(tenantId, {}, { limit: 1000 });
  return {
    tenant: await repository.getTenant(tenantId),
    agents,
    versions: await Promise.all(agents.map((a) => repository.listAgentVersions(tenantId, a.id))),
    calls: await Promise.all(calls.items.map((c) => repository.getCall(tenantId, c.id))),
    users: await repository.listUsers(tenantId),
    keys: (await repository.listApiKeys(tenantId)).map(({ lastUsedAt: _lastUsedAt, ...k }) => k),
    audit: await repository.listAudit(tenantId, { limit: 1000 }),
    summary: await repository.summarizeCalls(tenantId, {}),
    deliveries: deliveries.items,
    attempts: await Promise.all(deliveries.items.map((d) => repository.listWebhookAttempts(tenantId, d.id))),
  };
}
