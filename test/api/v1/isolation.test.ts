// Tenant isolation over every /v1 route, on SQLite and PostgreSQL: tenant A's credentials on
// tenant B's resources get 404 (or only A's rows) and change nothing of B's. The matrix must have
// a row for every route the server registered, the webhook and live-follow routes main.ts adds included.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followRoutes } from '../../../src/api/follow/index.js';
import { callControlRoutes } from '../../../src/api/v1/call-control-routes.js';
import { AgentCatalog } from '../../../src/agents/agent-catalog.js';
import { CallControls } from '../../../src/calls/call-control.js';
import type { CallBusEvent } from '../../../src/bus/call-bus-event.js';
import { MemoryEventBus } from '../../../src/bus/memory-bus.js';
import { VirtualClock } from '../../../src/clock.js';
import { createLogger } from '../../../src/log.js';
import { migrateToLatest } from '../../../src/store/migrate.js';
import { WebhookDispatcher } from '../../../src/webhooks/webhook-dispatcher.js';
import { webhookRoutes } from '../../../src/webhooks/webhook-routes.js';
import { backendNames, createTestDatabase, type TestDatabase } from '../../store/backends.js';
import { startApi, v1Routes, type ApiHarness } from './harness.js';
import { buildIsolationMatrix, routeKey, seedTenant, snapshotTenant, type MatrixContext, type TenantData } from './isolation-matrix.js';

describe.each(backendNames)('tenant isolation on %s', (backend) => {
  let db: TestDatabase;
  let api: ApiHarness;
  let a: TenantData;
  let b: TenantData;
  let base: string;
  const bus = new MemoryEventBus<CallBusEvent>();
  const controls = new CallControls();
  const liveTenants = new Map<string, string>();
  const controlled: string[] = [];
  let catalog: AgentCatalog;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    const store = db.open();
    await migrateToLatest(store.db);
    const repository = store.repository;
    catalog = new AgentCatalog(repository, { refreshMs: 0, readTimeoutMs: 5000, now: () => Date.now() });
    // Built as main.ts builds them; the dispatcher is never started (replay only marks rows due).
    const dispatcher = new WebhookDispatcher({ repository, clock: new VirtualClock(), now: () => new Date(), log: createLogger('silent') });
    api = await startApi({
      store,
      extraRoutes: [
        webhookRoutes({ repository, dispatcher }),
        followRoutes({ bus, callTenant: async (tenantId, callId) => (await repository.getCallRow(tenantId, callId)) !== undefined }),
        callControlRoutes({
          dial: async (tenantId, body) => {
            const agent = await catalog.resolve(tenantId, body.agent);
            if (!agent) throw Object.assign(new Error('no such agent in this tenant'), { status: 404 });
            throw Object.assign(new Error('no phone line in this test'), { status: 503 });
          },
          live: (callId) => {
            const control = controls.get(callId);
            const tenantId = liveTenants.get(callId);
            return control && tenantId ? { tenantId, control } : undefined;
          },
        }),
      ],
    });
    base = await api.app.listen({ port: 0, host: '127.0.0.1' });
    a = await seedTenant(api.repository, 'tenant-a');
    b = await seedTenant(api.repository, 'tenant-b');
    // B's call is live in this process: every control of it would be recorded here.
    liveTenants.set(b.callId, b.tenantId);
    controls.register(b.callId, {
      hangup: async (reason) => void controlled.push(`hangup ${reason}`),
      transfer: async (target) => void controlled.push(`transfer ${target}`),
      sendDtmf: async (digits) => void controlled.push(`dtmf ${digits}`),
    });
  });
  afterAll(async () => {
    await api?.close();
    await bus.close();
    await db?.cleanup();
    for (const t of [a, b]) if (t) rmSync(t.recordingDir, { recursive: true, force: true });
  });

  const matrix = buildIsolationMatrix();

  it('has a row for every /v1 route and none for routes that do not exist', () => {
    const registered = v1Routes(api.routes).map((r) => routeKey(r.method, r.url)).sort();
    expect(matrix.map((c) => c.route).sort()).toEqual(registered);
  });

  it.each(matrix.map((c) => [c.route, c] as const))('%s', async (_route, testCase) => {
    const ctx: MatrixContext = {
      a,
      b,
      send: (request, as = 'key') => {
        const token = as === 'key' ? a.key : as === 'session' ? a.sessionToken : null;
        return api.call(token, request);
      },
      base,
      bus,
    };
    const before = await snapshotTenant(api.repository, b.tenantId);
    if ('live' in testCase) {
      await testCase.live(ctx);
    } else {
      const res = await ctx.send(testCase.request(b, a), testCase.as);
      if (testCase.expect === 'not_found') {
        expect(res.statusCode, res.body).toBe(404);
        expect(res.json().error.code).toBe('not_found');
      } else {
        await testCase.expect(res, ctx);
      }
      for (const id of [b.agentId, b.callId, b.userId, b.keyId, b.spareKeyId, b.deliveryId]) expect(res.body).not.toContain(id);
    }
    expect(await snapshotTenant(api.repository, b.tenantId)).toEqual(before);
    expect(controlled).toEqual([]);
  });
});
