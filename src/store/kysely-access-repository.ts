// Tenants, users, login sessions and API keys over kysely: the part of the Repository that
// authentication needs. The two lookups by hash (and the login lookup by email) are the only
// queries without a tenant: they are how a request's tenant becomes known.
import type { Kysely } from 'kysely';
import type { StoreDialect } from './dialect-sql.js';
import { toJson } from './json-codec.js';
import type { ApiKey, NewApiKey, NewUser, Tenant, User, UserCredentials, UserSession, UserUpdate } from './repository.js';
import { apiKeyFromRow, userFromRow } from './row-mappers.js';
import type { Database } from './schema.js';

export const MAX_PAGE = 200;

export class KyselyAccessRepository {
  constructor(
    protected readonly db: Kysely<Database>,
    protected readonly dialect: StoreDialect,
    protected readonly now: () => string = () => new Date().toISOString(),
  ) {}

  async createTenant(input: { id: string; name: string }): Promise<Tenant> {
    const row = { id: input.id, name: input.name, createdAt: this.now() };
    await this.db.insertInto('tenants').values(row).execute();
    return row;
  }

  async getTenant(tenantId: string): Promise<Tenant | undefined> {
    return this.db.selectFrom('tenants').selectAll().where('id', '=', tenantId).executeTakeFirst();
  }

  async listTenants(): Promise<Tenant[]> {
    return this.db.selectFrom('tenants').selectAll().orderBy('createdAt').orderBy('id').execute();
  }

  async createUser(tenantId: string, input: NewUser): Promise<User> {
    const row = { id: input.id, email: input.email, name: input.name, role: input.role, tenantId, createdAt: this.now(), passwordHash: input.passwordHash ?? null };
    await this.db.insertInto('users').values(row).execute();
    return userFromRow(row);
  }

  async getUser(tenantId: string, userId: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('tenantId', '=', tenantId).where('id', '=', userId).executeTakeFirst();
    return row && userFromRow(row);
  }

  async listUsers(tenantId: string): Promise<User[]> {
    const rows = await this.db.selectFrom('users').selectAll().where('tenantId', '=', tenantId).orderBy('email').execute();
    return rows.map(userFromRow);
  }

  async updateUser(tenantId: string, userId: string, update: UserUpdate): Promise<User | undefined> {
    const set = Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined));
    if (Object.keys(set).length > 0) {
      await this.db.updateTable('users').set(set).where('tenantId', '=', tenantId).where('id', '=', userId).execute();
    }
    return this.getUser(tenantId, userId);
  }

  /** Removes the user and their login sessions. */
  async deleteUser(tenantId: string, userId: string): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('userSessions').where('tenantId', '=', tenantId).where('userId', '=', userId).execute();
      const r = await tx.deleteFrom('users').where('tenantId', '=', tenantId).where('id', '=', userId).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }

  async findUsersByEmail(email: string): Promise<UserCredentials[]> {
    return this.db
      .selectFrom('users')
      .selectAll()
      .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
      .orderBy('tenantId')
      .execute();
  }

  async createUserSession(tenantId: string, input: { id: string; userId: string; tokenHash: string; expiresAt: string }): Promise<void> {
    await this.db
      .insertInto('userSessions')
      .values({ ...input, tenantId, createdAt: this.now(), revokedAt: null })
      .execute();
  }

  async findUserSessionByHash(tokenHash: string, now: string): Promise<UserSession | undefined> {
    const row = await this.db
      .selectFrom('userSessions')
      .selectAll()
      .where('tokenHash', '=', tokenHash)
      .where('revokedAt', 'is', null)
      .where('expiresAt', '>', now)
      .executeTakeFirst();
    if (!row) return undefined;
    const { tokenHash: _hash, ...session } = row;
    return session;
  }

  async revokeUserSession(tenantId: string, sessionId: string): Promise<boolean> {
    const r = await this.db
      .updateTable('userSessions')
      .set({ revokedAt: this.now() })
      .where('tenantId', '=', tenantId)
      .where('id', '=', sessionId)
      .where('revokedAt', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async createApiKey(tenantId: string, input: NewApiKey): Promise<ApiKey> {
    const row = {
      id: input.id,
      name: input.name,
      keyHash: input.keyHash,
      prefix: input.prefix,
      role: input.role ?? 'admin',
      scopes: toJson(input.scopes ?? []),
      tenantId,
      createdAt: this.now(),
      revokedAt: null,
      lastUsedAt: null,
    };
    await this.db.insertInto('apiKeys').values(row).execute();
    return apiKeyFromRow(row);
  }

  async findApiKeyByHash(keyHash: string): Promise<ApiKey | undefined> {
    const row = await this.db.selectFrom('apiKeys').selectAll().where('keyHash', '=', keyHash).where('revokedAt', 'is', null).executeTakeFirst();
    return row && apiKeyFromRow(row);
  }

  async touchApiKey(tenantId: string, keyId: string, at: string): Promise<void> {
    await this.db.updateTable('apiKeys').set({ lastUsedAt: at }).where('tenantId', '=', tenantId).where('id', '=', keyId).execute();
  }

  async listApiKeys(tenantId: string): Promise<ApiKey[]> {
    const rows = await this.db.selectFrom('apiKeys').selectAll().where('tenantId', '=', tenantId).orderBy('createdAt').orderBy('id').execute();
    return rows.map(apiKeyFromRow);
  }

  async revokeApiKey(tenantId: string, keyId: string): Promise<boolean> {
    const r = await this.db
      .updateTable('apiKeys')
      .set({ revokedAt: this.now() })
      .where('tenantId', '=', tenantId)
      .where('id', '=', keyId)
      .where('revokedAt', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
