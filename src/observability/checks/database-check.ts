// Readiness of the store's database: `select 1` on the Kysely instance (SQLite or PostgreSQL).
import { sql, type Kysely } from 'kysely';
import { describeError, type ReadinessCheck } from '../readiness.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema: only `select 1` runs
export function databaseCheck(db: Kysely<any>, name = 'database'): ReadinessCheck {
  return {
    name,
    async check() {
      try {
        await sql`select 1`.execute(db);
        return { ok: true };
      } catch (err) {
        return { ok: false, reason: describeError(err) };
      }
    },
  };
}
