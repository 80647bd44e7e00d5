// Who may follow what: the calls:read scope, and a call only of the principal's own tenant. A call
// is the tenant's when its first retained bus entry says so, or (nothing retained yet) when the
// store says so; anything else is "not found", never "forbidden", so ids of other tenants leak nothing.
import type { FastifyRequest } from 'fastify';
import type { EventBus, FromId } from '../../bus/event-bus.js';
import type { CallBusEvent } from '../../bus/call-bus-event.js';
import { can, type Principal } from '../../auth/principal.js';
import { ApiError, forbidden, notFound, unauthorized } from '../api-error.js';

export type CallOwnership = {
  bus: EventBus<CallBusEvent>;
  /** Whether the call exists and belongs to the tenant (a store lookup). */
  callTenant?(tenantId: string, callId: string): Promise<boolean>;
};

export function readerOf(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (!principal) throw unauthorized();
  if (!can(principal, 'calls:read')) throw forbidden('following calls needs the calls:read scope');
  return principal;
}

export async function assertCallOfTenant(deps: CallOwnership, tenantId: string, callId: string): Promise<void> {
  const first = await fromBus(async () => {
    for await (const entry of deps.bus.replay({ callId }, '0')) return entry;
    return undefined;
  });
  if (first) {
    if (first.payload.tenantId === tenantId) return;
    throw notFound('call');
  }
  if (deps.callTenant && (await deps.callTenant(tenantId, callId))) return;
  throw notFound('call');
}

/** Runs a bus read; a bus that cannot be read (Redis down) is a 503 the client may retry. */
export async function fromBus<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    throw new ApiError(503, 'unavailable', `the event bus cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const ENTRY_ID = /^\d+(-\d+)?$/;

/**
 * Where to start: the Last-Event-ID header (a reconnecting EventSource sends it) over `?from=`,
 * over the default. '0' is everything retained, 'live' only what comes next, an id what came after it.
 */
export function startOf(request: FastifyRequest, fallback: FromId): FromId {
  const header = request.headers['last-event-id'];
  const query = (request.query as Record<string, unknown> | undefined)?.from;
  const [field, raw] = typeof header === 'string' && header !== '' ? ['Last-Event-ID', header] : ['from', query];
  if (raw === undefined) return fallback;
  if (typeof raw === 'string' && (raw === '0' || raw === 'live' || ENTRY_ID.test(raw))) return raw;
  throw new ApiError(400, 'invalid_request', `${field} must be '0', 'live' or an event id such as 1700000000000-0`, [
    { field, reason: `not an event id: ${JSON.stringify(raw)}` },
  ]);
}
