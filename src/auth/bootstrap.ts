// First-run helpers: make sure a tenant exists, create a tenant with an admin API key, and make
// sure an admin user with a password exists. Each is safe to run at every start.
import type { Repository, Tenant, User } from '../store/repository.js';
import { issueApiKey } from './api-keys.js';
import { newId } from './ids.js';
import { hashPassword } from './passwords.js';

/** Safe when several instances start at once: the one that loses the insert reads the winner's row. */
export async function ensureTenant(repository: Repository, input: { id: string; name: string }): Promise<Tenant> {
  const existing = await repository.getTenant(input.id);
  if (existing) return existing;
  try {
    return await repository.createTenant(input);
  } catch (err) {
    const created = await repository.getTenant(input.id);
    if (created) return created;
    throw err;
  }
}

/** A new tenant and an admin key for it; the plaintext key is returned here only. */
export async function createTenantWithAdminKey(repository: Repository, name: string): Promise<{ tenant: Tenant; key: string; keyId: string }> {
  const tenant = await repository.createTenant({ id: newId('ten'), name });
  const { apiKey, key } = await issueApiKey(repository, tenant.id, { name: 'bootstrap admin key', role: 'admin' });
  return { tenant, key, keyId: apiKey.id };
}

/**
 * The tenant's user with this e-mail (case-insensitive), created as an admin with this password
 * when there is none. An existing user is returned unchanged (its password is not reset).
 */
export async function ensureAdminUser(
  repository: Repository,
  tenantId: string,
  email: string,
  password: string,
): Promise<{ user: User; created: boolean }> {
  const wanted = email.trim().toLowerCase();
  const existing = (await repository.listUsers(tenantId)).find((u) => u.email.toLowerCase() === wanted);
  if (existing) return { user: existing, created: false };
  const user = await repository.createUser(tenantId, {
    id: newId('usr'),
    email: wanted,
    name: wanted.split('@')[0] || wanted,
    role: 'admin',
    passwordHash: await hashPassword(password),
  });
  return { user, created: true };
}
