// The Authenticator on a real store: API keys (scopes, roles, revocation, throttled last-use
// writes), session tokens (expiry on the given clock, deleted users), loopback detection, and the
// rule that given-but-bad credentials are an error, never anonymous.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/api/api-error.js';
import { API_KEY_PREFIX, generateApiKey, issueApiKey } from '../../src/auth/api-keys.js';
import { Authenticator } from '../../src/auth/authenticator.js';
import { isLoopbackAddress } from '../../src/auth/loopback.js';
import { hashToken } from '../../src/auth/token-hash.js';
import { startUserSession } from '../../src/auth/user-sessions.js';
import { openMigratedStore, type Store } from '../../src/store/open-store.js';

let store: Store;
let nowMs: number;
let auth: Authenticator;

beforeEach(async () => {
  store = await openMigratedStore({ sqlitePath: ':memory:' });
  await store.repository.createTenant({ id: 't1', name: 'T1' });
  nowMs = Date.parse('2026-03-01T00:00:00.000Z');
  auth = new Authenticator({ repository: store.repository, now: () => new Date(nowMs), anonymousLoopback: false, defaultTenantId: 't1' });
});
afterEach(() => store.close());

const rejects401 = async (promise: Promise<unknown>) => {
  const err = await promise.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  expect((err as ApiError).status).toBe(401);
};

describe('API keys', () => {
  it('are pk_ and 43 base64url characters, stored as their SHA-256 with a display prefix', () => {
    const { key, keyHash, prefix } = generateApiKey();
    expect(key).toMatch(/^pk_[A-Za-z0-9_-]{43}$/);
    expect(keyHash).toBe(hashToken(key));
    expect(keyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(prefix).toBe(key.slice(0, 11));
    expect(prefix.startsWith(API_KEY_PREFIX)).toBe(true);
    expect(generateApiKey().key).not.toBe(key);
  });

  it('authenticate as their tenant, role and scopes; revoked keys do not', async () => {
    const { apiKey, key } = await issueApiKey(store.repository, 't1', { name: 'k', role: 'member', scopes: ['agents:read', 'calls:read'] });
    expect((await store.repository.listApiKeys('t1'))[0].keyHash).not.toContain(key.slice(3));
    expect(await auth.authenticate({ authorization: `Bearer ${key}` })).toEqual({
      tenantId: 't1', role: 'member', actor: `key:${apiKey.id}`, kind: 'api_key', scopes: ['agents:read', 'calls:read'], keyId: apiKey.id,
    });
    expect((await auth.authenticate({ apiKey: key }))?.keyId).toBe(apiKey.id);
    const all = await issueApiKey(store.repository, 't1', { name: 'all', role: 'viewer' });
    expect((await auth.authenticate({ apiKey: all.key }))?.scopes).toBeNull();
    await store.repository.revokeApiKey('t1', apiKey.id);
    await rejects401(auth.authenticate({ authorization: `Bearer ${key}` }));
  });

  it('refuse scopes outside the role when issued', async () => {
    await expect(issueApiKey(store.repository, 't1', { name: 'k', role: 'viewer', scopes: ['agents:write'] })).rejects.toThrow('scopes outside role viewer');
  });

  it('record their last use at most once a minute, without making the request wait', async () => {
    const { apiKey, key } = await issueApiKey(store.repository, 't1', { name: 'k', role: 'admin' });
    const touches: string[] = [];
    let release = (): void => undefined;
    const repository = Object.create(store.repository) as typeof store.repository;
    // A write that never finishes until released: authenticating must not wait for it.
    repository.touchApiKey = (tenantId, keyId, at) => {
      touches.push(at);
      return new Promise<void>((resolve) => (release = resolve)).then(() => store.repository.touchApiKey(tenantId, keyId, at));
    };
    const throttled = new Authenticator({ repository, now: () => new Date(nowMs), anonymousLoopback: false, defaultTenantId: 't1' });
    expect((await throttled.authenticate({ apiKey: key }))?.keyId).toBe(apiKey.id);
    expect(touches).toEqual(['2026-03-01T00:00:00.000Z']);
    nowMs += 59_999;
    await throttled.authenticate({ apiKey: key });
    expect(touches).toHaveLength(1);
    nowMs += 1;
    await throttled.authenticate({ apiKey: key });
    expect(touches).toEqual(['2026-03-01T00:00:00.000Z', '2026-03-01T00:01:00.000Z']);
    release();
    await new Promise((resolve) => setImmediate(resolve));
  });

  it('never fail a request when recording the use fails', async () => {
    const { key } = await issueApiKey(store.repository, 't1', { name: 'k', role: 'admin' });
    const errors: unknown[] = [];
    const repository = Object.create(store.repository) as typeof store.repository;
    repository.touchApiKey = () => Promise.reject(new Error('disk full'));
    const a = new Authenticator({ repository, now: () => new Date(nowMs), anonymousLoopback: false, defaultTenantId: 't1', onTouchError: (e) => errors.push(e) });
    expect(await a.authenticate({ apiKey: key })).not.toBeNull();
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual([new Error('disk full')]);
  });
});

describe('session tokens', () => {
  it('authenticate the user until they expire, and not after the user is deleted', async () => {
    await store.repository.createUser('t1', { id: 'u1', email: 'a@example.com', name: 'A', role: 'viewer' });
    const session = await startUserSession(store.repository, { tenantId: 't1', userId: 'u1', now: new Date(nowMs), ttlMs: 1000 });
    expect(session.token).toMatch(/^ps_[A-Za-z0-9_-]{43}$/);
    expect(await auth.authenticate({ authorization: `bearer ${session.token}` })).toEqual({
      tenantId: 't1', role: 'viewer', actor: 'user:u1', kind: 'user', scopes: null, userId: 'u1', sessionId: session.sessionId,
    });
    expect((await auth.authenticate({ sessionToken: session.token }))?.userId).toBe('u1');
    nowMs += 1000;
    await rejects401(auth.authenticate({ sessionToken: session.token }));
    nowMs -= 1000;
    await store.repository.deleteUser('t1', 'u1');
    await rejects401(auth.authenticate({ sessionToken: session.token }));
  });
});

describe('anonymous access', () => {
  it('is the local admin only for loopback callers without credentials, when enabled', async () => {
    const open = new Authenticator({ repository: store.repository, now: () => new Date(nowMs), anonymousLoopback: true, defaultTenantId: 't1' });
    expect(await open.authenticate({ remoteAddress: '127.0.0.1' })).toEqual({ tenantId: 't1', role: 'admin', actor: 'local', kind: 'local', scopes: null });
    expect(await open.authenticate({ remoteAddress: '192.168.1.4' })).toBeNull();
    expect(await open.authenticate({})).toBeNull();
    expect(await auth.authenticate({ remoteAddress: '127.0.0.1' })).toBeNull();
    await rejects401(open.authenticate({ remoteAddress: '127.0.0.1', authorization: 'Bearer pk_wrong' }));
    await rejects401(open.authenticate({ remoteAddress: '127.0.0.1', apiKey: 'wrong' }));
    await rejects401(open.authenticate({ remoteAddress: '127.0.0.1', authorization: 'Token abc' }));
  });

  it('knows loopback addresses', () => {
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '::FFFF:127.1.2.3']) expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of [undefined, '', 'localhost', '10.0.0.1', '128.0.0.1', '::2', '::ffff:10.0.0.1', 'fe80::1', '1127.0.0.1']) expect(isLoopbackAddress(a), String(a)).toBe(false);
  });
});
