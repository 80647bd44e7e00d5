// What tables and indexes exist, read from the catalog of each backend.
import { sql } from 'kysely';
import type { Store } from '../../src/store/open-store.js';

export async function tableNames(store: Store): Promise<string[]> {
  const db = store.db.withoutPlugins();
  const q =
    store.dialect === 'sqlite'
      ? sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`
      : sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema()`;
  return (await q.execute(db)).rows.map((r) => r.name).sort();
}

export async function indexNames(store: Store): Promise<string[]> {
  const db = store.db.withoutPlugins();
  const q =
    store.dialect === 'sqlite'
      ? sql<{ name: string }>`select name from sqlite_master where type = 'index' and name not like 'sqlite_%'`
      : sql<{ name: string }>`select indexname as name from pg_indexes where schemaname = current_schema() and indexname not like '%_pkey'`;
  return (await q.execute(db)).rows.map((r) => r.name).sort();
}
