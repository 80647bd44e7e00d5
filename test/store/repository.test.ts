import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/store/migrate.js';
import type { Repository } from '../../src/store/repository.js';
import { backendNames, createTestDatabase } from './backends.js';
import type { TestDatabase } from './backends.js';
import { agentConfig, event, iso, seedTenant, turn } from './fixtures.js';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

describe.each(backendNames)('repository on %s', (backend) => {
  let database: TestDatabase;
  let repo: Repository;

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    const store = database.open();
    await migrateToLatest(store.db);
    repo = store.repository;
  });
  afterAll(() => database.cleanup());

  it('creates tenants and users, each user visible only to its tenant', async () => {
    await repo.createTenant({ id: 'u-a', name: 'A' });
    await repo.createTenant({ id: 'u-b', name: 'B' });
    expect((await repo.getTenant('u-a'))?.name).toBe('A');
    expect(await repo.getTenant('missing')).toBeUndefined();
    await repo.createUser('u-a', { id: 'user-1', email: 'ann@a.test', name: 'Ann', role: 'admin' });
    await repo.createUser('u-a', { id: 'user-2', email: 'bob@a.test', name: 'Bob', role: 'viewer' });
    expect((await repo.listUsers('u-a')).map((u) => u.email)).toEqual(['ann@a.test', 'bob@a.test']);
    expect(await repo.getUser('u-a', 'user-1')).toMatchObject({ name: 'Ann', role: 'admin' });
    expect(await repo.getUser('u-b', 'user-1')).toBeUndefined();
    expect(await repo.listUsers('u-b')).toEqual([]);
    await expect(repo.createUser('u-a', { id: 'user-3', email: 'ann@a.test', name: 'Dup', role: 'viewer' })).rejects.toThrow();
  });

  it('finds API keys by hash, stores no key, and revokes only within the tenant', async () => {
    await repo.createTenant({ id: 'k-a', name: 'A' });
    await repo.createTenant({ id: 'k-b', name: 'B' });
    const secret = 'pk_live_abcdef0123456789';
    await repo.createApiKey('k-a', { id: 'key-1', name: 'ci', keyHash: sha256(secret), prefix: secret.slice(0, 8) });
    const found = await repo.findApiKeyByHash(sha256(secret));
    expect(found).toMatchObject({ id: 'key-1', tenantId: 'k-a', prefix: 'pk_live_', revokedAt: null });
    expect(JSON.stringify(await repo.listApiKeys('k-a'))).not.toContain(secret);
    expect(await repo.findApiKeyByHash(sha256('other'))).toBeUndefined();
    expect(await repo.listApiKeys('k-b')).toEqual([]);

    expect(await repo.revokeApiKey('k-b', 'key-1')).toBe(false);
    expect(await repo.findApiKeyByHash(sha256(secret))).toBeDefined();
    expect(await repo.revokeApiKey('k-a', 'key-1')).toBe(true);
    expect(await repo.findApiKeyByHash(sha256(secret))).toBeUndefined();
    expect(await repo.revokeApiKey('k-a', 'key-1')).toBe(false);
    expect((await repo.listApiKeys('k-a'))[0].revokedAt).not.toBeNull();
  });

  it('versions agents on every update and rolls back by copying an old version forward', async () => {
    await repo.createTenant({ id: 'g-a', name: 'A' });
    const created = await repo.createAgent('g-a', { id: 'ag-1', name: 'Desk', config: agentConfig('v1 prompt') });
    expect(created.currentVersion).toBe(1);
    const v2 = await repo.updateAgent('g-a', 'ag-1', { config: agentConfig('v2 prompt') });
    expect(v2).toMatchObject({ currentVersion: 2, name: 'Desk' });
    const v3 = await repo.updateAgent('g-a', 'ag-1', { name: 'Front desk', config: { ...agentConfig('v3 prompt'), flow: null } });
    expect(v3).toMatchObject({ currentVersion: 3, name: 'Front desk' });

    const current = await repo.getAgent('g-a', 'ag-1');
    expect(current?.config.prompt).toBe('v3 prompt');
    expect(current?.config.flow).toBeNull();
    expect(current?.config.turnSettings).toEqual({ endOfUtteranceMs: 600, bargeIn: true });
    expect((await repo.getAgentVersion('g-a', 'ag-1', 1))?.config).toEqual(agentConfig('v1 prompt'));

    const rolled = await repo.rollbackAgent('g-a', 'ag-1', 1);
    expect(rolled?.currentVersion).toBe(4);
    expect((await repo.getAgent('g-a', 'ag-1'))?.config).toEqual(agentConfig('v1 prompt'));
    expect((await repo.listAgentVersions('g-a', 'ag-1')).map((v) => [v.version, v.config.prompt])).toEqual([
      [1, 'v1 prompt'],
      [2, 'v2 prompt'],
      [3, 'v3 prompt'],
      [4, 'v1 prompt'],
    ]);
    expect(await repo.rollbackAgent('g-a', 'ag-1', 99)).toBeUndefined();

    await repo.createAgent('g-a', { id: 'ag-2', name: 'Billing', config: agentConfig('billing') });
    expect((await repo.listAgents('g-a')).map((a) => [a.name, a.currentVersion])).toEqual([
      ['Billing', 1],
      ['Front desk', 4],
    ]);
    expect(await repo.deleteAgent('g-a', 'ag-2')).toBe(true);
    expect(await repo.deleteAgent('g-a', 'ag-2')).toBe(false);
    expect(await repo.getAgent('g-a', 'ag-2')).toBeUndefined();
    expect(await repo.updateAgent('g-a', 'ag-2', { config: agentConfig('x') })).toBeUndefined();
    expect((await repo.listAgents('g-a')).map((a) => a.id)).toEqual(['ag-1']);
    // The versions of a deleted agent stay: calls recorded with them still resolve.
    expect((await repo.getAgentVersion('g-a', 'ag-2', 1))?.config.prompt).toBe('billing');
  });

  it('records a call with its turns, model and tool calls, telemetry and events, idempotently', async () => {
    const { agentId, callId } = await seedTenant(repo, 'c-a');
    for (let i = 0; i < 3; i++) await repo.insertTurn('c-a', turn(callId, i, `I would like appointment ${i}`));
    await repo.insertTurn('c-a', turn(callId, 1, 'a retried duplicate'));
    for (const seq of [2, 0, 1]) await repo.insertEvent('c-a', event(callId, seq));
    await repo.insertEvent('c-a', event(callId, 1));
    const llm = {
      id: 'llm-1',
      callId,
      turnId: `${callId}-turn-0`,
      provider: 'openai',
      model: 'gpt-4o-mini',
      status: 'canceled' as const,
      inputTokens: 120,
      outputTokens: 7,
      latencyMs: 340,
      firstTokenMs: 210,
      error: null,
      startedAt: iso(10),
    };
    await repo.insertLlmCall('c-a', llm);
    await repo.insertLlmCall('c-a', llm);
    const tool = {
      id: 'tool-1',
      callId,
      turnId: null,
      name: 'book_appointment',
      arguments: { day: 'monday', time: '10:00' },
      result: { ok: true },
      status: 'completed' as const,
      latencyMs: 12,
      startedAt: iso(20),
    };
    await repo.insertToolCall('c-a', tool);
    await repo.insertTelemetry('c-a', { id: 'tm-1', callId, at: iso(30), name: 'vad.speech_prob', value: 0.93, attrs: { frame: 4 } });
    const totals = { turnCount: 3, sttSeconds: 12.5, llmInputTokens: 120, llmOutputTokens: 7, ttsCharacters: 88, costUsd: 0.0123 };
    expect(await repo.updateCallTotals('c-a', callId, totals)).toBe(true);
    expect(await repo.endCall('c-a', callId, { endedAt: iso(65_000), status: 'completed', endReason: 'caller hung up' })).toBe(true);

    const detail = await repo.getCall('c-a', callId);
    expect(detail?.call).toMatchObject({
      ...totals,
      agentId,
      agentVersion: 1,
      transport: 'websocket',
      caller: '+100',
      status: 'completed',
      endReason: 'caller hung up',
      durationMs: 65_000,
      startedAt: iso(0),
      endedAt: iso(65_000),
    });
    expect(detail?.turns.map((t) => t.userTranscript)).toEqual([0, 1, 2].map((i) => `I would like appointment ${i}`));
    expect(detail?.turns[1]).toEqual(turn(callId, 1, 'I would like appointment 1'));
    expect(detail?.events).toEqual([0, 1, 2].map((s) => event(callId, s)));
    expect(detail?.llmCalls).toEqual([llm]);
    expect(detail?.toolCalls).toEqual([tool]);
    expect(detail?.telemetry).toEqual([{ id: 'tm-1', callId, at: iso(30), name: 'vad.speech_prob', value: 0.93, attrs: { frame: 4 } }]);
    // Recreating a call with the same id (a retried write) keeps the first.
    await repo.createCall('c-a', { id: callId, agentId, agentVersion: 1, transport: 'sip', startedAt: iso(5) });
    expect((await repo.getCall('c-a', callId))?.call.transport).toBe('websocket');
    await expect(repo.insertEvent('c-a', { ...event(callId, 1), id: 'another-id' })).rejects.toThrow();
  });

  it('pages calls newest first with no duplicates or gaps when start times are equal', async () => {
    const { agentId } = await seedTenant(repo, 'p-a');
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) {
      const id = `p-a-call-${String(i).padStart(2, '0')}`;
      ids.push(id);
      // Groups of five share one start time, so order within a group comes from the id alone.
      await repo.createCall('p-a', { id, agentId, agentVersion: 1, transport: 'websocket', startedAt: iso(1000 + Math.floor(i / 5) * 1000) });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await repo.listCalls('p-a', {}, { limit: 4, cursor });
      expect(page.items.length).toBeLessThanOrEqual(4);
      seen.push(...page.items.map((c) => c.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    const expected = [...ids, 'p-a-call']
      .map((id) => ({ id, at: id === 'p-a-call' ? iso(0) : iso(1000 + Math.floor(Number(id.slice(-2)) / 5) * 1000) }))
      .sort((x, y) => (x.at === y.at ? (x.id < y.id ? 1 : -1) : x.at < y.at ? 1 : -1))
      .map((x) => x.id);
    expect(seen).toEqual(expected);
    expect(new Set(seen).size).toBe(24);
    expect(pages).toBe(6);
    await expect(repo.listCalls('p-a', {}, { limit: 4, cursor: 'not-a-cursor' })).rejects.toThrow(/invalid cursor/);
  });

  it('filters calls by agent, status, date range and text in the transcripts', async () => {
    await repo.createTenant({ id: 'f-a', name: 'A' });
    await repo.createAgent('f-a', { id: 'f-desk', name: 'Desk', config: agentConfig('d') });
    await repo.createAgent('f-a', { id: 'f-bill', name: 'Bill', config: agentConfig('b') });
    const mk = async (id: string, agentId: string, at: number): Promise<void> =>
      repo.createCall('f-a', { id, agentId, agentVersion: 1, transport: 'websocket', startedAt: iso(at) });
    await mk('f1', 'f-desk', 1000);
    await mk('f2', 'f-desk', 2000);
    await mk('f3', 'f-bill', 3000);
    await mk('f4', 'f-bill', 4000);
    await repo.endCall('f-a', 'f2', { endedAt: iso(2500), status: 'failed' });
    await repo.endCall('f-a', 'f3', { endedAt: iso(3500), status: 'completed' });
    await repo.insertTurn('f-a', turn('f1', 0, 'I need to MOVE my Appointment'));
    await repo.insertTurn('f-a', turn('f3', 0, 'what are your opening hours', 'We open at 9'));
    await repo.insertTurn('f-a', turn('f4', 0, 'book 50%_off deal'));
    const list = async (filter: Parameters<Repository['listCalls']>[1]): Promise<string[]> =>
      (await repo.listCalls('f-a', filter, { limit: 50 })).items.map((c) => c.id);

    expect(await list({ agentId: 'f-desk' })).toEqual(['f2', 'f1']);
    expect(await list({ status: 'active' })).toEqual(['f4', 'f1']);
    expect(await list({ status: 'failed' })).toEqual(['f2']);
    expect(await list({ from: iso(2000), to: iso(4000) })).toEqual(['f3', 'f2']);
    expect(await list({ text: 'move my appointment' })).toEqual(['f1']);
    expect(await list({ text: 'OPEN AT 9' })).toEqual(['f3']);
    expect(await list({ text: '50%_' })).toEqual(['f4']);
    expect(await list({ text: '%' })).toEqual(['f4']);
    expect(await list({ text: 'hours', agentId: 'f-desk' })).toEqual([]);
    expect(await list({ text: 'zebra' })).toEqual([]);
  });

  it('keeps webhook deliveries on a schedule and lists only the due ones', async () => {
    await repo.createTenant({ id: 'w-a', name: 'A' });
    await repo.createTenant({ id: 'w-b', name: 'B' });
    const base = { eventType: 'call.ended', url: 'http://127.0.0.1:9/hook', payload: { callId: 'x' }, status: 'pending' as const, createdAt: iso(0) };
    await repo.insertWebhookDelivery('w-a', { ...base, id: 'wh-1', nextAttemptAt: iso(1000) });
    await repo.insertWebhookDelivery('w-a', { ...base, id: 'wh-2', nextAttemptAt: iso(5000) });
    await repo.insertWebhookDelivery('w-a', { ...base, id: 'wh-3', nextAttemptAt: iso(500) });
    await repo.insertWebhookDelivery('w-b', { ...base, id: 'wh-4', nextAttemptAt: iso(0) });
    expect((await repo.listDueWebhookDeliveries('w-a', iso(1000), 10)).map((d) => d.id)).toEqual(['wh-3', 'wh-1']);
    expect(
      await repo.updateWebhookDelivery('w-a', 'wh-3', { status: 'delivered', attempts: 1, responseStatus: 204, deliveredAt: iso(1001) }),
    ).toBe(true);
    expect(await repo.updateWebhookDelivery('w-a', 'wh-1', { attempts: 1, lastError: 'ECONNREFUSED', nextAttemptAt: iso(9000) })).toBe(true);
    expect((await repo.listDueWebhookDeliveries('w-a', iso(5000), 10)).map((d) => d.id)).toEqual(['wh-2']);
    const due = await repo.listDueWebhookDeliveries('w-a', iso(9000), 10);
    expect(due.map((d) => [d.id, d.attempts, d.lastError])).toEqual([
      ['wh-2', 0, null],
      ['wh-1', 1, 'ECONNREFUSED'],
    ]);
    expect(due[0].payload).toEqual({ callId: 'x' });
  });

  it('appends to the audit log and lists it newest first in pages', async () => {
    await repo.createTenant({ id: 'a-a', name: 'A' });
    for (let i = 0; i < 5; i++) {
      await repo.appendAudit('a-a', {
        id: `au-${i}`,
        at: iso(i < 3 ? 100 : 200),
        actor: 'user-1',
        action: 'agent.update',
        targetType: 'agent',
        targetId: 'ag-1',
        details: { version: i },
      });
    }
    const first = await repo.listAudit('a-a', { limit: 3 });
    const second = await repo.listAudit('a-a', { limit: 3, cursor: first.nextCursor });
    expect([...first.items, ...second.items].map((e) => e.id)).toEqual(['au-4', 'au-3', 'au-2', 'au-1', 'au-0']);
    expect(second.nextCursor).toBeNull();
    expect(first.items[0].details).toEqual({ version: 4 });
  });

  it("never lets tenant B read or change tenant A's rows", async () => {
    const { agentId, callId } = await seedTenant(repo, 's-a');
    await seedTenant(repo, 's-b');
    await repo.insertTurn('s-a', turn(callId, 0, 'secret words'));
    await repo.insertEvent('s-a', event(callId, 0));
    await repo.insertWebhookDelivery('s-a', {
      id: 's-a-wh',
      eventType: 'call.ended',
      url: 'http://127.0.0.1:9/',
      payload: {},
      status: 'pending',
      nextAttemptAt: iso(0),
      createdAt: iso(0),
    });
    await repo.appendAudit('s-a', { id: 's-a-au', at: iso(0), actor: 'x', action: 'y', targetType: 'z', targetId: null, details: {} });

    // Reads
    expect(await repo.getAgent('s-b', agentId)).toBeUndefined();
    expect(await repo.getAgentVersion('s-b', agentId, 1)).toBeUndefined();
    expect(await repo.listAgentVersions('s-b', agentId)).toEqual([]);
    expect((await repo.listAgents('s-b')).map((a) => a.id)).toEqual(['s-b-agent']);
    expect(await repo.getCall('s-b', callId)).toBeUndefined();
    expect((await repo.listCalls('s-b', {}, { limit: 50 })).items.map((c) => c.id)).toEqual(['s-b-call']);
    expect((await repo.listCalls('s-b', { text: 'secret' }, { limit: 50 })).items).toEqual([]);
    expect((await repo.listCalls('s-b', { agentId }, { limit: 50 })).items).toEqual([]);
    expect(await repo.listDueWebhookDeliveries('s-b', iso(1), 10)).toEqual([]);
    expect((await repo.listAudit('s-b', { limit: 10 })).items).toEqual([]);

    // Changes: refused or without effect
    expect(await repo.updateAgent('s-b', agentId, { config: agentConfig('hijack') })).toBeUndefined();
    expect(await repo.rollbackAgent('s-b', agentId, 1)).toBeUndefined();
    expect(await repo.deleteAgent('s-b', agentId)).toBe(false);
    expect(await repo.endCall('s-b', callId, { endedAt: iso(1), status: 'failed' })).toBe(false);
    expect(await repo.updateCallTotals('s-b', callId, { turnCount: 9, sttSeconds: 9, llmInputTokens: 9, llmOutputTokens: 9, ttsCharacters: 9, costUsd: 9 })).toBe(false);
    expect(await repo.updateWebhookDelivery('s-b', 's-a-wh', { status: 'failed' })).toBe(false);
    // Records naming another tenant's call or agent are refused by the composite foreign keys.
    await expect(repo.insertTurn('s-b', { ...turn(callId, 5, 'injected'), id: 'inj-turn' })).rejects.toThrow();
    await expect(repo.insertEvent('s-b', { ...event(callId, 5), id: 'inj-ev' })).rejects.toThrow();
    await expect(
      repo.insertTelemetry('s-b', { id: 'inj-tm', callId, at: iso(0), name: 'n', value: 1, attrs: {} }),
    ).rejects.toThrow();
    await expect(
      repo.createCall('s-b', { id: 'inj-call', agentId, agentVersion: 1, transport: 'websocket', startedAt: iso(0) }),
    ).rejects.toThrow();

    const a = await repo.getCall('s-a', callId);
    expect(a?.call.status).toBe('active');
    expect(a?.call.turnCount).toBe(0);
    expect(a?.turns.map((t) => t.userTranscript)).toEqual(['secret words']);
    expect(a?.events.map((e) => e.seq)).toEqual([0]);
    expect((await repo.getAgent('s-a', agentId))?.currentVersion).toBe(1);
    expect((await repo.listDueWebhookDeliveries('s-a', iso(1), 10)).map((d) => d.status)).toEqual(['pending']);
  });
});
