// The Repository over kysely, one implementation for SQLite and PostgreSQL; the SQL that differs
// lives in dialect-sql.ts.
import { sql, type Selectable } from 'kysely';
import { decodeCursor, encodeCursor } from './cursor.js';
import { KyselyDeliveryRepository, pageLimit } from './kysely-delivery-repository.js';
import { containsText } from './dialect-sql.js';
import { toJson } from './json-codec.js';
import type {
  Agent,
  AgentConfig,
  AgentVersion,
  Call,
  CallDetail,
  CallEnd,
  CallEvent,
  CallFilter,
  CallSummary,
  CallTotals,
  LlmCall,
  NewCall,
  Page,
  PageRequest,
  Repository,
  SummaryFilter,
  Telemetry,
  ToolCall,
  Turn,
} from './repository.js';
import {
  agentVersionFromRow,
  callFromRow,
  configColumns,
  configFromRow,
  eventFromRow,
  llmCallFromRow,
  telemetryFromRow,
  toolCallFromRow,
  toolCallToRow,
  turnFromRow,
  turnToRow,
} from './row-mappers.js';
import type { AgentTable } from './schema.js';

// Agents and calls; tenants, keys, webhooks and audit come from the classes this one extends.
export class KyselyRepository extends KyselyDeliveryRepository implements Repository {
  async createAgent(tenantId: string, input: { id: string; name: string; config: AgentConfig }): Promise<Agent> {
    const at = this.now();
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('agents')
        .values({ id: input.id, tenantId, name: input.name, currentVersion: 1, createdAt: at, updatedAt: at, deletedAt: null })
        .execute();
      await tx
        .insertInto('agentVersions')
        .values({ tenantId, agentId: input.id, version: 1, createdAt: at, ...configColumns(input.config) })
        .execute();
    });
    return { id: input.id, tenantId, name: input.name, currentVersion: 1, createdAt: at, updatedAt: at, config: input.config };
  }

  async updateAgent(tenantId: string, agentId: string, input: { name?: string; config: AgentConfig }): Promise<Agent | undefined> {
    return this.addVersion(tenantId, agentId, input.config, input.name);
  }

  async rollbackAgent(tenantId: string, agentId: string, version: number): Promise<Agent | undefined> {
    const old = await this.getAgentVersion(tenantId, agentId, version);
    if (!old) return undefined;
    return this.addVersion(tenantId, agentId, old.config);
  }

  private async addVersion(tenantId: string, agentId: string, config: AgentConfig, name?: string): Promise<Agent | undefined> {
    const at = this.now();
    const updated = await this.db.transaction().execute(async (tx) => {
      const agent = await tx
        .selectFrom('agents')
        .selectAll()
        .where('tenantId', '=', tenantId)
        .where('id', '=', agentId)
        .where('deletedAt', 'is', null)
        .executeTakeFirst();
      if (!agent) return undefined;
      const version = Number(agent.currentVersion) + 1;
      // (agent_id, version) is the primary key: two concurrent updates cannot both take a number.
      await tx.insertInto('agentVersions').values({ tenantId, agentId, version, createdAt: at, ...configColumns(config) }).execute();
      await tx
        .updateTable('agents')
        .set({ currentVersion: version, updatedAt: at, name: name ?? agent.name })
        .where('tenantId', '=', tenantId)
        .where('id', '=', agentId)
        .execute();
      return { ...agent, currentVersion: version, updatedAt: at, name: name ?? agent.name };
    });
    return updated && this.agentWith(updated, config);
  }

  private agentWith(row: Selectable<AgentTable>, config: AgentConfig): Agent {
    return {
      id: row.id,
      tenantId: row.tenantId,
      name: row.name,
      currentVersion: Number(row.currentVersion),
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
      config,
    };
  }

  private agentsQuery(tenantId: string) {
    return this.db
      .selectFrom('agents')
      .innerJoin('agentVersions', (j) =>
        j.onRef('agentVersions.agentId', '=', 'agents.id').onRef('agentVersions.version', '=', 'agents.currentVersion'),
      )
      .selectAll('agentVersions')
      .select(['agents.id', 'agents.name', 'agents.currentVersion', 'agents.createdAt as agentCreatedAt', 'agents.updatedAt'])
      .where('agents.tenantId', '=', tenantId)
      .where('agents.deletedAt', 'is', null);
  }

  async getAgent(tenantId: string, agentId: string): Promise<Agent | undefined> {
    const row = await this.agentsQuery(tenantId).where('agents.id', '=', agentId).executeTakeFirst();
    return row && this.agentWith({ ...row, createdAt: row.agentCreatedAt, deletedAt: null }, configFromRow(row));
  }

  async listAgents(tenantId: string): Promise<Agent[]> {
    const rows = await this.agentsQuery(tenantId).orderBy('agents.name').orderBy('agents.id').execute();
    return rows.map((row) => this.agentWith({ ...row, createdAt: row.agentCreatedAt, deletedAt: null }, configFromRow(row)));
  }

  async getAgentVersion(tenantId: string, agentId: string, version: number): Promise<AgentVersion | undefined> {
    const row = await this.db
      .selectFrom('agentVersions')
      .selectAll()
      .where('tenantId', '=', tenantId)
      .where('agentId', '=', agentId)
      .where('version', '=', version)
      .executeTakeFirst();
    return row && agentVersionFromRow(row);
  }

  async listAgentVersions(tenantId: string, agentId: string): Promise<AgentVersion[]> {
    const rows = await this.db
      .selectFrom('agentVersions')
      .selectAll()
      .where('tenantId', '=', tenantId)
      .where('agentId', '=', agentId)
      .orderBy('version')
      .execute();
    return rows.map(agentVersionFromRow);
  }

  async deleteAgent(tenantId: string, agentId: string): Promise<boolean> {
    const r = await this.db
      .updateTable('agents')
      .set({ deletedAt: this.now() })
      .where('tenantId', '=', tenantId)
      .where('id', '=', agentId)
      .where('deletedAt', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async createCall(tenantId: string, input: NewCall): Promise<void> {
    await this.db
      .insertInto('calls')
      .values({
        id: input.id,
        tenantId,
        agentId: input.agentId,
        agentVersion: input.agentVersion,
        transport: input.transport,
        caller: input.caller ?? null,
        status: 'active',
        startedAt: input.startedAt,
        endedAt: null,
        endReason: null,
        durationMs: null,
        turnCount: 0,
        sttSeconds: 0,
        llmInputTokens: 0,
        llmOutputTokens: 0,
        ttsCharacters: 0,
        costUsd: 0,
        recordingPath: null,
        analysis: null,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async endCall(tenantId: string, callId: string, end: CallEnd): Promise<boolean> {
    const call = await this.db
      .selectFrom('calls')
      .select('startedAt')
      .where('tenantId', '=', tenantId)
      .where('id', '=', callId)
      .executeTakeFirst();
    if (!call) return false;
    const durationMs = Math.max(0, Date.parse(end.endedAt) - Date.parse(call.startedAt));
    const r = await this.db
      .updateTable('calls')
      .set({ endedAt: end.endedAt, status: end.status, endReason: end.endReason ?? null, durationMs })
      .where('tenantId', '=', tenantId)
      .where('id', '=', callId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async updateCallTotals(tenantId: string, callId: string, totals: CallTotals): Promise<boolean> {
    const r = await this.db
      .updateTable('calls')
      .set({ ...totals })
      .where('tenantId', '=', tenantId)
      .where('id', '=', callId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async listCalls(tenantId: string, filter: CallFilter, page: PageRequest): Promise<Page<Call>> {
    const limit = pageLimit(page);
    let q = this.db.selectFrom('calls').selectAll('calls').where('calls.tenantId', '=', tenantId);
    if (filter.agentId !== undefined) q = q.where('calls.agentId', '=', filter.agentId);
    if (filter.status !== undefined) q = q.where('calls.status', '=', filter.status);
    if (filter.from !== undefined) q = q.where('calls.startedAt', '>=', filter.from);
    if (filter.to !== undefined) q = q.where('calls.startedAt', '<', filter.to);
    const text = filter.text?.trim();
    if (text) {
      q = q.where(({ exists, selectFrom }) =>
        exists(
          selectFrom('turns')
            .select('turns.id')
            .where('turns.tenantId', '=', tenantId)
            .whereRef('turns.callId', '=', 'calls.id')
            .where(({ or, ref }) =>
              or([
                containsText(this.dialect, ref('turns.userTranscript'), text),
                containsText(this.dialect, ref('turns.agentResponse'), text),
              ]),
            ),
        ),
      );
    }
    if (page.cursor) {
      const c = decodeCursor(page.cursor);
      q = q.where(({ or, and, eb }) =>
        or([eb('calls.startedAt', '<', c.at), and([eb('calls.startedAt', '=', c.at), eb('calls.id', '<', c.id)])]),
      );
    }
    const rows = await q.orderBy('calls.startedAt', 'desc').orderBy('calls.id', 'desc').limit(limit + 1).execute();
    const items = rows.slice(0, limit).map(callFromRow);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor({ at: last.startedAt, id: last.id }) : null };
  }

  async getCall(tenantId: string, callId: string): Promise<CallDetail | undefined> {
    const row = await this.db.selectFrom('calls').selectAll().where('tenantId', '=', tenantId).where('id', '=', callId).executeTakeFirst();
    if (!row) return undefined;
    const [turns, events, llmCalls, toolCalls, telemetry] = await Promise.all([
      this.db.selectFrom('turns').selectAll().where('tenantId', '=', tenantId).where('callId', '=', callId).orderBy('idx').execute(),
      this.db.selectFrom('events').selectAll().where('tenantId', '=', tenantId).where('callId', '=', callId).orderBy('seq').execute(),
      this.db
        .selectFrom('llmCalls')
        .selectAll()
        .where('tenantId', '=', tenantId)
        .where('callId', '=', callId)
        .orderBy('startedAt')
        .orderBy('id')
        .execute(),
      this.db
        .selectFrom('toolCalls')
        .selectAll()
        .where('tenantId', '=', tenantId)
        .where('callId', '=', callId)
        .orderBy('startedAt')
        .orderBy('id')
        .execute(),
      this.db
        .selectFrom('telemetry')
        .selectAll()
        .where('tenantId', '=', tenantId)
        .where('callId', '=', callId)
        .orderBy('at')
        .orderBy('id')
        .execute(),
    ]);
    return {
      call: callFromRow(row),
      turns: turns.map(turnFromRow),
      events: events.map(eventFromRow),
      llmCalls: llmCalls.map(llmCallFromRow),
      toolCalls: toolCalls.map(toolCallFromRow),
      telemetry: telemetry.map(telemetryFromRow),
    };
  }

  // The inserts below are idempotent on the row id, and the composite foreign key to
  // calls(tenant_id, id) refuses a row that names another tenant's call.

  async insertTurn(tenantId: string, turn: Turn): Promise<void> {
    await this.db.insertInto('turns').values(turnToRow(tenantId, turn)).onConflict((oc) => oc.column('id').doNothing()).execute();
  }

  async insertLlmCall(tenantId: string, llmCall: LlmCall): Promise<void> {
    await this.db
      .insertInto('llmCalls')
      .values({ ...llmCall, tenantId })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async insertToolCall(tenantId: string, toolCall: ToolCall): Promise<void> {
    await this.db
      .insertInto('toolCalls')
      .values(toolCallToRow(tenantId, toolCall))
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async insertTelemetry(tenantId: string, t: Telemetry): Promise<void> {
    await this.db
      .insertInto('telemetry')
      .values({ ...t, tenantId, attrs: toJson(t.attrs) })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async insertEvent(tenantId: string, e: CallEvent): Promise<void> {
    await this.db
      .insertInto('events')
      .values({ ...e, tenantId, payload: toJson(e.payload) })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async getCallRow(tenantId: string, callId: string): Promise<Call | undefined> {
    const row = await this.db.selectFrom('calls').selectAll().where('tenantId', '=', tenantId).where('id', '=', callId).executeTakeFirst();
    return row && callFromRow(row);
  }

  async setCallRecording(tenantId: string, callId: string, path: string | null): Promise<boolean> {
    const r = await this.db.updateTable('calls').set({ recordingPath: path }).where('tenantId', '=', tenantId).where('id', '=', callId).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async setCallAnalysis(tenantId: string, callId: string, analysis: unknown): Promise<boolean> {
    const r = await this.db
      .updateTable('calls')
      .set({ analysis: toJson(analysis) })
      .where('tenantId', '=', tenantId)
      .where('id', '=', callId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async summarizeCalls(tenantId: string, filter: SummaryFilter): Promise<CallSummary[]> {
    // ISO timestamps: the first ten characters are the UTC day, in both backends.
    const day = sql<string>`substr(started_at, 1, 10)`;
    const count = (status: string) => sql<number>`sum(case when status = ${status} then 1 else 0 end)`;
    let q = this.db
      .selectFrom('calls')
      .select([
        day.as('day'),
        'agentId',
        (eb) => eb.fn.countAll<number>().as('calls'),
        count('completed').as('completed'),
        count('failed').as('failed'),
        count('abandoned').as('abandoned'),
        count('active').as('active'),
        sql<number>`coalesce(sum(duration_ms), 0)`.as('totalDurationMs'),
        sql<number>`coalesce(sum(turn_count), 0)`.as('turns'),
        sql<number>`coalesce(sum(cost_usd), 0)`.as('costUsd'),
      ])
      .where('tenantId', '=', tenantId);
    if (filter.agentId !== undefined) q = q.where('agentId', '=', filter.agentId);
    if (filter.from !== undefined) q = q.where('startedAt', '>=', filter.from);
    if (filter.to !== undefined) q = q.where('startedAt', '<', filter.to);
    const rows = await q.groupBy([day, 'agentId']).orderBy(day).orderBy('agentId').execute();
    return rows.map((r) => ({
      day: r.day,
      agentId: r.agentId,
      calls: Number(r.calls),
      completed: Number(r.completed),
      failed: Number(r.failed),
      abandoned: Number(r.abandoned),
      active: Number(r.active),
      totalDurationMs: Number(r.totalDurationMs),
      turns: Number(r.turns),
      costUsd: Number(r.costUsd),
    }));
  }

  async listExpiredRecordings(before: string, limit: number): Promise<{ tenantId: string; callId: string; recordingPath: string }[]> {
    const rows = await this.db
      .selectFrom('calls')
      .select(['tenantId', 'id', 'recordingPath'])
      .where('recordingPath', 'is not', null)
      .where('startedAt', '<', before)
      .orderBy('startedAt')
      .limit(pageLimit({ limit }))
      .execute();
    return rows.flatMap((r) => (r.recordingPath === null ? [] : [{ tenantId: r.tenantId, callId: r.id, recordingPath: r.recordingPath }]));
  }
}
