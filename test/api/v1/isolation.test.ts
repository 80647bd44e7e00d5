// Tenant isolation over every /v1 route, on SQLite and PostgreSQL: tenant A's credentials on
// tenant B's resources get 404 (or only A's rows) and change nothing of B's. The matrix must have
// a row for every route the server registered.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../../src/store/migrate.js';
import { backendNames, createTestDatabase, type TestDatabase } from '../../store/backends.js';
import { startApi, v1Routes, type ApiHarness } from './harness.js';
import { buildIsolationMatrix, routeKey, seedTenant, snapshotTenant, type MatrixContext, type TenantData } from './isolation-matrix.js';

describe.each(backendNames)('tenant isolation on %s', (backend) => {
  let db: TestDatabase;
  let api: ApiHarness;
  let a: TenantData;
  let b: TenantData;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    const store = db.open();
    await migrateToLatest(store.db);
    api = await startApi({ store });
    a = await seedTenant(api.repository, 'tenant-a');
    b = await seedTenant(api.repository, 'tenant-b');
  });
  afterAll(async () => {
    await api?.close();
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
    };
    const before = await snapshotTenant(api.repository, b.tenantId);
    const res = await ctx.send(testCase.request(b, a), testCase.as);
    if (testCase.expect === 'not_found') {
      expect(res.statusCode, res.body).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    } else {
      await testCase.expect(res, ctx);
    }
    for (const id of [b.agentId, b.callId, b.userId, b.keyId, b.spareKeyId]) expect(res.body).not.toContain(id);
    expect(await snapshotTenant(api.repository, b.tenantId)).toEqual(before);
  });
});
