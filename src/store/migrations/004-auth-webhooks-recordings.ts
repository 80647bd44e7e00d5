// What the API, the web app's logins, webhooks and recordings need on top of 001-003: passwords
// and login sessions, key roles and scopes, an agent's greeting and webhooks, a call's recording
// and analysis, and the delivery log of webhook attempts.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').addColumn('password_hash', 'text').execute();

  await db.schema
    .createTable('user_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('user_sessions_token_uq').unique().on('user_sessions').column('token_hash').execute();
  await db.schema.createIndex('user_sessions_user_idx').on('user_sessions').columns(['tenant_id', 'user_id']).execute();

  await db.schema.alterTable('api_keys').addColumn('role', 'text', (c) => c.notNull().defaultTo('admin')).execute();
  await db.schema.alterTable('api_keys').addColumn('scopes', 'text', (c) => c.notNull().defaultTo('[]')).execute();
  await db.schema.alterTable('api_keys').addColumn('last_used_at', 'text').execute();

  await db.schema.alterTable('agent_versions').addColumn('greeting', 'text').execute();
  await db.schema.alterTable('agent_versions').addColumn('webhooks', 'text', (c) => c.notNull().defaultTo('[]')).execute();

  await db.schema.alterTable('calls').addColumn('recording_path', 'text').execute();
  await db.schema.alterTable('calls').addColumn('analysis', 'text').execute();
  await db.schema.createIndex('calls_recording_idx').on('calls').columns(['started_at']).where(sql.ref('recording_path'), 'is not', null).execute();

  for (const column of ['agent_id', 'call_id']) await db.schema.alterTable('webhook_deliveries').addColumn(column, 'text').execute();
  for (const column of ['agent_version', 'webhook_index']) await db.schema.alterTable('webhook_deliveries').addColumn(column, 'integer').execute();
  await db.schema
    .createIndex('webhook_deliveries_tenant_created_idx')
    .on('webhook_deliveries')
    .columns(['tenant_id', 'created_at desc', 'id desc'])
    .execute();

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('delivery_id', 'text', (c) => c.notNull().references('webhook_deliveries.id'))
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('response_status', 'integer')
    .addColumn('error', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_attempts_delivery_idx').on('webhook_attempts').columns(['tenant_id', 'delivery_id', 'at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('webhook_attempts').execute();
  await db.schema.dropIndex('webhook_deliveries_tenant_created_idx').execute();
  for (const column of ['webhook_index', 'agent_version', 'call_id', 'agent_id']) await db.schema.alterTable('webhook_deliveries').dropColumn(column).execute();
  await db.schema.dropIndex('calls_recording_idx').execute();
  await db.schema.alterTable('calls').dropColumn('analysis').execute();
  await db.schema.alterTable('calls').dropColumn('recording_path').execute();
  await db.schema.alterTable('agent_versions').dropColumn('webhooks').execute();
  await db.schema.alterTable('agent_versions').dropColumn('greeting').execute();
  await db.schema.alterTable('api_keys').dropColumn('last_used_at').execute();
  await db.schema.alterTable('api_keys').dropColumn('scopes').execute();
  await db.schema.alterTable('api_keys').dropColumn('role').execute();
  await db.schema.dropTable('user_sessions').execute();
  await db.schema.alterTable('users').dropColumn('password_hash').execute();
}
