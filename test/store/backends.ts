// The two real backends the store suites run against: a SQLite file in a temp directory, and the
// PostgreSQL server on this machine in a schema of its own, dropped afterwards, so test files
// running in parallel and re-runs never see each other's rows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore } from '../../src/store/open-store.js';
import type { Store, StoreConfig } from '../../src/store/open-store.js';

export const postgresUrl = process.env.PARLEY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type BackendName = 'sqlite' | 'postgres';

export type TestDatabase = {
  /** Opens a store on this database; extra settings override the defaults (e.g. a proxied URL). */
  open(extra?: Partial<StoreConfig>): Store;
  config: StoreConfig;
  /** Closes every store opened here and removes the database. */
  cleanup(): Promise<void>;
};

export async function createTestDatabase(name: BackendName): Promise<TestDatabase> {
  const stores: Store[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'parley-store-'));
  let config: StoreConfig = { sqlitePath: join(dir, 'data', 'parley.db') };
  let dropSchema = async (): Promise<void> => undefined;
  if (name === 'postgres') {
    const schema = `parley_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    config = { ...config, url: postgresUrl, pgSchema: schema };
    dropSchema = async () => {
      const c = new pg.Client({ connectionString: postgresUrl });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    };
  }
  return {
    config,
    open(extra = {}) {
      const store = openStore({ ...config, ...extra });
      stores.push(store);
      return store;
    },
    async cleanup() {
      for (const s of stores.splice(0)) await s.close();
      await dropSchema();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const backendNames: BackendName[] = ['sqlite', 'postgres'];
