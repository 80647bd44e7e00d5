// Agents over HTTP: create, read, list, replace, patch, delete, versions and rollback, with
// webhook secrets never answered back and flows checked before saving.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentBodySchema, agentBodyToConfig } from '../../../src/api/v1/agent-body.js';
import { agentBody } from './fixtures.js';
import { startApi, type ApiHarness } from './harness.js';

let api: ApiHarness;
let key: string;
const changes: string[] = [];

beforeEach(async () => {
  changes.length = 0;
  api = await startApi({ onAgentChanged: (tenantId, agentId) => changes.push(`${tenantId}/${agentId}`) });
  ({ key } = await api.keyFor('acme'));
});
afterEach(() => api.close());

async function create(body: object = agentBody()) {
  const res = await api.call(key, { method: 'POST', url: '/v1/agents', payload: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

describe('agents', () => {
  it('creates an agent as version 1 and reads it back without the webhook secret', async () => {
    const created = await create();
    expect(created).toMatchObject({
      name: 'Front desk',
      version: 1,
      prompt: 'You are a friendly receptionist.',
      greeting: 'Hello, how can I help?',
      voice: 'en-us',
      providers: { stt: ['simulated'], llm: ['simulated'], tts: ['simulated'] },
      tools: ['time'],
      flow: null,
      turn: { speculativeHoldMs: 150 },
      webhooks: [{ url: 'https://hooks.example.com/parley', events: ['call.ended'], secret: '••••cdef' }],
    });
    expect(created.id).toMatch(/^agt_/);
    const got = await api.call(key, { method: 'GET', url: `/v1/agents/${created.id}` });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(created);
    expect(got.body).not.toContain('whsec-0123456789abcdef');
    // Stored as the repository's AgentConfig.
    const stored = await api.repository.getAgent('acme', created.id);
    expect(stored?.config).toEqual(agentBodyToConfig(agentBodySchema.parse(agentBody())));
    expect(stored?.config.voice).toEqual({ voice: 'en-us' });
    expect(stored?.config.webhooks?.[0].secret).toBe('whsec-0123456789abcdef');
    expect(changes).toEqual([`acme/${created.id}`]);
  });

  it('lists the agents of the tenant', async () => {
    const a = await create(agentBody({ name: 'A' }));
    const b = await create(agentBody({ name: 'B' }));
    const res = await api.call(key, { method: 'GET', url: '/v1/agents' });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((i: { id: string }) => i.id).sort()).toEqual([a.id, b.id].sort());
  });

  it('PUT stores a new version, keeps masked secrets, and versions list every one', async () => {
    const created = await create();
    const edited = { ...agentBody({ prompt: 'Be brief.' }), webhooks: created.webhooks };
    const put = await api.call(key, { method: 'PUT', url: `/v1/agents/${created.id}`, payload: edited });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ version: 2, prompt: 'Be brief.' });
    expect((await api.repository.getAgent('acme', created.id))?.config.webhooks?.[0].secret).toBe('whsec-0123456789abcdef');

    const versions = await api.call(key, { method: 'GET', url: `/v1/agents/${created.id}/versions` });
    expect(versions.json().items.map((v: { version: number; prompt: string }) => [v.version, v.prompt])).toEqual([
      [1, 'You are a friendly receptionist.'],
      [2, 'Be brief.'],
    ]);
    const v1 = await api.call(key, { method: 'GET', url: `/v1/agents/${created.id}/versions/1` });
    expect(v1.json()).toMatchObject({ agent_id: created.id, version: 1, prompt: 'You are a friendly receptionist.' });
    expect(v1.body).not.toContain('whsec-');
    expect((await api.call(key, { method: 'GET', url: `/v1/agents/${created.id}/versions/9` })).statusCode).toBe(404);
  });

  it('refuses a masked secret that matches no stored webhook', async () => {
    const created = await create();
    const res = await api.call(key, {
      method: 'PUT',
      url: `/v1/agents/${created.id}`,
      payload: { ...agentBody(), webhooks: [{ url: 'https://other.example.com/', events: ['call.ended'], secret: '••••cdef' }] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.issues).toEqual([{ field: 'webhooks.0.secret', reason: expect.stringContaining('masked') }]);
  });

  it('PATCH changes only the given fields', async () => {
    const created = await create();
    const res = await api.call(key, { method: 'PATCH', url: `/v1/agents/${created.id}`, payload: { greeting: null, tools: ['time', 'appointments'] } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ version: 2, greeting: null, tools: ['time', 'appointments'], prompt: 'You are a friendly receptionist.', voice: 'en-us' });
    const bad = await api.call(key, { method: 'PATCH', url: `/v1/agents/${created.id}`, payload: { colour: 'red' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.issues).toEqual([{ field: 'colour', reason: 'unknown field' }]);
  });

  it('rolls back by copying an old version forward', async () => {
    const created = await create();
    await api.call(key, { method: 'PATCH', url: `/v1/agents/${created.id}`, payload: { prompt: 'second' } });
    const res = await api.call(key, { method: 'POST', url: `/v1/agents/${created.id}/rollback`, payload: { version: 1 } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ version: 3, prompt: 'You are a friendly receptionist.' });
    const missing = await api.call(key, { method: 'POST', url: `/v1/agents/${created.id}/rollback`, payload: { version: 7 } });
    expect(missing.statusCode).toBe(404);
    expect(changes).toHaveLength(3);
  });

  it('deletes an agent: gone from reads and lists', async () => {
    const created = await create();
    const del = await api.call(key, { method: 'DELETE', url: `/v1/agents/${created.id}` });
    expect(del.statusCode).toBe(204);
    expect((await api.call(key, { method: 'GET', url: `/v1/agents/${created.id}` })).json()).toEqual({ error: { code: 'not_found', message: 'agent not found' } });
    expect((await api.call(key, { method: 'GET', url: '/v1/agents' })).json().items).toEqual([]);
    expect((await api.call(key, { method: 'DELETE', url: `/v1/agents/${created.id}` })).statusCode).toBe(404);
  });

  it('checks flows: a missing file, an invalid inline flow, and a valid file', async () => {
    const missing = await api.call(key, { method: 'POST', url: '/v1/agents', payload: agentBody({ flow: 'flows/nope.yaml' }) });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.issues).toEqual([{ field: 'flow', reason: 'no such flow file' }]);

    const outside = await api.call(key, { method: 'POST', url: '/v1/agents', payload: agentBody({ flow: '../etc/passwd.yaml' }) });
    expect(outside.json().error.issues).toEqual([{ field: 'flow', reason: 'must be a relative path inside the working directory' }]);

    const inline = await api.call(key, {
      method: 'POST',
      url: '/v1/agents',
      payload: agentBody({ flow: { name: 'tiny', start: 'greet', nodes: { greet: { say: 'Hi', next: 'nowhere' } } } }),
    });
    expect(inline.statusCode).toBe(400);
    expect(inline.json().error.issues[0].field).toBe('flow.nodes.greet.next');

    const good = await api.call(key, { method: 'POST', url: '/v1/agents', payload: agentBody({ flow: 'flows/receptionist.yaml' }) });
    expect(good.statusCode, good.body).toBe(201);
    const inlineGood = await api.call(key, {
      method: 'POST',
      url: '/v1/agents',
      payload: agentBody({ flow: { name: 'tiny', start: 'greet', nodes: { greet: { say: 'Hi, bye.', end: true } } } }),
    });
    expect(inlineGood.statusCode, inlineGood.body).toBe(201);
    expect(inlineGood.json().flow).toEqual({ name: 'tiny', start: 'greet', nodes: { greet: { say: 'Hi, bye.', end: true } } });
  });
});
