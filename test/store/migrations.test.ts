import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appliedMigrations, migrateDownTo, migrateToLatest, migrationNames } from '../../src/store/migrate.js';
import type { Store } from '../../src/store/open-store.js';
import { backendNames, createTestDatabase } from './backends.js';
import type { TestDatabase } from './backends.js';
import { indexNames, tableNames } from './schema-introspection.js';

const allTables = [
  'agent_versions',
  'agents',
  'api_keys',
  'audit_log',
  'calls',
  'events',
  'llm_calls',
  'telemetry',
  'tenants',
  'tool_calls',
  'turns',
  'user_sessions',
  'users',
  'webhook_attempts',
  'webhook_deliveries',
];
const bookkeeping = ['kysely_migration', 'kysely_migration_lock'];
const queryIndexes = [
  'api_keys_hash_uq',
  'audit_log_tenant_at_idx',
  'calls_status_idx',
  'calls_tenant_agent_started_idx',
  'calls_tenant_started_idx',
  'events_call_seq_uq',
  'turns_call_idx',
  'webhook_deliveries_due_idx',
  'user_sessions_token_uq',
  'webhook_attempts_delivery_idx',
  'webhook_deliveries_tenant_created_idx',
];

describe.each(backendNames)('migrations on %s', (backend) => {
  let database: TestDatabase;
  let store: Store;

  beforeEach(async () => {
    database = await createTestDatabase(backend);
    store = database.open();
  });
  afterEach(() => database.cleanup());

  it('migrates up to the latest, creating every table and the indexes the API queries use', async () => {
    expect(await tableNames(store)).toEqual([]);
    const ran = await migrateToLatest(store.db);
    expect(ran).toEqual(migrationNames.map((n) => `Up ${n}`));
    expect(await tableNames(store)).toEqual([...allTables, ...bookkeeping].sort());
    const indexes = await indexNames(store);
    for (const index of queryIndexes) expect(indexes).toContain(index);
    expect(await appliedMigrations(store.db)).toEqual(migrationNames);
    expect(await migrateToLatest(store.db)).toEqual([]);
  });

  it('migrates down one step at a time, each step removing exactly its tables', async () => {
    await migrateToLatest(store.db);
    await migrateDownTo(store.db, '003-webhooks-audit');
    let tables = await tableNames(store);
    expect(tables).not.toContain('user_sessions');
    expect(tables).not.toContain('webhook_attempts');
    expect(tables).toContain('webhook_deliveries');
    expect(await indexNames(store)).not.toContain('webhook_deliveries_tenant_created_idx');
    // The columns 004 added are gone too: a 003-shaped row inserts.
    await store.db.insertInto('tenants').values({ id: 't', name: 'T', createdAt: 'x' }).execute();
    await expect(store.db.selectFrom('calls').select('recordingPath').execute()).rejects.toThrow();
    await expect(store.db.selectFrom('apiKeys').select('scopes').execute()).rejects.toThrow();

    await migrateDownTo(store.db, '002-calls');
    tables = await tableNames(store);
    expect(tables).not.toContain('webhook_deliveries');
    expect(tables).not.toContain('audit_log');
    expect(tables).toContain('events');
    expect(await indexNames(store)).not.toContain('webhook_deliveries_due_idx');

    await migrateDownTo(store.db, '001-tenants-agents');
    tables = await tableNames(store);
    for (const t of ['calls', 'turns', 'llm_calls', 'tool_calls', 'telemetry', 'events']) expect(tables).not.toContain(t);
    expect(tables).toContain('agent_versions');
    expect(await indexNames(store)).not.toContain('calls_tenant_started_idx');
  });

  it('migrates down to zero and back up again with the same result', async () => {
    await migrateToLatest(store.db);
    const tablesBefore = await tableNames(store);
    const indexesBefore = await indexNames(store);
    const down = await migrateDownTo(store.db, null);
    expect(down).toEqual([...migrationNames].reverse().map((n) => `Down ${n}`));
    expect((await tableNames(store)).filter((t) => !bookkeeping.includes(t))).toEqual([]);
    expect(await indexNames(store)).toEqual([]);
    expect(await appliedMigrations(store.db)).toEqual([]);
    await migrateToLatest(store.db);
    expect(await tableNames(store)).toEqual(tablesBefore);
    expect(await indexNames(store)).toEqual(indexesBefore);
  });

  it('refuses an unknown target', async () => {
    await expect(migrateDownTo(store.db, '999-nope')).rejects.toThrow(/unknown migration/);
  });
});
