// Calls and everything recorded during one: turns, model and tool calls, telemetry, the timeline.
// Every child row carries tenant_id and a composite foreign key to calls(tenant_id, id).
import type { CreateTableBuilder, Kysely } from 'kysely';

function callChild<T extends string>(builder: CreateTableBuilder<T>, table: string): CreateTableBuilder<T> {
  return builder
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('call_id', 'text', (c) => c.notNull())
    .addForeignKeyConstraint(`${table}_call_fk`, ['tenant_id', 'call_id'], 'calls', ['tenant_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    );
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('calls')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('agent_version', 'integer', (c) => c.notNull())
    .addColumn('transport', 'text', (c) => c.notNull())
    .addColumn('caller', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .addColumn('end_reason', 'text')
    .addColumn('duration_ms', 'integer')
    .addColumn('turn_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('stt_seconds', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('llm_input_tokens', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('llm_output_tokens', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('tts_characters', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cost_usd', 'double precision', (c) => c.notNull().defaultTo(0))
    .addUniqueConstraint('calls_tenant_id_uq', ['tenant_id', 'id'])
    .addForeignKeyConstraint('calls_agent_version_fk', ['agent_id', 'agent_version'], 'agent_versions', [
      'agent_id',
      'version',
    ])
    .addForeignKeyConstraint('calls_agent_fk', ['tenant_id', 'agent_id'], 'agents', ['tenant_id', 'id'])
    .execute();
  // The call list: newest first per tenant, id breaks ties so cursors are stable.
  await db.schema.createIndex('calls_tenant_started_idx').on('calls').columns(['tenant_id', 'started_at desc', 'id desc']).execute();
  await db.schema
    .createIndex('calls_tenant_agent_started_idx')
    .on('calls')
    .columns(['tenant_id', 'agent_id', 'started_at desc', 'id desc'])
    .execute();
  await db.schema.createIndex('calls_status_idx').on('calls').columns(['status', 'tenant_id']).execute();

  await callChild(db.schema.createTable('turns'), 'turns')
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('user_transcript', 'text', (c) => c.notNull())
    .addColumn('agent_response', 'text', (c) => c.notNull())
    .addColumn('heard_text', 'text', (c) => c.notNull())
    .addColumn('state_history', 'text', (c) => c.notNull())
    .addColumn('was_interrupted', 'integer', (c) => c.notNull())
    .addColumn('latency', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .execute();
  await db.schema.createIndex('turns_call_idx').on('turns').columns(['call_id', 'idx']).execute();

  await callChild(db.schema.createTable('llm_calls'), 'llm_calls')
    .addColumn('turn_id', 'text')
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('input_tokens', 'integer', (c) => c.notNull())
    .addColumn('output_tokens', 'integer', (c) => c.notNull())
    .addColumn('latency_ms', 'integer', (c) => c.notNull())
    .addColumn('first_token_ms', 'integer')
    .addColumn('error', 'text')
    .addColumn('started_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('llm_calls_call_idx').on('llm_calls').columns(['call_id', 'started_at']).execute();

  await callChild(db.schema.createTable('tool_calls'), 'tool_calls')
    .addColumn('turn_id', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('arguments', 'text', (c) => c.notNull())
    .addColumn('result', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('latency_ms', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('tool_calls_call_idx').on('tool_calls').columns(['call_id', 'started_at']).execute();

  await callChild(db.schema.createTable('telemetry'), 'telemetry')
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('attrs', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('telemetry_call_idx').on('telemetry').columns(['call_id', 'at']).execute();

  await callChild(db.schema.createTable('events'), 'events')
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('events_call_seq_uq').unique().on('events').columns(['call_id', 'seq']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['events', 'telemetry', 'tool_calls', 'llm_calls', 'turns', 'calls']) {
    await db.schema.dropTable(table).execute();
  }
}
