// The audit log: every successful change leaves one entry naming the actor, action and target,
// with no secret in it; failed changes and reads leave none; /v1/audit pages newest first.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentBody } from './fixtures.js';
import { startApi, type ApiHarness } from './harness.js';

let api: ApiHarness;
beforeEach(async () => (api = await startApi()));
afterEach(() => api.close());

type Entry = { id: string; at: string; actor: string; action: string; target_type: string; target_id: string | null; details: Record<string, unknown> };

async function allEntries(key: string): Promise<Entry[]> {
  const entries: Entry[] = [];
  let cursor: string | null = null;
  do {
    const res = await api.call(key, { method: 'GET', url: `/v1/audit?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}` });
    expect(res.statusCode, res.body).toBe(200);
    entries.push(...res.json().items);
    cursor = res.json().next_cursor;
  } while (cursor);
  return entries;
}

describe('audit log', () => {
  it('records every change, by whom, without secrets', async () => {
    const { key, keyId } = await api.keyFor('acme');
    const actor = `key:${keyId}`;
    const step = () => api.clock.advance(1000);
    const ok = async (method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object, token = key) => {
      step();
      const res = await api.call(token, { method, url, payload });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
      return res.statusCode === 204 ? null : res.json();
    };

    const agent = await ok('POST', '/v1/agents', agentBody());
    await ok('PUT', `/v1/agents/${agent.id}`, agentBody({ prompt: 'v2' }));
    await ok('PATCH', `/v1/agents/${agent.id}`, { prompt: 'v3' });
    await ok('POST', `/v1/agents/${agent.id}/rollback`, { version: 1 });
    await ok('DELETE', `/v1/agents/${agent.id}`);
    const user = await ok('POST', '/v1/users', { email: 'ana@example.com', name: 'Ana', role: 'admin', password: 'secret password 1' });
    await ok('PATCH', `/v1/users/${user.id}`, { password: 'secret password 2' });
    const created = await ok('POST', '/v1/api-keys', { name: 'ci', role: 'viewer' });
    await ok('DELETE', `/v1/api-keys/${created.id}`);
    step();
    const session = (await api.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: 'ana@example.com', password: 'secret password 2' } })).json();
    await ok('POST', '/v1/auth/logout', undefined, session.token);
    const other = await ok('POST', '/v1/users', { email: 'bo@example.com', name: 'Bo', role: 'viewer' });
    await ok('DELETE', `/v1/users/${other.id}`);

    // Reads and refused changes leave nothing.
    await api.call(key, { method: 'GET', url: '/v1/agents' });
    await api.call(key, { method: 'POST', url: '/v1/agents', payload: { name: '' } });
    await api.call(key, { method: 'DELETE', url: '/v1/agents/agt_missing' });

    const entries = await allEntries(key);
    const summary = entries.reverse().map((e) => [e.action, e.actor, e.target_type, e.target_id]);
    expect(summary).toEqual([
      ['agent.create', actor, 'agent', agent.id],
      ['agent.update', actor, 'agent', agent.id],
      ['agent.update', actor, 'agent', agent.id],
      ['agent.rollback', actor, 'agent', agent.id],
      ['agent.delete', actor, 'agent', agent.id],
      ['user.create', actor, 'user', user.id],
      ['user.update', actor, 'user', user.id],
      ['key.create', actor, 'api_key', created.id],
      ['key.revoke', actor, 'api_key', created.id],
      ['auth.login', `user:${user.id}`, 'user', user.id],
      ['auth.logout', `user:${user.id}`, 'user', user.id],
      ['user.create', actor, 'user', other.id],
      ['user.delete', actor, 'user', other.id],
    ]);
    expect(entries[3].details).toEqual({ from_version: 3, to_version: 1, version: 4 });
    expect(entries[6].details).toEqual({ fields: ['password'] });
    expect(entries.every((e, i) => i === 0 || e.at >= entries[i - 1].at)).toBe(true);
    const text = JSON.stringify(entries);
    for (const secret of ['secret password', 'whsec-0123456789abcdef', created.key, session.token, 'scrypt$']) expect(text).not.toContain(secret);
  });

  it('is written to the tenant of the actor only', async () => {
    const { key: a } = await api.keyFor('acme');
    const { key: b } = await api.keyFor('globex');
    await api.call(a, { method: 'POST', url: '/v1/agents', payload: agentBody() });
    expect(await allEntries(a)).toHaveLength(1);
    expect(await allEntries(b)).toHaveLength(0);
  });
});
