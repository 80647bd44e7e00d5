// The voice WebSocket is tenant-scoped like the REST API: credentials pick the tenant, the agent
// is looked up there only, a call can be resumed only by its own tenant, and without anonymous
// access a socket without (or with bad, or too narrow) credentials is refused before the upgrade.
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueApiKey } from '../../src/auth/api-keys.js';
import { simulatedConfig } from '../../src/config-simulated.js';
import { createLogger } from '../../src/log.js';
import { createParley, type Parley } from '../../src/main.js';
import { agentConfig } from '../store/fixtures.js';
import { VoiceClient } from '../helpers/voice-client.js';

let parley: Parley;
let base: string;
const keys: Record<string, string> = {};

beforeAll(async () => {
  const config = simulatedConfig();
  config.auth.anonymous = 'off';
  config.agent.greeting = null;
  config.simulated.llmTtftMs = 20;
  config.simulated.ttsRealtimeFactor = 50;
  parley = await createParley(config, { log: createLogger('silent') });
  await parley.app.listen({ host: '127.0.0.1', port: 0 });
  base = `ws://127.0.0.1:${(parley.app.server.address() as AddressInfo).port}/ws/voice`;
  const repo = parley.platform.store.repository;
  for (const tenant of ['tenant-a', 'tenant-b']) {
    await repo.createTenant({ id: tenant, name: tenant });
    await repo.createAgent(tenant, { id: `${tenant}-agent`, name: `${tenant} desk`, config: { ...agentConfig('be brief'), flow: null, providers: {}, tools: ['time'] } });
    keys[tenant] = (await issueApiKey(repo, tenant, { name: 'voice', role: 'member' })).key;
  }
  keys.viewer = (await issueApiKey(repo, 'tenant-a', { name: 'read only', role: 'viewer' })).key;
});
afterAll(() => parley?.close());

async function open(key: string): Promise<VoiceClient> {
  return VoiceClient.connect(`${base}?api_key=${encodeURIComponent(key)}`);
}

/** The HTTP status the upgrade was refused with. */
function refusal(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => reject(new Error('the socket was accepted')));
    ws.once('error', () => undefined);
  });
}

describe('voice socket tenants', () => {
  it('refuses sockets without credentials, with a bad key, or with a key that may not start calls', async () => {
    expect(await refusal(base)).toBe(401);
    expect(await refusal(`${base}?api_key=pk_not_a_real_key`)).toBe(401);
    expect(await refusal(`${base}?api_key=${keys.viewer}`)).toBe(403);
  });

  it('finds agents in the caller\'s tenant only, and resumes calls for their own tenant only', async () => {
    const a = await open(keys['tenant-a']);
    a.send({ type: 'start_session', agent: 'tenant-b-agent' });
    await a.waitFor((m) => m.type === 'error' && m.code === 'unknown_agent');
    a.send({ type: 'start_session', agent: 'tenant-b desk' });
    await a.waitFor((m) => m.type === 'error' && m.code === 'unknown_agent');
    // The refusal lists the caller's own agents, never another tenant's.
    const first = String(a.messages('error')[0].message);
    expect(first).toContain('tenant-a desk');
    expect(first).not.toContain('tenant-b desk');

    const b = await open(keys['tenant-b']);
    b.send({ type: 'start_session' });
    const ready = await b.waitFor((m) => m.type === 'session_ready');
    const callId = String(ready.session_id);
    b.send({ type: 'text_input', text: 'Hello from tenant B.' });
    await b.waitFor((m) => m.type === 'turn_complete');
    // B's call is B's: stored in B, its default agent is B's.
    await parley.platform.writes.flush();
    const repo = parley.platform.store.repository;
    expect((await repo.getCallRow('tenant-b', callId))?.agentId).toBe('tenant-b-agent');
    expect(await repo.getCallRow('tenant-a', callId)).toBeUndefined();

    // A cannot take B's call over, while it runs or after B's socket dropped.
    a.send({ type: 'start_session', session_id: callId });
    await a.waitFor((m) => m.type === 'error' && m.code === 'session_not_found');
    b.close();
    await new Promise((r) => setTimeout(r, 200));
    const a2 = await open(keys['tenant-a']);
    a2.send({ type: 'start_session', session_id: callId });
    await a2.waitFor((m) => m.type === 'error' && m.code === 'session_not_found');
    // B can.
    const b2 = await open(keys['tenant-b']);
    b2.send({ type: 'start_session', session_id: callId });
    expect(await b2.waitFor((m) => m.type === 'session_ready')).toMatchObject({ session_id: callId, resumed: true });

    // A's own default call uses A's agent.
    const a3 = await open(keys['tenant-a']);
    a3.send({ type: 'start_session' });
    const own = String((await a3.waitFor((m) => m.type === 'session_ready')).session_id);
    a3.send({ type: 'end_session' });
    await a3.waitFor((m) => m.type === 'session_ended');
    await parley.platform.writes.flush();
    expect((await repo.getCallRow('tenant-a', own))?.agentId).toBe('tenant-a-agent');
    for (const c of [a, a2, b2]) c.close();
  }, 30_000);
});
