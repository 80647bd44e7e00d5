// The Repository over kysely, one implementation for SQLite and PostgreSQL; the SQL that differs
// lives in dialect-sql.ts.
import type { Kysely, Selectable } from 'kysely';
import { decodeCursor, encodeCursor } from './cursor.js';
import { containsText } from './dialect-sql.js';
import type { StoreDialect } from './dialect-sql.js';
import { toJson } from './json-codec.js';
import type {
  Agent,
  AgentConfig,
  AgentVersion,
  ApiKey,
  AuditEntry,
  Call,
  CallDetail,
  CallEnd,
  CallEvent,
  CallFilter,
  CallTotals,
  LlmCall,
  NewCall,
  Page,
  PageRequest,
  Repository,
  Telemetry,
  Tenant,
  ToolCall,
  Turn,
  User,
  WebhookDelivery,
  WebhookUpdate,
} from './repository.js';
import {
  agentVersionFromRow,
  auditFromRow,
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
  webhookFromRow,
} from './row-mappers.js';
import type { AgentTable, Database } from './schema.js';

const MAX_PAGE = 200;

function pageLimit(page: PageRequest): number {
  return Math.max(1, Math.min(MAX_PAGE, Math.floor(page.limit)));
}

export class KyselyRepository implements Repository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: StoreDialect,
    private readonly now: () => string = () => new Date().toISOString(),
  ) {}

  async createTenant(input: { id: string; name: string }): Promise<Tenant> {
    const row = { id: input.id, name: input.name, createdAt: this.now() };
    await this.db.insertInto('tenants').values(row).execute();
    return row;
  }

  async getTenant(tenantId: string): Promise<Tenant | undefined> {
    return this.db.selectFrom('tenants').selectAll().where('id', '=', tenantId).executeTakeFirst();
  }

  async createUser(tenantId: string, input: { id: string; email: string; name: string; role: string }): Promise<User> {
    const row = { ...input, tenantId, createdAt: this.now() };
    await this.db.insertInto('users').values(row).execute();
    return row;
  }

  async getUser(tenantId: string, userId: string): Promise<User | undefined> {
    return this.db.selectFrom('users').selectAll().where('tenantId', '=', tenantId).where('id', '=', userId).executeTakeFirst();
  }

  async listUsers(tenantId: string): Promise<User[]> {
    return this.db.selectFrom('users').selectAll().where('tenantId', '=', tenantId).orderBy('email').execute();
  }

  async createApiKey(tenantId: string, input: { id: string; name: string; keyHash: string; prefix: string }): Promise<ApiKey> {
    const row = { ...input, tenantId, createdAt: this.now(), revokedAt: null };
    await this.db.insertInto('apiKeys').values(row).execute();
    return row;
  }

  async findApiKeyByHash(keyHash: string): Promise<ApiKey | undefined> {
    return this.db
      .selectFrom('apiKeys')
      .selectAll()
      .where('keyHash', '=', keyHash)
      .where('revokedAt', 'is', null)
      .executeTakeFirst();
  }

  async listApiKeys(tenantId: string): Promise<ApiKey[]> {
    return this.db.selectFrom('apiKeys').selectAll().where('tenantId', '=', tenantId).orderBy('createdAt').orderBy('id').execute();
  }

  async revokeApiKey(tenantId: string, keyId: string): Promise<boolean> {
    const r = await this.db
      .updateTable('apiKeys')
      .set({ revokedAt: this.now() })
      .where('tenantId', '=', tenantId)
      .where('id', '=', keyId)
      .where('revokedAt', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

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

  async insertWebhookDelivery(
    tenantId: string,
    input: Omit<WebhookDelivery, 'tenantId' | 'attempts' | 'lastError' | 'responseStatus' | 'deliveredAt'>,
  ): Promise<void> {
    await this.db
      .insertInto('webhookDeliveries')
      .values({ ...input, tenantId, payload: toJson(input.payload), lastError: null, responseStatus: null, deliveredAt: null })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async updateWebhookDelivery(tenantId: string, deliveryId: string, update: WebhookUpdate): Promise<boolean> {
    if (Object.keys(update).length === 0) return false;
    const r = await this.db
      .updateTable('webhookDeliveries')
      .set(update)
      .where('tenantId', '=', tenantId)
      .where('id', '=', deliveryId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async listDueWebhookDeliveries(tenantId: string, now: string, limit: number): Promise<WebhookDelivery[]> {
    const rows = await this.db
      .selectFrom('webhookDeliveries')
      .selectAll()
      .where('status', '=', 'pending')
      .where('nextAttemptAt', '<=', now)
      .where('tenantId', '=', tenantId)
      .orderBy('nextAttemptAt')
      .orderBy('id')
      .limit(pageLimit({ limit }))
      .execute();
    return rows.map(webhookFromRow);
  }

  async appendAudit(tenantId: string, entry: Omit<AuditEntry, 'tenantId'>): Promise<void> {
    await this.db
      .insertInto('auditLog')
      .values({ ...entry, tenantId, details: toJson(entry.details) })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async listAudit(tenantId: string, page: PageRequest): Promise<Page<AuditEntry>> {
    const limit = pageLimit(page);
    let q = this.db.selectFrom('auditLog').selectAll().where('tenantId', '=', tenantId);
    if (page.cursor) {
      const c = decodeCursor(page.cursor);
      q = q.where(({ or, and, eb }) => or([eb('at', '<', c.at), and([eb('at', '=', c.at), eb('id', '<', c.id)])]));
    }
    const rows = await q.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    const items = rows.slice(0, limit).map(auditFromRow);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor({ at: last.at, id: last.id }) : null };
  }
}
