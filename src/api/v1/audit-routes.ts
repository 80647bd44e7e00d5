// /v1/audit: the tenant's audit log, newest first, in cursor pages.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AuditEntry } from '../../store/repository.js';
import { auditDoc, commonErrors, pageOf } from './doc-schemas.js';
import { snakeRow } from './json-case.js';
import { cursorParam, limitParam } from './query-params.js';
import { defineRoute } from './route-spec.js';
import type { V1Deps } from './v1-deps.js';

export const auditToJson = (entry: AuditEntry): Record<string, unknown> => snakeRow(entry, ['tenantId']);

export function registerAuditRoutes(v1: FastifyInstance, deps: V1Deps): void {
  defineRoute(v1, {
    method: 'GET',
    url: '/audit',
    summary: 'Read the audit log, newest first',
    tags: ['audit'],
    access: 'audit:read',
    query: z.strictObject({ limit: limitParam(200, 50), cursor: cursorParam.optional() }),
    responses: { 200: { description: 'a page of entries', schema: pageOf(auditDoc) }, ...commonErrors },
    async handler({ query, principal }) {
      const page = await deps.repository.listAudit(principal.tenantId, { limit: query.limit, cursor: query.cursor ?? null });
      return { items: page.items.map(auditToJson), next_cursor: page.nextCursor };
    },
  });
}
