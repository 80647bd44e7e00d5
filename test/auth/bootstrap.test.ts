// First-run helpers: idempotent tenant and admin user creation, and a new tenant with an admin key
// that authenticates.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Authenticator } from '../../src/auth/authenticator.js';
import { createTenantWithAdminKey, ensureAdminUser, ensureTenant } from '../../src/auth/bootstrap.js';
import { verifyPassword } from '../../src/auth/passwords.js';
import { openMigratedStore, type Store } from '../../src/store/open-store.js';

let store: Store;
beforeEach(async () => (store = await openMigratedStore({ sqlitePath: ':memory:' })));
afterEach(() => store.close());

describe('bootstrap', () => {
  it('ensures a tenant once', async () => {
    const first = await ensureTenant(store.repository, { id: 'default', name: 'Default' });
    const again = await ensureTenant(store.repository, { id: 'default', name: 'Renamed' });
    expect(again).toEqual(first);
    expect(await store.repository.listTenants()).toHaveLength(1);
  });

  it('ensures a tenant once when several callers race (instances starting together)', async () => {
    const all = await Promise.all([1, 2, 3, 4].map(() => ensureTenant(store.repository, { id: 'raced', name: 'Raced' })));
    expect(new Set(all.map((t) => t.createdAt)).size).toBe(1);
    expect((await store.repository.listTenants()).map((t) => t.id)).toEqual(['raced']);
  });

  it('creates a tenant with an admin key that works', async () => {
    const { tenant, key, keyId } = await createTenantWithAdminKey(store.repository, 'Acme');
    expect(tenant.name).toBe('Acme');
    const auth = new Authenticator({ repository: store.repository, now: () => new Date(), anonymousLoopback: false, defaultTenantId: 'x' });
    expect(await auth.authenticate({ apiKey: key })).toMatchObject({ tenantId: tenant.id, role: 'admin', keyId });
  });

  it('creates the admin user once, with the password, and leaves an existing one alone', async () => {
    await ensureTenant(store.repository, { id: 't', name: 'T' });
    const first = await ensureAdminUser(store.repository, 't', 'Admin@Example.com', 'first password');
    expect(first.created).toBe(true);
    expect(first.user).toMatchObject({ email: 'admin@example.com', role: 'admin' });
    const again = await ensureAdminUser(store.repository, 't', 'admin@example.com', 'second password');
    expect(again).toEqual({ user: first.user, created: false });
    const [credentials] = await store.repository.findUsersByEmail('admin@example.com');
    expect(await verifyPassword('first password', credentials.passwordHash as string)).toBe(true);
    await expect(ensureAdminUser(store.repository, 't', 'b@example.com', 'short')).rejects.toThrow('at least 10');
  });
});
