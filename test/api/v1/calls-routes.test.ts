// Calls over HTTP: the list with each filter and cursor pages, one call with its records, and the
// metrics summary, on calls seeded through the repository.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentBodySchema, agentBodyToConfig } from '../../../src/api/v1/agent-body.js';
import { agentBody, eventRow, seedCall } from './fixtures.js';
import { startApi, type ApiHarness } from './harness.js';

let api: ApiHarness;
let key: string;

beforeEach(async () => {
  api = await startApi();
  ({ key } = await api.keyFor('acme'));
  const config = agentBodyToConfig(agentBodySchema.parse(agentBody()));
  await api.repository.createAgent('acme', { id: 'agent-a', name: 'A', config });
  await api.repository.createAgent('acme', { id: 'agent-b', name: 'B', config });
  await seedCall(api.repository, 'acme', { id: 'c1', agentId: 'agent-a', startedAt: '2026-02-01T10:00:00.000Z', turns: [['book a table', 'for how many?']] });
  await seedCall(api.repository, 'acme', { id: 'c2', agentId: 'agent-a', startedAt: '2026-02-02T10:00:00.000Z', status: 'failed', turns: [['opening hours', 'nine to five']] });
  await seedCall(api.repository, 'acme', { id: 'c3', agentId: 'agent-b', startedAt: '2026-02-03T10:00:00.000Z', turns: [['Cancel my BOOKING', 'done']] });
  await seedCall(api.repository, 'acme', { id: 'c4', agentId: 'agent-b', startedAt: '2026-02-03T11:00:00.000Z', status: 'abandoned' });
  await seedCall(api.repository, 'acme', { id: 'c5', agentId: 'agent-a', startedAt: '2026-02-04T10:00:00.000Z', status: 'active' });
});
afterEach(() => api.close());

const ids = (body: { items: { id: string }[] }) => body.items.map((c) => c.id);
const list = async (query: string) => {
  const res = await api.call(key, { method: 'GET', url: `/v1/calls${query}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
};

describe('call list', () => {
  it('lists newest first with each filter', async () => {
    expect(ids(await list(''))).toEqual(['c5', 'c4', 'c3', 'c2', 'c1']);
    expect(ids(await list('?agent_id=agent-b'))).toEqual(['c4', 'c3']);
    expect(ids(await list('?status=failed'))).toEqual(['c2']);
    expect(ids(await list('?from=2026-02-02T10:00:00Z&to=2026-02-03T11:00:00Z'))).toEqual(['c3', 'c2']);
    expect(ids(await list('?from=2026-02-03'))).toEqual(['c5', 'c4', 'c3']);
    expect(ids(await list('?q=booking'))).toEqual(['c3']);
    expect(ids(await list('?q=nine'))).toEqual(['c2']);
  });

  it('answers calls in snake_case without server paths', async () => {
    const body = await list('?status=failed');
    expect(body.items[0]).toMatchObject({ id: 'c2', agent_id: 'agent-a', agent_version: 1, status: 'failed', started_at: '2026-02-02T10:00:00.000Z', has_recording: false });
    expect(body.items[0]).not.toHaveProperty('recording_path');
    expect(body.items[0]).not.toHaveProperty('tenant_id');
  });

  it('pages with the cursor until next_cursor is null', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const body: { items: { id: string }[]; next_cursor: string | null } = await list(`?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...ids(body));
      cursor = body.next_cursor;
      pages += 1;
    } while (cursor);
    expect(seen).toEqual(['c5', 'c4', 'c3', 'c2', 'c1']);
    expect(pages).toBe(3);
  });

  it('rejects bad filters with the field and reason', async () => {
    const res = await api.call(key, { method: 'GET', url: '/v1/calls?limit=500&status=lost&from=yesterday&cursor=zzz&colour=red' });
    expect(res.statusCode).toBe(400);
    const fields = res.json().error.issues.map((i: { field: string }) => i.field).sort();
    expect(fields).toEqual(['colour', 'cursor', 'from', 'limit', 'status']);
    expect(res.json().error.code).toBe('validation_failed');
  });
});

describe('call detail', () => {
  it('answers the call with turns, events, llm and tool calls, and telemetry', async () => {
    await api.repository.insertEvent('acme', eventRow('c1', 1, '2026-02-01T10:00:00.000Z', { type: 'call.started', at: 10, agent: 'A', inputSampleRate: 16000, outputSampleRate: 16000 }));
    await api.repository.insertLlmCall('acme', {
      id: 'l1', callId: 'c1', turnId: 'c1-t0', provider: 'simulated', model: 'sim', status: 'completed',
      inputTokens: 10, outputTokens: 5, latencyMs: 300, firstTokenMs: 120, error: null, startedAt: '2026-02-01T10:00:01.000Z',
    });
    await api.repository.insertToolCall('acme', {
      id: 'tc1', callId: 'c1', turnId: 'c1-t0', name: 'get_current_time', arguments: {}, result: { iso: 'x' }, status: 'completed', latencyMs: 3, startedAt: '2026-02-01T10:00:01.500Z',
    });
    await api.repository.insertTelemetry('acme', { id: 'tm1', callId: 'c1', at: '2026-02-01T10:00:02.000Z', name: 'rtt_ms', value: 42, attrs: {} });
    const res = await api.call(key, { method: 'GET', url: '/v1/calls/c1' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.call).toMatchObject({ id: 'c1', status: 'completed', has_recording: false });
    expect(body.turns).toEqual([
      expect.objectContaining({ id: 'c1-t0', idx: 0, user_transcript: 'book a table', agent_response: 'for how many?', heard_text: 'for how many?', was_interrupted: false, latency: { voiceToVoiceMs: 700 } }),
    ]);
    expect(body.events).toEqual([
      { seq: 1, at: '2026-02-01T10:00:00.000Z', type: 'call.started', payload: { callId: 'c1', type: 'call.started', at: 10, agent: 'A', inputSampleRate: 16000, outputSampleRate: 16000 } },
    ]);
    expect(body.llm_calls).toEqual([expect.objectContaining({ id: 'l1', provider: 'simulated', input_tokens: 10, first_token_ms: 120 })]);
    expect(body.tool_calls).toEqual([expect.objectContaining({ id: 'tc1', name: 'get_current_time', result: { iso: 'x' } })]);
    expect(body.telemetry).toEqual([expect.objectContaining({ id: 'tm1', name: 'rtt_ms', value: 42 })]);
  });

  it('answers 404 for an unknown call', async () => {
    const res = await api.call(key, { method: 'GET', url: '/v1/calls/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'not_found', message: 'call not found' } });
  });
});

describe('metrics summary', () => {
  it('answers per day and agent rows and totals, filtered', async () => {
    const res = await api.call(key, { method: 'GET', url: '/v1/metrics/summary' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.days.map((d: { day: string; agent_id: string; calls: number }) => [d.day, d.agent_id, d.calls])).toEqual([
      ['2026-02-01', 'agent-a', 1],
      ['2026-02-02', 'agent-a', 1],
      ['2026-02-03', 'agent-b', 2],
      ['2026-02-04', 'agent-a', 1],
    ]);
    expect(body.days[2]).toMatchObject({ completed: 1, abandoned: 1, failed: 0, active: 0 });
    expect(body.totals).toMatchObject({ calls: 5, completed: 2, failed: 1, abandoned: 1, active: 1 });
    expect(body.totals.total_duration_ms).toBe(body.days.reduce((s: number, d: { total_duration_ms: number }) => s + d.total_duration_ms, 0));

    const filtered = await api.call(key, { method: 'GET', url: '/v1/metrics/summary?agent_id=agent-b&from=2026-02-03&to=2026-02-04' });
    expect(filtered.json().days).toHaveLength(1);
    expect(filtered.json().totals.calls).toBe(2);
  });
});
