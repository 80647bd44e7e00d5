import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { appliedMigrations, migrationNames } from '../../src/store/migrate.js';
import { isPostgresUrl, openMigratedStore, openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/open-store.js';
import { createTestDatabase } from './backends.js';

describe('openStore', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('chooses PostgreSQL only for postgres URLs', () => {
    expect(isPostgresUrl('postgres://u@127.0.0.1:5432/test')).toBe(true);
    expect(isPostgresUrl('postgresql://u@127.0.0.1/test')).toBe(true);
    expect(isPostgresUrl('./data/parley.db')).toBe(false);
    expect(isPostgresUrl(undefined)).toBe(false);
  });

  it('opens SQLite in WAL mode with foreign keys on, creating the directory, and migrates it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-open-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'nested', 'data', 'parley.db');
    const store: Store = await openMigratedStore({ sqlitePath: path });
    cleanups.push(() => store.close());
    expect(store.dialect).toBe('sqlite');
    expect(existsSync(path)).toBe(true);
    const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db.withoutPlugins());
    expect(mode.rows[0].journal_mode).toBe('wal');
    const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(store.db.withoutPlugins());
    expect(fk.rows[0].foreign_keys).toBe(1);
    expect(await appliedMigrations(store.db)).toEqual(migrationNames);
  });

  it('opens PostgreSQL in the configured schema', async () => {
    const database = await createTestDatabase('postgres');
    cleanups.push(() => database.cleanup());
    const store = await openMigratedStore(database.config);
    cleanups.push(() => store.close());
    expect(store.dialect).toBe('postgres');
    const r = await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db.withoutPlugins());
    expect(r.rows[0].schema).toBe(database.config.pgSchema);
    expect(await appliedMigrations(store.db)).toEqual(migrationNames);
  });

  it('refuses a schema name that is not a plain identifier', () => {
    expect(() => openStore({ url: 'postgres://u@127.0.0.1/test', sqlitePath: 'unused', pgSchema: 'x; drop' })).toThrow(/invalid/);
  });
});
