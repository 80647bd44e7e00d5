// The repository methods the API, logins, webhooks and recordings use (migration 004), on both backends.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/store/migrate.js';
import type { Repository } from '../../src/store/repository.js';
import { backendNames, createTestDatabase } from './backends.js';
import type { TestDatabase } from './backends.js';
import { agentConfig, iso, seedTenant, turn } from './fixtures.js';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

describe.each(backendNames)('repository (auth, webhooks, recordings) on %s', (backend) => {
  let database: TestDatabase;
  let repo: Repository;

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    const store = database.open();
    await migrateToLatest(store.db);
    repo = store.repository;
  });
  afterAll(() => database.cleanup());

  it('keeps password hashes out of user reads, finds logins by email across tenants, updates and deletes users', async () => {
    await repo.createTenant({ id: 'pa', name: 'A' });
    await repo.createTenant({ id: 'pb', name: 'B' });
    await repo.createUser('pa', { id: 'pa-u', email: 'Ann@Example.test', name: 'Ann', role: 'admin', passwordHash: 'scrypt$hash-a' });
    await repo.createUser('pb', { id: 'pb-u', email: 'ann@example.test', name: 'Ann B', role: 'viewer', passwordHash: 'scrypt$hash-b' });
    expect(JSON.stringify(await repo.getUser('pa', 'pa-u'))).not.toContain('hash-a');
    expect(JSON.stringify(await repo.listUsers('pa'))).not.toContain('hash-a');
    const found = await repo.findUsersByEmail('ANN@example.test');
    expect(found.map((u) => [u.tenantId, u.passwordHash])).toEqual([
      ['pa', 'scrypt$hash-a'],
      ['pb', 'scrypt$hash-b'],
    ]);
    expect(await repo.updateUser('pb', 'pa-u', { role: 'viewer' })).toBeUndefined();
    expect(await repo.updateUser('pa', 'pa-u', { role: 'member', name: 'Ann A' })).toMatchObject({ role: 'member', name: 'Ann A' });
    expect(await repo.deleteUser('pb', 'pa-u')).toBe(false);
    expect(await repo.deleteUser('pa', 'pa-u')).toBe(true);
    expect(await repo.findUsersByEmail('ann@example.test')).toHaveLength(1);
    expect((await repo.listTenants()).map((t) => t.id)).toEqual(expect.arrayContaining(['pa', 'pb']));
  });

  it('finds live login sessions by token hash only, and revokes them within the tenant', async () => {
    await repo.createTenant({ id: 'sa', name: 'A' });
    await repo.createUser('sa', { id: 'sa-u', email: 's@a.test', name: 'S', role: 'admin' });
    await repo.createUserSession('sa', { id: 'ses-1', userId: 'sa-u', tokenHash: sha256('tok'), expiresAt: iso(10_000) });
    expect(await repo.findUserSessionByHash(sha256('tok'), iso(5_000))).toMatchObject({ id: 'ses-1', tenantId: 'sa', userId: 'sa-u' });
    expect(await repo.findUserSessionByHash(sha256('tok'), iso(10_000))).toBeUndefined();
    expect(await repo.findUserSessionByHash(sha256('other'), iso(0))).toBeUndefined();
    expect(await repo.revokeUserSession('other', 'ses-1')).toBe(false);
    expect(await repo.revokeUserSession('sa', 'ses-1')).toBe(true);
    expect(await repo.findUserSessionByHash(sha256('tok'), iso(5_000))).toBeUndefined();
  });

  it('stores key roles and scopes and the last use', async () => {
    await repo.createTenant({ id: 'ka', name: 'A' });
    await repo.createApiKey('ka', { id: 'k1', name: 'ro', keyHash: sha256('k1'), prefix: 'pk_k1', role: 'viewer', scopes: ['calls:read'] });
    await repo.createApiKey('ka', { id: 'k2', name: 'default', keyHash: sha256('k2'), prefix: 'pk_k2' });
    expect(await repo.findApiKeyByHash(sha256('k1'))).toMatchObject({ role: 'viewer', scopes: ['calls:read'], lastUsedAt: null });
    expect(await repo.findApiKeyByHash(sha256('k2'))).toMatchObject({ role: 'admin', scopes: [] });
    await repo.touchApiKey('ka', 'k1', iso(42));
    expect((await repo.findApiKeyByHash(sha256('k1')))?.lastUsedAt).toBe(iso(42));
  });

  it('keeps an agent version\'s greeting and webhooks', async () => {
    await repo.createTenant({ id: 'ga', name: 'A' });
    const webhooks = [{ url: 'https://hooks.test/a', events: ['call.ended'], secret: 'a-secret-of-16-chars' }];
    await repo.createAgent('ga', { id: 'ga-1', name: 'Desk', config: { ...agentConfig('p'), greeting: 'Hi there', webhooks } });
    await repo.updateAgent('ga', 'ga-1', { config: agentConfig('p2') });
    expect((await repo.getAgentVersion('ga', 'ga-1', 1))?.config).toMatchObject({ greeting: 'Hi there', webhooks });
    expect((await repo.getAgent('ga', 'ga-1'))?.config).toMatchObject({ greeting: null, webhooks: [] });
  });

  it('links recordings and analyses to calls, lists expired recordings across tenants', async () => {
    const a = await seedTenant(repo, 'ra');
    const b = await seedTenant(repo, 'rb');
    expect(await repo.setCallRecording('rb', a.callId, '/x.wav')).toBe(false);
    expect(await repo.setCallRecording('ra', a.callId, '/rec/a.wav')).toBe(true);
    expect(await repo.setCallRecording('rb', b.callId, '/rec/b.wav')).toBe(true);
    expect(await repo.setCallAnalysis('ra', a.callId, { summary: 'booked', turns: 3 })).toBe(true);
    expect(await repo.getCallRow('ra', a.callId)).toMatchObject({ recordingPath: '/rec/a.wav', analysis: { summary: 'booked', turns: 3 } });
    expect(await repo.getCallRow('rb', a.callId)).toBeUndefined();
    const expired = await repo.listExpiredRecordings(iso(1), 100);
    expect(expired).toEqual(
      expect.arrayContaining([
        { tenantId: 'ra', callId: a.callId, recordingPath: '/rec/a.wav' },
        { tenantId: 'rb', callId: b.callId, recordingPath: '/rec/b.wav' },
      ]),
    );
    expect(await repo.listExpiredRecordings(iso(0), 100)).toEqual([]);
    await repo.setCallRecording('ra', a.callId, null);
    expect((await repo.listExpiredRecordings(iso(1), 100)).map((r) => r.callId)).not.toContain(a.callId);
  });

  it('summarizes calls per UTC day and agent', async () => {
    await repo.createTenant({ id: 'ma', name: 'A' });
    await repo.createAgent('ma', { id: 'ma-x', name: 'X', config: agentConfig('x') });
    await repo.createAgent('ma', { id: 'ma-y', name: 'Y', config: agentConfig('y') });
    const day = 86_400_000;
    const calls: [string, string, number, 'completed' | 'failed' | null][] = [
      ['c1', 'ma-x', 1000, 'completed'],
      ['c2', 'ma-x', 5000, 'failed'],
      ['c3', 'ma-y', 7000, 'completed'],
      ['c4', 'ma-x', day + 10, null],
    ];
    for (const [id, agentId, at, status] of calls) {
      await repo.createCall('ma', { id, agentId, agentVersion: 1, transport: 'websocket', startedAt: iso(at) });
      if (status) await repo.endCall('ma', id, { endedAt: iso(at + 2000), status });
      await repo.updateCallTotals('ma', id, { turnCount: 2, sttSeconds: 1, llmInputTokens: 10, llmOutputTokens: 5, ttsCharacters: 40, costUsd: 0.25 });
    }
    await repo.insertTurn('ma', turn('c1', 0, 'hello'));
    const rows = await repo.summarizeCalls('ma', {});
    expect(rows).toEqual([
      { day: '2026-01-01', agentId: 'ma-x', calls: 2, completed: 1, failed: 1, abandoned: 0, active: 0, totalDurationMs: 4000, turns: 4, costUsd: 0.5 },
      { day: '2026-01-01', agentId: 'ma-y', calls: 1, completed: 1, failed: 0, abandoned: 0, active: 0, totalDurationMs: 2000, turns: 2, costUsd: 0.25 },
      { day: '2026-01-02', agentId: 'ma-x', calls: 1, completed: 0, failed: 0, abandoned: 0, active: 1, totalDurationMs: 0, turns: 2, costUsd: 0.25 },
    ]);
    expect(await repo.summarizeCalls('ma', { agentId: 'ma-y' })).toHaveLength(1);
    expect((await repo.summarizeCalls('ma', { from: iso(day) })).map((r) => r.day)).toEqual(['2026-01-02']);
    expect(await repo.summarizeCalls('other', {})).toEqual([]);
  });

  it('lists deliveries newest first with filters, keeps attempts per delivery, and finds due ones across tenants', async () => {
    await repo.createTenant({ id: 'wa', name: 'A' });
    await repo.createTenant({ id: 'wb', name: 'B' });
    const base = { url: 'https://hooks.test', payload: { n: 1 }, status: 'pending' as const };
    await repo.insertWebhookDelivery('wa', { ...base, id: 'd1', eventType: 'call.ended', callId: 'c1', agentId: 'ag', agentVersion: 2, webhookIndex: 0, nextAttemptAt: iso(0), createdAt: iso(1) });
    await repo.insertWebhookDelivery('wa', { ...base, id: 'd2', eventType: 'turn.completed', callId: 'c1', nextAttemptAt: iso(5), createdAt: iso(2) });
    await repo.insertWebhookDelivery('wb', { ...base, id: 'd3', eventType: 'call.ended', nextAttemptAt: iso(1), createdAt: iso(3) });
    expect(await repo.getWebhookDelivery('wa', 'd1')).toMatchObject({ agentId: 'ag', agentVersion: 2, webhookIndex: 0, callId: 'c1' });
    expect(await repo.getWebhookDelivery('wb', 'd1')).toBeUndefined();
    expect((await repo.listAllDueWebhookDeliveries(iso(1), 10)).map((d) => d.id)).toEqual(['d1', 'd3']);
    expect(await repo.countWebhookDeliveries()).toEqual({ pending: 3, failed: 0 });
    const page1 = await repo.listWebhookDeliveries('wa', {}, { limit: 1 });
    expect(page1.items.map((d) => d.id)).toEqual(['d2']);
    const page2 = await repo.listWebhookDeliveries('wa', {}, { limit: 1, cursor: page1.nextCursor });
    expect(page2.items.map((d) => d.id)).toEqual(['d1']);
    expect(page2.nextCursor).toBeNull();
    expect((await repo.listWebhookDeliveries('wa', { eventType: 'call.ended' }, { limit: 10 })).items.map((d) => d.id)).toEqual(['d1']);
    await repo.updateWebhookDelivery('wa', 'd1', { status: 'failed', attempts: 8, responseStatus: 500 });
    expect((await repo.listWebhookDeliveries('wa', { status: 'failed' }, { limit: 10 })).items).toMatchObject([{ id: 'd1', attempts: 8, responseStatus: 500 }]);
    expect(await repo.countWebhookDeliveries()).toEqual({ pending: 2, failed: 1 });
    await repo.insertWebhookAttempt('wa', { id: 'a2', deliveryId: 'd1', at: iso(20), responseStatus: null, error: 'ECONNREFUSED', durationMs: 3 });
    await repo.insertWebhookAttempt('wa', { id: 'a1', deliveryId: 'd1', at: iso(10), responseStatus: 500, error: null, durationMs: 12 });
    expect((await repo.listWebhookAttempts('wa', 'd1')).map((a) => [a.id, a.responseStatus])).toEqual([
      ['a1', 500],
      ['a2', null],
    ]);
    expect(await repo.listWebhookAttempts('wb', 'd1')).toEqual([]);
  });
});
