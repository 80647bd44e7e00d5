// The audit log: every successful change appends who (the principal's actor), what
// (`agent.create` …), to which target, with details that never hold secrets or passwords.
// Route modules call `audit(request, …)` after the change succeeded.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { newId } from '../../auth/ids.js';
import type { Repository } from '../../store/repository.js';
import type { V1Log } from './v1-deps.js';

export type AuditWriter = { repository: Repository; now(): Date; log: V1Log };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on every /v1 request: where audit entries go. */
    auditWriter?: AuditWriter;
  }
}

/** Makes `audit()` work for requests of this instance and its children. */
export function installAuditWriter(app: FastifyInstance, writer: AuditWriter): void {
  app.decorateRequest('auditWriter', undefined);
  app.addHook('onRequest', async (request) => {
    request.auditWriter = writer;
  });
}

/**
 * Appends an audit entry for a change this request made. `as` names the tenant and actor when
 * there is no principal yet (logging in). A failed write is logged, not thrown: the change itself
 * has already happened and its answer must not say otherwise.
 */
export async function audit(
  request: FastifyRequest,
  action: string,
  targetType: string,
  targetId: string | null,
  details: Record<string, unknown> = {},
  as?: { tenantId: string; actor: string },
): Promise<void> {
  const writer = request.auditWriter;
  const tenantId = as?.tenantId ?? request.principal?.tenantId;
  const actor = as?.actor ?? request.principal?.actor;
  if (!writer || !tenantId || !actor) throw new Error('audit() called outside an authenticated /v1 request');
  try {
    await writer.repository.appendAudit(tenantId, { id: newId('aud'), at: writer.now().toISOString(), actor, action, targetType, targetId, details });
  } catch (err) {
    writer.log.error({ err, action, targetType, targetId }, 'audit entry not written');
  }
}
