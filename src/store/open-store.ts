// Opens the configured backend: PostgreSQL for a postgres:// URL, otherwise a SQLite file in WAL
// mode. Migrations are not run here; call migrateToLatest (open-migrated-store does both).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { CamelCasePlugin, Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { StoreDialect } from './dialect-sql.js';
import { KyselyRepository } from './kysely-repository.js';
import { migrateToLatest } from './migrate.js';
import type { Repository } from './repository.js';
import type { Database } from './schema.js';

export type StoreConfig = {
  /** A postgres:// or postgresql:// URL selects PostgreSQL; anything else (or none) SQLite. */
  url?: string;
  /** The SQLite file; its directory is created. */
  sqlitePath: string;
  /** PostgreSQL schema to work in (set as search_path on every connection). Default: the server's. */
  pgSchema?: string;
  /** How long to wait for a PostgreSQL connection before failing the query. Default 5000 ms. */
  pgConnectTimeoutMs?: number;
  /** Pool size for PostgreSQL. Default 10. */
  pgPoolSize?: number;
  /**
   * How long a SQLite write waits for another process's lock. better-sqlite3 waits synchronously,
   * on the event loop, so keep it short: the write queue retries instead. Default 200 ms.
   */
  sqliteBusyTimeoutMs?: number;
};

export type Store = {
  db: Kysely<Database>;
  dialect: StoreDialect;
  repository: Repository;
  close(): Promise<void>;
};

export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(ql)?:\/\//i.test(url);
}

const SAFE_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function openPostgres(config: StoreConfig & { url: string }): Kysely<Database> {
  if (config.pgSchema !== undefined && !SAFE_IDENTIFIER.test(config.pgSchema)) {
    throw new Error(`invalid PostgreSQL schema name: ${config.pgSchema}`);
  }
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.pgPoolSize ?? 10,
    connectionTimeoutMillis: config.pgConnectTimeoutMs ?? 5000,
    ...(config.pgSchema ? { options: `-c search_path=${config.pgSchema}` } : {}),
  });
  // A connection that the server or network drops emits 'error' on the pool (when idle) and on
  // the client (when checked out, after failing its query); unhandled, either would crash the
  // process. The query already carries the error, the next one gets a fresh connection or fails,
  // and the write queue retries.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin()] });
}

function openSqlite(path: string, busyTimeoutMs: number): Kysely<Database> {
  mkdirSync(dirname(path), { recursive: true });
  const database = new SqliteDatabase(path);
  // WAL: readers (the API) never block the writer (the call recorder), and commits are cheap.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  return new Kysely<Database>({ dialect: new SqliteDialect({ database }), plugins: [new CamelCasePlugin()] });
}

export function openStore(config: StoreConfig): Store {
  const dialect: StoreDialect = isPostgresUrl(config.url) ? 'postgres' : 'sqlite';
  const db = isPostgresUrl(config.url) ? openPostgres({ ...config, url: config.url }) : openSqlite(config.sqlitePath, config.sqliteBusyTimeoutMs ?? 200);
  return { db, dialect, repository: new KyselyRepository(db, dialect), close: () => db.destroy() };
}

/** Opens the store and brings its schema to the latest migration. */
export async function openMigratedStore(config: StoreConfig): Promise<Store> {
  const store = openStore(config);
  try {
    await migrateToLatest(store.db);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
