// A fleet: two Parley processes on one PostgreSQL and one Redis. A call starts on the first; the
// first shuts down; the caller resumes the same call on the second, which picks up the
// conversation from the state saved in Redis. The store ends with one call: its turns from both
// processes in order, its timeline numbered without gaps, its end from the second.
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { simulatedConfig } from '../../src/config-simulated.js';
import { createLogger } from '../../src/log.js';
import { createParley, SHUTDOWN_REASON, type Parley } from '../../src/main.js';
import { VoiceClient } from '../helpers/voice-client.js';
import { deleteKeys, REDIS_URL } from '../bus/backends.js';
import { createTestDatabase, type TestDatabase } from '../store/backends.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function fleetConfig(database: TestDatabase, prefix: string): Config {
  const config = simulatedConfig();
  config.agent.greeting = null;
  config.simulated.llmTtftMs = 20;
  config.simulated.llmTokensPerSecond = 2000;
  config.simulated.ttsTtfbMs = 10;
  config.simulated.ttsRealtimeFactor = 50;
  config.store = { ...config.store, url: database.config.url, pgSchema: database.config.pgSchema };
  config.bus = { ...config.bus, redisUrl: REDIS_URL, prefix };
  return config;
}

async function start(config: Config): Promise<{ parley: Parley; url: string }> {
  const parley = await createParley(config, { log: createLogger('silent') });
  await parley.app.listen({ host: '127.0.0.1', port: 0 });
  return { parley, url: `ws://127.0.0.1:${(parley.app.server.address() as AddressInfo).port}/ws/voice` };
}

async function say(client: VoiceClient, text: string): Promise<void> {
  const from = client.received.length;
  client.send({ type: 'text_input', text });
  await client.waitFor((m) => m.type === 'turn_complete', 15000, from);
}

describe('call resume across processes', () => {
  it('continues a call on another instance after the first shuts down', async () => {
    const database = await createTestDatabase('postgres');
    cleanups.push(() => database.cleanup());
    const prefix = `parley-test-${randomBytes(4).toString('hex')}:`;
    cleanups.push(() => deleteKeys(prefix));
    // Both start at once: the configuration's agent is created once.
    const [a, b] = await Promise.all([start(fleetConfig(database, prefix)), start(fleetConfig(database, prefix))]);
    cleanups.push(() => b.parley.close());
    const repo = b.parley.platform.store.repository;
    expect((await repo.listAgents('default')).filter((x) => x.name === 'assistant')).toHaveLength(1);

    const first = await VoiceClient.connect(a.url);
    first.send({ type: 'start_session' });
    const ready = await first.waitFor((m) => m.type === 'session_ready');
    const callId = String(ready.session_id);
    await say(first, 'My name is Ada Lovelace.');

    // The other instance follows the call live, over server-sent events, through Redis.
    const follow = new AbortController();
    const stream = await fetch(`${b.url.replace('ws://', 'http://').replace('/ws/voice', '')}/v1/calls/${callId}/events`, { signal: follow.signal });
    expect(stream.status).toBe(200);
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('event: turn.completed')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain('My name is Ada Lovelace.');
    follow.abort();

    await a.parley.close();
    await first.waitFor(() => first.closeCode !== null, 5000).catch(() => undefined);
    expect(first.closeCode).toBe(1001);

    const second = await VoiceClient.connect(b.url);
    second.send({ type: 'start_session', session_id: callId });
    const resumed = await second.waitFor((m) => m.type === 'session_ready');
    expect(resumed).toMatchObject({ session_id: callId, resumed: true });
    const session = b.parley.registry.sessions().find((s) => s.id === callId);
    expect(session?.chatContext.some((m) => m.role === 'user' && m.content === 'My name is Ada Lovelace.')).toBe(true);
    await say(second, 'What is my name?');
    second.send({ type: 'end_session' });
    await second.waitFor((m) => m.type === 'session_ended');
    await b.parley.platform.writes.flush();

    const detail = await repo.getCall('default', callId);
    expect(detail?.call).toMatchObject({ status: 'completed', endReason: 'client ended the session' });
    expect(detail?.turns.map((t) => [t.idx, t.userTranscript])).toEqual([
      [0, 'My name is Ada Lovelace.'],
      [1, 'What is my name?'],
    ]);
    const events = detail?.events ?? [];
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('call.started');
    expect(types).toContain('call.resumed');
    expect(events.find((e) => e.type === 'call.ended')?.payload).toMatchObject({ reason: SHUTDOWN_REASON });
    expect(types.at(-1)).toBe('call.ended');

    // Another tenant cannot resume it; an ended call cannot be resumed at all.
    const third = await VoiceClient.connect(b.url);
    third.send({ type: 'start_session', session_id: callId });
    await third.waitFor((m) => m.type === 'error' && m.code === 'session_not_found');
    third.close();
  }, 60_000);
});
