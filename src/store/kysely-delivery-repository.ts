// Webhook deliveries (with their attempt log) and the audit trail over kysely. Built on the
// access part; the agents and calls part builds on this one (kysely-repository.ts).
import { decodeCursor, encodeCursor } from './cursor.js';
import { KyselyAccessRepository, MAX_PAGE } from './kysely-access-repository.js';
import { toJson } from './json-codec.js';
import type { AuditEntry, NewWebhookDelivery, Page, PageRequest, WebhookAttempt, WebhookDelivery, WebhookFilter, WebhookUpdate } from './repository.js';
import { auditFromRow, webhookAttemptFromRow, webhookFromRow } from './row-mappers.js';

export function pageLimit(page: PageRequest): number {
  return Math.max(1, Math.min(MAX_PAGE, Math.floor(page.limit)));
}

export class KyselyDeliveryRepository extends KyselyAccessRepository {
  async insertWebhookDelivery(tenantId: string, input: NewWebhookDelivery): Promise<void> {
    await this.db
      .insertInto('webhookDeliveries')
      .values({
        agentId: null,
        agentVersion: null,
        webhookIndex: null,
        callId: null,
        ...input,
        tenantId,
        payload: toJson(input.payload),
        lastError: null,
        responseStatus: null,
        deliveredAt: null,
      })
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

  private dueQuery(now: string, limit: number) {
    return this.db
      .selectFrom('webhookDeliveries')
      .selectAll()
      .where('status', '=', 'pending')
      .where('nextAttemptAt', '<=', now)
      .orderBy('nextAttemptAt')
      .orderBy('id')
      .limit(pageLimit({ limit }));
  }

  async listDueWebhookDeliveries(tenantId: string, now: string, limit: number): Promise<WebhookDelivery[]> {
    const rows = await this.dueQuery(now, limit).where('tenantId', '=', tenantId).execute();
    return rows.map(webhookFromRow);
  }

  async listAllDueWebhookDeliveries(now: string, limit: number): Promise<WebhookDelivery[]> {
    const rows = await this.dueQuery(now, limit).execute();
    return rows.map(webhookFromRow);
  }

  async countWebhookDeliveries(): Promise<{ pending: number; failed: number }> {
    const rows = await this.db
      .selectFrom('webhookDeliveries')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('status', 'in', ['pending', 'failed'])
      .groupBy('status')
      .execute();
    const count = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
    return { pending: count('pending'), failed: count('failed') };
  }

  async getWebhookDelivery(tenantId: string, deliveryId: string): Promise<WebhookDelivery | undefined> {
    const row = await this.db.selectFrom('webhookDeliveries').selectAll().where('tenantId', '=', tenantId).where('id', '=', deliveryId).executeTakeFirst();
    return row && webhookFromRow(row);
  }

  async listWebhookDeliveries(tenantId: string, filter: WebhookFilter, page: PageRequest): Promise<Page<WebhookDelivery>> {
    const limit = pageLimit(page);
    let q = this.db.selectFrom('webhookDeliveries').selectAll().where('tenantId', '=', tenantId);
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.eventType !== undefined) q = q.where('eventType', '=', filter.eventType);
    if (filter.callId !== undefined) q = q.where('callId', '=', filter.callId);
    if (page.cursor) {
      const c = decodeCursor(page.cursor);
      q = q.where(({ or, and, eb }) => or([eb('createdAt', '<', c.at), and([eb('createdAt', '=', c.at), eb('id', '<', c.id)])]));
    }
    const rows = await q.orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    const items = rows.slice(0, limit).map(webhookFromRow);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null };
  }

  async insertWebhookAttempt(tenantId: string, attempt: WebhookAttempt): Promise<void> {
    await this.db
      .insertInto('webhookAttempts')
      .values({ ...attempt, tenantId })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async listWebhookAttempts(tenantId: string, deliveryId: string): Promise<WebhookAttempt[]> {
    const rows = await this.db
      .selectFrom('webhookAttempts')
      .selectAll()
      .where('tenantId', '=', tenantId)
      .where('deliveryId', '=', deliveryId)
      .orderBy('at')
      .orderBy('id')
      .execute();
    return rows.map(webhookAttemptFromRow);
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
