// The dispatcher against real receivers on loopback and a real store (SQLite and PostgreSQL), with
// virtual time: retries on the schedule, dead letters, replay, timeouts, refused connections,
// signatures, subscriptions, and never two sends of one delivery at once.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WebhookUpdate } from '../../src/store/repository.js';
import { DEFAULT_RETRY_SCHEDULE_MS } from '../../src/webhooks/retry-schedule.js';
import type { WebhookBody } from '../../src/webhooks/webhook-events.js';
import { backendNames } from '../store/backends.js';
import { at, createHarness, type Harness } from './dispatcher-harness.js';
import { refusedUrl, TestReceiver } from './test-receiver.js';

const SECRET = 'whsec_test_0123456789abcdef';
const ended = { type: 'call.ended', callId: 'call-1', data: { reason: 'caller hung up' } };

describe.each(backendNames)('webhook dispatcher on %s', (backend) => {
  let h: Harness;
  let receiver: TestReceiver;

  beforeEach(async () => {
    h = await createHarness(backend);
    receiver = await TestReceiver.start(SECRET, () => h.nowSec());
  });
  afterEach(async () => {
    await h.cleanup();
    await receiver.close();
  });

  const onlyDelivery = async (tenantId: string) => {
    const page = await h.repo.listWebhookDeliveries(tenantId, {}, { limit: 10 });
    expect(page.items).toHaveLength(1);
    return page.items[0];
  };

  it('retries a receiver that fails twice, then delivers; same delivery id, signed, every attempt logged', async () => {
    const source = await h.agent('t1', 'agent-1', [{ url: `${receiver.url}/hook`, events: ['call.ended'], secret: SECRET }]);
    receiver.answer(500, 503);
    const dispatcher = h.dispatcher();
    dispatcher.start();
    await dispatcher.whenIdle();

    await dispatcher.enqueue('t1', source, ended);
    await dispatcher.whenIdle();
    let row = await onlyDelivery('t1');
    expect(row).toMatchObject({ status: 'pending', attempts: 1, responseStatus: 500, nextAttemptAt: at(30_000), callId: 'call-1', agentId: 'agent-1', agentVersion: 1, webhookIndex: 0 });
    expect(row.lastError).toBe('HTTP 500: receiver says 500');

    await h.runFor(dispatcher, 29_000, 1000);
    expect(receiver.requests).toHaveLength(1);
    await h.runFor(dispatcher, 1000, 1000);
    expect(receiver.requests).toHaveLength(2);
    row = await onlyDelivery('t1');
    expect(row).toMatchObject({ status: 'pending', attempts: 2, responseStatus: 503, nextAttemptAt: at(30_000 + 120_000) });

    await h.runFor(dispatcher, 120_000, 1000);
    row = await onlyDelivery('t1');
    expect(row).toMatchObject({ status: 'delivered', attempts: 3, responseStatus: 200, lastError: null, nextAttemptAt: null, deliveredAt: at(150_000) });

    expect(receiver.requests).toHaveLength(3);
    const bodies = receiver.requests.map((r) => JSON.parse(r.body) as WebhookBody);
    expect(new Set(receiver.requests.map((r) => r.headers['parley-delivery']))).toEqual(new Set([row.id]));
    expect(bodies.map((b) => b.id)).toEqual([row.id, row.id, row.id]);
    expect(new Set(receiver.requests.map((r) => r.body)).size).toBe(1);
    expect(bodies[0]).toEqual({ id: row.id, type: 'call.ended', created_at: at(0), call_id: 'call-1', agent_id: 'agent-1', agent_version: 1, data: { reason: 'caller hung up' } });
    for (const [i, r] of receiver.requests.entries()) {
      expect(r.signatureValid).toBe(true);
      expect(r.path).toBe('/hook');
      expect(r.headers).toMatchObject({ 'user-agent': 'Parley-Webhooks', 'parley-event': 'call.ended', 'parley-attempt': String(i + 1), 'content-type': 'application/json' });
    }

    const log = await h.repo.listWebhookAttempts('t1', row.id);
    expect(log.map((a) => [a.at, a.responseStatus, a.error])).toEqual([
      [at(0), 500, 'HTTP 500: receiver says 500'],
      [at(30_000), 503, 'HTTP 503: receiver says 503'],
      [at(150_000), 200, null],
    ]);
  });

  it('spaces retries over hours on the default schedule, dead-letters after the last, and delivers on replay', async () => {
    const source = await h.agent('t1', 'agent-1', [{ url: receiver.url, events: ['call.ended'], secret: SECRET }]);
    receiver.answerAlways(500);
    const updates: WebhookUpdate[] = [];
    const repo = new Proxy(h.repo, {
      get(target, key, recv) {
        if (key === 'updateWebhookDelivery') {
          return (tenantId: string, id: string, update: WebhookUpdate) => {
            if (update.attempts !== undefined) updates.push(update);
            return target.updateWebhookDelivery(tenantId, id, update);
          };
        }
        return Reflect.get(target, key, recv);
      },
    });
    const dispatcher = h.dispatcher({ repository: repo, pollIntervalMs: 30_000 });
    dispatcher.start();
    await dispatcher.enqueue('t1', source, ended);
    await h.runFor(dispatcher, 17 * 3600_000, 30_000);

    // Each failure sets the next attempt at its delay from now; the ninth attempt is the last.
    let elapsed = 0;
    const expectedAttemptTimes = [0, ...DEFAULT_RETRY_SCHEDULE_MS.map((d) => (elapsed += d))];
    expect(updates.map((u) => u.nextAttemptAt)).toEqual([...expectedAttemptTimes.slice(1).map(at), null]);
    expect(updates.map((u) => u.status)).toEqual([...Array(8).fill('pending'), 'failed']);
    expect(expectedAttemptTimes[8]).toBe(15 * 3600_000 + 42.5 * 60_000);

    const row = await onlyDelivery('t1');
    expect(row).toMatchObject({ status: 'failed', attempts: 9, responseStatus: 500, nextAttemptAt: null });
    const log = await h.repo.listWebhookAttempts('t1', row.id);
    expect(log.map((a) => a.at)).toEqual(expectedAttemptTimes.map(at));
    expect(log.every((a) => a.responseStatus === 500)).toBe(true);
    expect((await h.repo.listWebhookDeliveries('t1', { status: 'failed' }, { limit: 10 })).items.map((d) => d.id)).toEqual([row.id]);
    expect(h.logLines.some((l) => l.includes('dead letter'))).toBe(true);

    receiver.answerAlways(200);
    expect(await dispatcher.replay('t1', row.id)).toBe(true);
    await dispatcher.whenIdle();
    expect(await onlyDelivery('t1')).toMatchObject({ status: 'delivered', attempts: 10, responseStatus: 200, lastError: null });
    expect(receiver.requests).toHaveLength(10);
    expect(new Set(receiver.requests.map((r) => JSON.parse(r.body).id))).toEqual(new Set([row.id]));
    expect((await h.repo.listWebhookAttempts('t1', row.id)).map((a) => a.responseStatus)).toEqual([...Array(9).fill(500), 200]);
  });

  it('restarts the schedule on replay while the attempt count goes on', async () => {
    const source = await h.agent('t1', 'agent-1', [{ url: receiver.url, events: ['call.ended'], secret: SECRET }]);
    receiver.answerAlways(500);
    const dispatcher = h.dispatcher({ schedule: [1000, 5000] });
    dispatcher.start();
    await dispatcher.enqueue('t1', source, ended);
    await h.runFor(dispatcher, 10_000, 1000);
    const dead = await onlyDelivery('t1');
    expect(dead).toMatchObject({ status: 'failed', attempts: 3 });

    expect(await dispatcher.replay('t1', dead.id)).toBe(true);
    await dispatcher.whenIdle();
    const replayedAt = h.clock.now();
    expect(await onlyDelivery('t1')).toMatchObject({ status: 'pending', attempts: 4, nextAttemptAt: at(replayedAt + 1000) });
    await h.runFor(dispatcher, 1000, 1000);
    expect(await onlyDelivery('t1')).toMatchObject({ status: 'pending', attempts: 5, nextAttemptAt: at(replayedAt + 1000 + 5000) });
    await h.runFor(dispatcher, 5000, 1000);
    expect(await onlyDelivery('t1')).toMatchObject({ status: 'failed', attempts: 6, nextAttemptAt: null });
    expect(receiver.requests).toHaveLength(6);
  });

  it('counts a receiver that never answers as a timeout, and no second send starts meanwhile', async () => {
    const source = await h.agent('t1', 'agent-1', [{ url: receiver.url, events: ['call.ended'], secret: SECRET }]);
    receiver.answer('hang');
    const dispatcher = h.dispatcher({ timeoutMs: 10_000 });
    const otherProcess = h.dispatcher();
    await dispatcher.enqueue('t1', source, ended);
    await receiver.waitForRequests(1);

    // The same dispatcher and another one sharing the store both look for due work: nothing is due.
    await dispatcher.pollNow();
    await otherProcess.pollNow();
    const row = await onlyDelivery('t1');
    expect(await dispatcher.replay('t1', row.id)).toBe(true);
    expect(dispatcher.inFlightCount).toBe(1);
    expect(otherProcess.inFlightCount).toBe(0);
    expect(receiver.requests).toHaveLength(1);

    h.clock.advance(9_999);
    await Promise.resolve();
    expect(dispatcher.inFlightCount).toBe(1);
    h.clock.advance(1);
    await dispatcher.whenIdle();
    expect(await onlyDelivery('t1')).toMatchObject({ status: 'pending', attempts: 1, responseStatus: null, lastError: 'timeout after 10000 ms', nextAttemptAt: at(10_000 + 30_000) });
    const [attempt] = await h.repo.listWebhookAttempts('t1', row.id);
    expect(attempt).toMatchObject({ at: at(0), responseStatus: null, error: 'timeout after 10000 ms', durationMs: 10_000 });
    expect(receiver.requests).toHaveLength(1);

    // The next attempt (answered) delivers it.
    otherProcess.start();
    await h.runFor(otherProcess, 30_000, 1000);
    expect(await onlyDelivery('t1')).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(receiver.requests).toHaveLength(2);
  });

  it('starts no second send of a delivery a poll still sees as due while its claim is being written', async () => {
    const source = await h.agent('t1', 'agent-1', [{ url: receiver.url, events: ['call.ended'], secret: SECRET }]);
    let releaseClaim!: () => void;
    const claimHeld = new Promise<void>((resolve) => (releaseClaim = resolve));
    let holding = false;
    let claims = 0;
    const repo = new Proxy(h.repo, {
      get(target, key, recv) {
        if (key === 'updateWebhookDelivery') {
          return async (tenantId: string, id: string, update: WebhookUpdate) => {
            if (update.status === undefined) claims++;
            if (!holding && update.status === undefined) {
              holding = true;
              await claimHeld;
            }
            return target.updateWebhookDelivery(tenantId, id, update);
          };
        }
        return Reflect.get(target, key, recv);
      },
    });
    const dispatcher = h.dispatcher({ repository: repo });
    await dispatcher.enqueue('t1', source, ended);
    expect(holding).toBe(true);
    expect((await h.repo.listAllDueWebhookDeliveries(at(0), 10)).map((d) => d.eventType)).toEqual(['call.ended']);
    await dispatcher.pollNow();
    // An attempt writes its claim first thing: a second send would have begun with a second claim.
    expect(claims).toBe(1);
    releaseClaim();
    await dispatcher.whenIdle();
    expect(receiver.requests).toHaveLength(1);
    expect(await onlyDelivery('t1')).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('logs refused connections and invalid URLs as failed attempts and retries them', async () => {
    const refused = await refusedUrl();
    const source = await h.agent('t1', 'agent-1', [
      { url: refused, events: ['call.ended'], secret: SECRET },
      { url: 'ftp://files.example.test/hook', events: ['call.ended'], secret: SECRET },
      { url: 'not a url', events: ['call.ended'], secret: SECRET },
    ]);
    const dispatcher = h.dispatcher();
    await dispatcher.enqueue('t1', source, ended);
    await dispatcher.whenIdle();
    const rows = (await h.repo.listWebhookDeliveries('t1', {}, { limit: 10 })).items.sort((a, b) => (a.webhookIndex ?? 0) - (b.webhookIndex ?? 0));
    expect(rows.map((r) => r.url)).toEqual([refused, 'ftp://files.example.test/hook', 'not a url']);
    for (const r of rows) expect(r).toMatchObject({ status: 'pending', attempts: 1, responseStatus: null, nextAttemptAt: at(30_000) });
    expect(rows[0].lastError).toMatch(/^connection failed: ECONNREFUSED/);
    expect(rows[1].lastError).toBe('invalid URL: ftp: is not http or https');
    expect(rows[2].lastError).toBe('invalid URL: not a url');
    for (const r of rows) expect((await h.repo.listWebhookAttempts('t1', r.id)).map((a) => a.error)).toEqual([r.lastError]);
  });

  it('sends only to the targets subscribed to the event type', async () => {
    const source = await h.agent('t1', 'agent-1', [
      { url: `${receiver.url}/ended-only`, events: ['call.ended'], secret: SECRET },
      { url: `${receiver.url}/turns`, events: ['turn.completed', 'call.ended'], secret: SECRET },
      { url: `${receiver.url}/everything`, events: ['call.started', 'turn.completed', 'tool.called', 'call.ended', 'call.analyzed'], secret: SECRET },
    ]);
    const dispatcher = h.dispatcher();
    await dispatcher.enqueue('t1', source, { type: 'turn.completed', callId: 'call-1', data: { turn_id: 'turn-1' } });
    await dispatcher.whenIdle();
    expect(receiver.requests.map((r) => r.path).sort()).toEqual(['/everything', '/turns']);
    const rows = (await h.repo.listWebhookDeliveries('t1', { eventType: 'turn.completed' }, { limit: 10 })).items;
    expect(rows.map((r) => r.webhookIndex).sort()).toEqual([1, 2]);
    expect(rows.every((r) => r.status === 'delivered')).toBe(true);

    await dispatcher.enqueue('t1', source, { type: 'call.started', callId: 'call-1', data: {} });
    await dispatcher.whenIdle();
    expect(receiver.requests.map((r) => r.path).sort()).toEqual(['/everything', '/everything', '/turns']);
  });

  it('signs with the secret of the agent version the delivery names, even after the agent changed', async () => {
    const v1 = await h.agent('t1', 'agent-1', [{ url: receiver.url, events: ['call.ended'], secret: SECRET }]);
    await h.repo.updateAgent('t1', 'agent-1', { config: { ...(await h.repo.getAgent('t1', 'agent-1'))!.config, webhooks: [{ url: receiver.url, events: ['call.ended'], secret: 'a-rotated-secret-value' }] } });
    const dispatcher = h.dispatcher();
    await dispatcher.enqueue('t1', v1, ended);
    await dispatcher.whenIdle();
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0].signatureValid).toBe(true);

    // With the new version's secret the receiver (still expecting the old one) rejects the signature.
    const v2 = { ...v1, agentVersion: 2, webhooks: (await h.repo.getAgentVersion('t1', 'agent-1', 2))!.config.webhooks! };
    await dispatcher.enqueue('t1', v2, ended);
    await dispatcher.whenIdle();
    expect(receiver.requests[1].signatureValid).toBe(false);
  });

  it('dead-letters at once a delivery whose agent version has no such webhook, without sending', async () => {
    const source = await h.agent('t1', 'agent-1', [{ url: receiver.url, events: ['call.ended'], secret: SECRET }]);
    const dispatcher = h.dispatcher();
    await dispatcher.enqueue('t1', { ...source, agentVersion: 7 }, ended);
    await dispatcher.whenIdle();
    const row = await onlyDelivery('t1');
    expect(row).toMatchObject({ status: 'failed', attempts: 1, lastError: 'not sent: agent agent-1 version 7 not found' });
    expect(receiver.requests).toHaveLength(0);
  });

  it('refuses to replay another tenant’s delivery or an unknown one', async () => {
    const source = await h.agent('t1', 'agent-1', [{ url: receiver.url, events: ['call.ended'], secret: SECRET }]);
    await h.agent('t2', 'agent-2', []);
    receiver.answerAlways(500);
    const dispatcher = h.dispatcher({ schedule: [] });
    await dispatcher.enqueue('t1', source, ended);
    await dispatcher.whenIdle();
    const row = await onlyDelivery('t1');
    expect(row.status).toBe('failed');

    expect(await dispatcher.replay('t2', row.id)).toBe(false);
    expect(await dispatcher.replay('t1', 'whd_missing')).toBe(false);
    await dispatcher.whenIdle();
    expect(await onlyDelivery('t1')).toMatchObject({ status: 'failed', attempts: 1 });
    expect(receiver.requests).toHaveLength(1);
  });

  it('never throws from enqueue: bad events and failing writes are logged', async () => {
    const source = await h.agent('t1', 'agent-1', [{ url: receiver.url, events: ['call.ended'], secret: SECRET }]);
    const dispatcher = h.dispatcher();
    await expect(dispatcher.enqueue('t1', source, { type: '', callId: null, data: null })).resolves.toBeUndefined();
    await expect(dispatcher.enqueue('t1', { ...source, webhooks: undefined as never }, ended)).resolves.toBeUndefined();
    // No such tenant: the insert breaks a foreign key.
    await expect(dispatcher.enqueue('no-such-tenant', source, ended)).resolves.toBeUndefined();
    await dispatcher.whenIdle();
    expect(receiver.requests).toHaveLength(0);
    expect(h.logLines.filter((l) => l.includes('webhook enqueue failed'))).toHaveLength(2);
    expect((await h.repo.listWebhookDeliveries('t1', {}, { limit: 10 })).items).toEqual([]);
  });

  it('stops and drains: in-flight sends finish, new rows wait for the next start', async () => {
    const source = await h.agent('t1', 'agent-1', [{ url: receiver.url, events: ['call.ended'], secret: SECRET }]);
    receiver.answer('hang');
    const dispatcher = h.dispatcher({ timeoutMs: 10_000 });
    dispatcher.start();
    await dispatcher.enqueue('t1', source, ended);
    await receiver.waitForRequests(1);

    dispatcher.stop();
    const drained = dispatcher.drain(1000);
    h.clock.advance(1000);
    expect(await drained).toBe(false);
    const drainedAgain = dispatcher.drain(20_000);
    h.clock.advance(9000);
    expect(await drainedAgain).toBe(true);
    expect((await onlyDelivery('t1')).lastError).toBe('timeout after 10000 ms');

    await dispatcher.enqueue('t1', source, { ...ended, callId: 'call-2' });
    await dispatcher.whenIdle();
    expect(receiver.requests).toHaveLength(1);
    expect((await h.repo.listWebhookDeliveries('t1', { callId: 'call-2' }, { limit: 10 })).items[0]).toMatchObject({ status: 'pending', attempts: 0 });

    dispatcher.start();
    await dispatcher.whenIdle();
    expect((await h.repo.listWebhookDeliveries('t1', { callId: 'call-2' }, { limit: 10 })).items[0]).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('keeps at most `concurrency` sends in flight', async () => {
    const source = await h.agent('t1', 'agent-1', [{ url: receiver.url, events: ['call.ended'], secret: SECRET }]);
    receiver.answer('hang', 'hang');
    const dispatcher = h.dispatcher({ concurrency: 1 });
    dispatcher.start();
    await dispatcher.enqueue('t1', source, { ...ended, callId: 'a' });
    await dispatcher.enqueue('t1', source, { ...ended, callId: 'b' });
    await receiver.waitForRequests(1);
    await dispatcher.pollNow();
    expect(dispatcher.inFlightCount).toBe(1);
    expect(receiver.requests).toHaveLength(1);
  });
});
