// Calls through the real server end up in the store, on SQLite and PostgreSQL: the call row with
// its end and totals, every turn, the LLM requests, and the timeline as ordered events. Then the
// fault drill: the database goes away in the middle of calls and comes back — nothing is lost and
// nothing is written twice.
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { simulatedConfig } from '../../src/config-simulated.js';
import { createLogger } from '../../src/log.js';
import { createParley, type Parley } from '../../src/main.js';
import type { CallBusEvent } from '../../src/bus/call-bus-event.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { VoiceClient } from '../helpers/voice-client.js';
import { backendNames, createTestDatabase, postgresUrl, type TestDatabase } from '../store/backends.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function configFor(database: TestDatabase, url?: string): Config {
  const config = simulatedConfig();
  config.server.port = 0;
  config.agent.greeting = null;
  config.simulated.llmTtftMs = 20;
  config.simulated.llmTokensPerSecond = 2000;
  config.simulated.ttsTtfbMs = 10;
  config.simulated.ttsRealtimeFactor = 50;
  config.store = { ...config.store, url: url ?? database.config.url, pgSchema: database.config.pgSchema, sqlitePath: database.config.sqlitePath };
  config.store.writeQueue = { ...config.store.writeQueue, retryInitialMs: 20, retryMaxMs: 200 };
  return config;
}

async function start(config: Config): Promise<{ parley: Parley; url: string }> {
  const parley = await createParley(config, { log: createLogger('silent') });
  await parley.app.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => parley.close());
  return { parley, url: `ws://127.0.0.1:${(parley.app.server.address() as AddressInfo).port}/ws/voice` };
}

async function typedCall(url: string, texts: string[], between?: (i: number) => Promise<void> | void): Promise<string> {
  const client = await VoiceClient.connect(url);
  client.send({ type: 'start_session' });
  const ready = await client.waitFor((m) => m.type === 'session_ready');
  for (const [i, text] of texts.entries()) {
    await between?.(i);
    const from = client.received.length;
    client.send({ type: 'text_input', text });
    await client.waitFor((m) => m.type === 'turn_complete', 15000, from);
  }
  client.send({ type: 'end_session' });
  await client.waitFor((m) => m.type === 'session_ended');
  return String(ready.session_id);
}

/** Every timeline event the bus carried for the call, as the store should hold it. */
function storedTypes(entries: CallBusEvent[], callId: string): string[] {
  return entries.filter((e) => e.event.callId === callId && e.event.type !== 'stt.partial' && e.event.type !== 'llm.token').map((e) => e.event.type);
}

describe.each(backendNames)('calls recorded in the store (%s)', (backend) => {
  it('keeps the call, its turns, LLM requests and the ordered timeline', async () => {
    const database = await createTestDatabase(backend);
    cleanups.push(() => database.cleanup());
    const { parley, url } = await start(configFor(database));
    const seen: CallBusEvent[] = [];
    await parley.platform.bus.subscribe({ global: true }, (e) => void seen.push(e.payload));
    const callId = await typedCall(url, ['What time is it?', 'Thank you, goodbye.']);
    await parley.platform.writes.flush();
    const repo = parley.platform.store.repository;
    const agent = (await repo.listAgents('default')).find((a) => a.name === 'assistant');
    const detail = await repo.getCall('default', callId);
    expect(detail?.call).toMatchObject({ agentId: agent?.id, agentVersion: agent?.currentVersion, transport: 'websocket', status: 'completed', endReason: 'client ended the session', turnCount: 2 });
    expect(detail?.call.durationMs).toBeGreaterThan(0);
    expect(detail?.turns.map((t) => [t.idx, t.userTranscript])).toEqual([
      [0, 'What time is it?'],
      [1, 'Thank you, goodbye.'],
    ]);
    expect(detail?.turns[0].agentResponse.length).toBeGreaterThan(0);
    expect(detail?.turns[0].heardText).toBe(detail?.turns[0].agentResponse);
    expect(detail?.turns[0].stateHistory.map((s) => s.state)).toContain('SPEAKING');
    expect(detail?.llmCalls.map((l) => l.status)).toEqual(['completed', 'completed']);
    expect(detail?.llmCalls[0].outputTokens).toBeGreaterThan(0);
    const events = detail?.events ?? [];
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(events.map((e) => e.type)).toEqual(storedTypes(seen, callId));
    expect(events[0].type).toBe('call.started');
    expect(events.at(-1)?.type).toBe('call.ended');
  });
});

describe('fault drill: PostgreSQL goes away in the middle of calls', () => {
  it('keeps the calls going, buffers every write, and stores each exactly once when it returns', async () => {
    const database = await createTestDatabase('postgres');
    cleanups.push(() => database.cleanup());
    const target = new URL(postgresUrl);
    const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    cleanups.push(() => proxy.close());
    const proxied = new URL(postgresUrl);
    proxied.port = String(proxy.port);
    const config = configFor(database, proxied.toString());
    const { parley, url } = await start(config);
    const seen: CallBusEvent[] = [];
    await parley.platform.bus.subscribe({ global: true }, (e) => void seen.push(e.payload));

    // Call 1: the database disappears after its first turn.
    const first = await typedCall(url, ['First question?', 'Second question?', 'Third question?'], (i) => {
      if (i === 1) proxy.cut();
    });
    // Call 2 starts and runs entirely while the database is away (its agent is known already).
    const second = await typedCall(url, ['Are you there?', 'Goodbye.']);
    expect(parley.platform.writes.stats().queued).toBeGreaterThan(0);
    expect(parley.platform.writes.stats().failedAttempts).toBeGreaterThan(0);

    proxy.restore();
    await parley.platform.writes.flush();
    const repo = parley.platform.store.repository;
    for (const [callId, turns] of [
      [first, 3],
      [second, 2],
    ] as const) {
      const detail = await repo.getCall('default', callId);
      expect(detail?.call.status).toBe('completed');
      expect(detail?.turns).toHaveLength(turns);
      expect(detail?.llmCalls).toHaveLength(turns);
      const events = detail?.events ?? [];
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
      expect(events.map((e) => e.type)).toEqual(storedTypes(seen, callId));
    }
    expect(parley.platform.writes.stats()).toMatchObject({ queued: 0, dropped: 0 });
  }, 60_000);
});
