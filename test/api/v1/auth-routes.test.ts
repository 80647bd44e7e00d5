// Authentication over HTTP: API keys (create, use, scopes, revoke), roles, logging in and out with
// session expiry on the test clock, and anonymous access from loopback.
import { afterEach, describe, expect, it } from 'vitest';
import { agentBody } from './fixtures.js';
import { startApi, type ApiHarness, type HarnessOptions } from './harness.js';

let api: ApiHarness;
afterEach(() => api?.close());

async function start(options: HarnessOptions = {}) {
  api = await startApi(options);
  return api;
}

const get = (token: string | null, url: string) => api.call(token, { method: 'GET', url });

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('condition not met');
}

describe('API keys', () => {
  it('creates a key shown once, which then authenticates, is listed without secrets, and stops working when revoked', async () => {
    await start();
    const { key: admin } = await api.keyFor('acme');
    const created = await api.call(admin, { method: 'POST', url: '/v1/api-keys', payload: { name: 'ci', role: 'member' } });
    expect(created.statusCode, created.body).toBe(201);
    const body = created.json();
    expect(body.key).toMatch(/^pk_[A-Za-z0-9_-]{43}$/);
    expect(body).toMatchObject({ name: 'ci', role: 'member', scopes: [], prefix: body.key.slice(0, 11), revoked_at: null, last_used_at: null });

    const me = await get(body.key, '/v1/me');
    expect(me.json()).toMatchObject({ kind: 'api_key', role: 'member', actor: `key:${body.id}`, key_id: body.id, tenant: { id: 'acme', name: 'Tenant acme' } });
    await waitFor(async () => (await api.repository.listApiKeys('acme')).find((k) => k.id === body.id)?.lastUsedAt !== null);

    const listed = await get(admin, '/v1/api-keys');
    expect(listed.body).not.toContain(body.key);
    expect(listed.body).not.toContain('key_hash');
    expect(listed.json().items.find((k: { id: string }) => k.id === body.id)).toMatchObject({ last_used_at: api.clock.now().toISOString() });

    expect((await api.call(admin, { method: 'DELETE', url: `/v1/api-keys/${body.id}` })).statusCode).toBe(204);
    const after = await get(body.key, '/v1/me');
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe('unauthorized');
    expect((await api.call(admin, { method: 'DELETE', url: `/v1/api-keys/${body.id}` })).statusCode).toBe(404);
  });

  it('accepts the key in x-api-key, and refuses malformed or unknown credentials', async () => {
    await start();
    const { key } = await api.keyFor('acme');
    expect((await api.app.inject({ method: 'GET', url: '/v1/me', headers: { 'x-api-key': key } })).statusCode).toBe(200);
    for (const authorization of ['Basic dXNlcjpwYXNz', `Bearer ${key}x`, 'Bearer ps_unknown', 'Bearer']) {
      const res = await api.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization } });
      expect(res.statusCode, authorization).toBe(401);
    }
    expect((await api.app.inject({ method: 'GET', url: '/v1/me', headers: { 'x-api-key': 'not-a-key' } })).statusCode).toBe(401);
    const none = await api.app.inject({ method: 'GET', url: '/v1/agents' });
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe('unauthorized');
  });

  it('limits a key to its scopes', async () => {
    await start();
    const { key } = await api.keyFor('acme', 'member', ['agents:read']);
    expect((await get(key, '/v1/agents')).statusCode).toBe(200);
    const write = await api.call(key, { method: 'POST', url: '/v1/agents', payload: agentBody() });
    expect(write.statusCode).toBe(403);
    expect(write.json()).toEqual({ error: { code: 'forbidden', message: 'this needs the agents:write scope' } });
    expect((await get(key, '/v1/calls')).statusCode).toBe(403);
    expect((await get(key, '/v1/me')).json().scopes).toEqual(['agents:read']);
  });

  it('gives each role its scopes: viewer reads, member writes, admin administers', async () => {
    await start();
    const viewer = (await api.keyFor('acme', 'viewer')).key;
    const member = (await api.keyFor('acme', 'member')).key;
    const admin = (await api.keyFor('acme', 'admin')).key;
    const status = async (token: string, method: 'GET' | 'POST', url: string, payload?: object) => (await api.call(token, { method, url, payload })).statusCode;

    expect(await status(viewer, 'GET', '/v1/agents')).toBe(200);
    expect(await status(viewer, 'GET', '/v1/calls')).toBe(200);
    expect(await status(viewer, 'POST', '/v1/agents', agentBody())).toBe(403);
    expect(await status(member, 'POST', '/v1/agents', agentBody())).toBe(201);
    for (const url of ['/v1/users', '/v1/api-keys', '/v1/audit']) {
      expect(await status(viewer, 'GET', url), url).toBe(403);
      expect(await status(member, 'GET', url), url).toBe(403);
      expect(await status(admin, 'GET', url), url).toBe(200);
    }
  });

  it('never hands out more than the creator holds', async () => {
    await start();
    const { key: keysOnly } = await api.keyFor('acme', 'admin', ['keys:admin']);
    const escalate = await api.call(keysOnly, { method: 'POST', url: '/v1/api-keys', payload: { name: 'x', role: 'admin' } });
    expect(escalate.statusCode).toBe(403);
    expect(escalate.json().error.message).toContain('cannot grant scopes you do not hold');
    const viewer = await api.call(keysOnly, { method: 'POST', url: '/v1/api-keys', payload: { name: 'x', role: 'viewer' } });
    expect(viewer.statusCode).toBe(403);
    const narrow = await api.call(keysOnly, { method: 'POST', url: '/v1/api-keys', payload: { name: 'x', role: 'admin', scopes: ['keys:admin'] } });
    expect(narrow.statusCode).toBe(201);

    const { key: admin } = await api.keyFor('acme');
    const outside = await api.call(admin, { method: 'POST', url: '/v1/api-keys', payload: { name: 'x', role: 'viewer', scopes: ['agents:read', 'agents:write'] } });
    expect(outside.statusCode).toBe(400);
    expect(outside.json().error.issues).toEqual([{ field: 'scopes.1', reason: 'agents:write is not a scope of role viewer' }]);
    const defaultRole = await api.call(admin, { method: 'POST', url: '/v1/api-keys', payload: { name: 'same as me' } });
    expect(defaultRole.json().role).toBe('admin');
  });
});

describe('users and sessions', () => {
  const password = 'correct horse battery';

  async function userIn(tenantId: string, email = 'ana@example.com', role = 'member', pw = password) {
    const { key } = await api.keyFor(tenantId);
    const res = await api.call(key, { method: 'POST', url: '/v1/users', payload: { email, name: 'Ana', role, password: pw } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  }
  const login = (payload: object) => api.app.inject({ method: 'POST', url: '/v1/auth/login', payload });

  it('logs in with a session token that works until it expires', async () => {
    await start({ sessionTtlMs: 60 * 60_000 });
    const user = await userIn('acme');
    const res = await login({ email: 'ANA@example.com', password });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ token_type: 'Bearer', tenant_id: 'acme', user: { id: user.id, email: 'ana@example.com', role: 'member' } });
    expect(body.token).toMatch(/^ps_/);
    expect(body.expires_at).toBe(new Date(api.clock.now().getTime() + 60 * 60_000).toISOString());
    expect(JSON.stringify(await api.repository.listUsers('acme'))).not.toContain('scrypt');

    const me = await get(body.token, '/v1/me');
    expect(me.json()).toMatchObject({ kind: 'user', role: 'member', actor: `user:${user.id}`, user: { id: user.id } });
    api.clock.advance(60 * 60_000 - 1);
    expect((await get(body.token, '/v1/agents')).statusCode).toBe(200);
    api.clock.advance(1);
    const expired = await get(body.token, '/v1/agents');
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error.message).toBe('invalid or expired session');
  });

  it('lasts seven days by default and ends at logout', async () => {
    await start();
    await userIn('acme');
    const { token, expires_at } = (await login({ email: 'ana@example.com', password })).json();
    expect(Date.parse(expires_at) - api.clock.now().getTime()).toBe(7 * 24 * 60 * 60_000);
    const out = await api.call(token, { method: 'POST', url: '/v1/auth/logout' });
    expect(out.statusCode).toBe(204);
    expect((await get(token, '/v1/me')).statusCode).toBe(401);
    const { key } = await api.keyFor('acme');
    const keyLogout = await api.call(key, { method: 'POST', url: '/v1/auth/logout' });
    expect(keyLogout.statusCode).toBe(400);
    expect(keyLogout.json().error.code).toBe('not_a_session');
  });

  it('answers a wrong password and an unknown e-mail alike', async () => {
    await start();
    await userIn('acme');
    const wrong = await login({ email: 'ana@example.com', password: 'wrong password!' });
    const unknown = await login({ email: 'bob@example.com', password });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.body).toBe(unknown.body);
    expect(wrong.json().error.code).toBe('invalid_credentials');
  });

  it('asks for the tenant when the e-mail and password match in several', async () => {
    await start();
    await userIn('acme');
    await userIn('globex');
    await userIn('initech', 'ana@example.com', 'member', 'another password');
    const ambiguous = await login({ email: 'ana@example.com', password });
    expect(ambiguous.statusCode).toBe(409);
    expect(ambiguous.json().error.code).toBe('ambiguous_tenant');
    const chosen = await login({ email: 'ana@example.com', password, tenant_id: 'globex' });
    expect(chosen.statusCode).toBe(200);
    expect(chosen.json().tenant_id).toBe('globex');
    const byPassword = await login({ email: 'ana@example.com', password: 'another password' });
    expect(byPassword.json().tenant_id).toBe('initech');
    expect((await login({ email: 'ana@example.com', password, tenant_id: 'initech' })).statusCode).toBe(401);
  });

  it('manages users: change role and password, delete, and keep the last admin', async () => {
    await start();
    const { key } = await api.keyFor('acme');
    const admin = await userIn('acme', 'boss@example.com', 'admin');
    const ana = await userIn('acme');
    const short = await api.call(key, { method: 'POST', url: '/v1/users', payload: { email: 'x@example.com', name: 'X', role: 'viewer', password: 'short' } });
    expect(short.statusCode).toBe(400);
    expect(short.json().error.issues).toEqual([{ field: 'password', reason: 'must be at least 10 characters' }]);
    const dup = await api.call(key, { method: 'POST', url: '/v1/users', payload: { email: 'Ana@Example.com', name: 'A2', role: 'viewer' } });
    expect(dup.statusCode).toBe(409);

    const { token } = (await login({ email: 'ana@example.com', password })).json();
    const patched = await api.call(key, { method: 'PATCH', url: `/v1/users/${ana.id}`, payload: { role: 'viewer', password: 'a brand new password' } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().role).toBe('viewer');
    expect((await get(token, '/v1/me')).json().role).toBe('viewer');
    expect((await login({ email: 'ana@example.com', password })).statusCode).toBe(401);
    expect((await login({ email: 'ana@example.com', password: 'a brand new password' })).statusCode).toBe(200);

    const demote = await api.call(key, { method: 'PATCH', url: `/v1/users/${admin.id}`, payload: { role: 'member' } });
    expect(demote.statusCode).toBe(409);
    expect(demote.json().error.code).toBe('last_admin');
    expect((await api.call(key, { method: 'DELETE', url: `/v1/users/${admin.id}` })).statusCode).toBe(409);

    expect((await api.call(key, { method: 'DELETE', url: `/v1/users/${ana.id}` })).statusCode).toBe(204);
    expect((await get(token, '/v1/me')).statusCode).toBe(401);
    expect((await get(key, '/v1/users')).json().items.map((u: { email: string }) => u.email)).toEqual(['boss@example.com']);
  });
});

describe('anonymous loopback', () => {
  it('is the local admin of the default tenant when enabled and the caller is on this machine', async () => {
    await start({ anonymousLoopback: true, defaultTenantId: 'default' });
    await api.repository.createTenant({ id: 'default', name: 'Default' });
    const me = await api.app.inject({ method: 'GET', url: '/v1/me', remoteAddress: '127.0.0.1' });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ kind: 'local', role: 'admin', actor: 'local', tenant: { id: 'default', name: 'Default' } });
    expect((await api.app.inject({ method: 'GET', url: '/v1/agents', remoteAddress: '::1' })).statusCode).toBe(200);
    expect((await api.app.inject({ method: 'GET', url: '/v1/agents', remoteAddress: '::ffff:127.0.0.1' })).statusCode).toBe(200);
    expect((await api.app.inject({ method: 'GET', url: '/v1/agents', remoteAddress: '10.1.2.3' })).statusCode).toBe(401);
    // Forwarded headers do not make a remote caller local.
    expect((await api.app.inject({ method: 'GET', url: '/v1/agents', remoteAddress: '10.1.2.3', headers: { 'x-forwarded-for': '127.0.0.1' } })).statusCode).toBe(401);
    // Bad credentials are refused even from loopback.
    expect((await api.app.inject({ method: 'GET', url: '/v1/agents', remoteAddress: '127.0.0.1', headers: { authorization: 'Bearer pk_nope' } })).statusCode).toBe(401);
  });

  it('is off unless enabled', async () => {
    await start({ anonymousLoopback: false });
    expect((await api.app.inject({ method: 'GET', url: '/v1/agents', remoteAddress: '127.0.0.1' })).statusCode).toBe(401);
  });
});
