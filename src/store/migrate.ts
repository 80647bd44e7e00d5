// Applies the schema migrations forwards to the latest or backwards to a named one (or to none).
import { Migrator, NO_MIGRATIONS, PostgresAdapter, sql } from 'kysely';
import type { Kysely, MigrationResultSet } from 'kysely';
import { migrationProvider, migrations } from './migrations/index.js';

export const migrationNames: readonly string[] = Object.keys(migrations);

async function migratorFor(db: Kysely<unknown>): Promise<Migrator> {
  // Without plugins: migrations name snake_case columns themselves, and kysely's own bookkeeping
  // tables must not be renamed by the camel-case mapping the repository uses.
  const plain = db.withoutPlugins();
  // In PostgreSQL the bookkeeping tables go in the connection's own schema: kysely otherwise finds
  // another schema's lock table (another instance, another test) and skips creating ours.
  let migrationTableSchema: string | undefined;
  if (plain.getExecutor().adapter instanceof PostgresAdapter) {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(plain);
    migrationTableSchema = rows[0]?.schema;
  }
  return new Migrator({ db: plain, provider: migrationProvider, ...(migrationTableSchema ? { migrationTableSchema } : {}) });
}

function check(result: MigrationResultSet): string[] {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    const cause = result.error instanceof Error ? result.error.message : String(result.error);
    throw new Error(`migration ${failed ?? '(setup)'} failed: ${cause}`, { cause: result.error });
  }
  return (result.results ?? []).map((r) => `${r.direction} ${r.migrationName}`);
}

/** Brings the schema to the newest migration; returns what ran ("Up 001-…"). */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<string[]> {
  return check(await (await migratorFor(db as Kysely<unknown>)).migrateToLatest());
}

/** Reverts migrations until `target` is the last applied one; `null` reverts them all. */
export async function migrateDownTo<DB>(db: Kysely<DB>, target: string | null): Promise<string[]> {
  if (target !== null && !migrationNames.includes(target)) throw new Error(`unknown migration ${target}`);
  return check(await (await migratorFor(db as Kysely<unknown>)).migrateTo(target ?? NO_MIGRATIONS));
}

/** The names of the migrations already applied, oldest first. */
export async function appliedMigrations<DB>(db: Kysely<DB>): Promise<string[]> {
  const all = await (await migratorFor(db as Kysely<unknown>)).getMigrations();
  return all.filter((m) => m.executedAt !== undefined).map((m) => m.name);
}
