// The migrations, in code rather than read from a folder, so the build output and tests need no
// file-system lookup and the order is explicit. Names sort in the order they apply.
import type { Migration, MigrationProvider } from 'kysely';
import * as m001 from './001-tenants-agents.js';
import * as m002 from './002-calls.js';
import * as m003 from './003-webhooks-audit.js';
import * as m004 from './004-auth-webhooks-recordings.js';

export const migrations: Record<string, Migration> = {
  '001-tenants-agents': m001,
  '002-calls': m002,
  '003-webhooks-audit': m003,
  '004-auth-webhooks-recordings': m004,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
