// A phone call through the whole server and the Twilio simulator: `POST /v1/calls` places it through
// Twilio's REST API, the simulated Twilio fetches Parley's TwiML (signed), opens the media stream,
// the agent greets over it, the caller's keys reach the call, the API hangs it up through REST, and
// the call is stored as a Twilio call with its DTMF events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedConfig } from '../../src/config-simulated.js';
import { createLogger } from '../../src/log.js';
import { createParley, type Parley } from '../../src/main.js';
import { startSimServer, type SimServer } from '../../sim/sim-server.js';
import { twilioSim, type TwilioSim } from '../../sim/twilio/twilio-sim.js';
import { freeUdpTcpPort } from '../helpers/free-port.js';

let sim: SimServer;
let twilio: TwilioSim;
let parley: Parley;
let base: string;

const rms = (s: Int16Array) => Math.sqrt(s.reduce((sum, x) => sum + x * x, 0) / Math.max(1, s.length));

beforeAll(async () => {
  sim = await startSimServer();
  twilio = twilioSim(sim.control);
  const port = await freeUdpTcpPort();
  base = `http://127.0.0.1:${port}`;
  const config = simulatedConfig();
  config.vad.engine = 'energy';
  config.agent.greeting = 'Hello {{customer}}, this is the clinic calling.';
  config.telephony.publicUrl = base;
  config.telephony.twilio = { accountSid: twilio.accountSid, apiBaseUrl: sim.httpUrl, from: '+15550009999' };
  parley = await createParley(config, { log: createLogger(process.env.TEST_LOG ?? 'silent'), env: { TWILIO_AUTH_TOKEN: twilio.authToken } });
  await parley.app.listen({ host: '127.0.0.1', port });
});
afterAll(async () => {
  for (const call of twilio.calls.values()) if (call.isLive) twilio.end(call, 'completed');
  await parley?.close();
  await sim?.close();
});

describe('an outbound Twilio call through the server', () => {
  it('dials, greets with the call variables, takes keys, hangs up and is stored', async () => {
    const res = await fetch(`${base}/v1/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: '+15551230000', transport: 'twilio', variables: { customer: 'Ada' } }),
    });
    expect(res.status).toBe(201);
    const { call_id: callId } = (await res.json()) as { call_id: string };
    const simCall = await twilio.waitFor(() => [...twilio.calls.values()].find((c) => c.to === '+15551230000'));
    expect(simCall.from).toBe('+15550009999');
    const stream = await twilio.openStream(simCall, 10_000);
    // The greeting arrives as μ-law media.
    for (let i = 0; i < 200 && stream.heardFrames.length < 25; i++) await new Promise((r) => setTimeout(r, 50));
    expect(stream.heardFrames.length).toBeGreaterThanOrEqual(25);
    expect(rms(stream.heard())).toBeGreaterThan(100);
    stream.pressDigit('7');
    stream.pressDigit('#');

    const hangup = await fetch(`${base}/v1/calls/${callId}/hangup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(hangup.status).toBe(202);
    await twilio.waitFor(() => (simCall.status === 'completed' ? true : undefined), 15_000);
    expect(simCall.errors).toEqual([]);

    let detail: { call: Record<string, unknown>; events: { type: string; payload: unknown }[]; turns: Record<string, unknown>[] } | undefined;
    for (let i = 0; i < 100; i++) {
      await parley.platform.writes.flush();
      const got = await fetch(`${base}/v1/calls/${callId}`);
      if (got.status === 200) {
        detail = (await got.json()) as typeof detail;
        if (detail?.call.status !== 'active') break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(detail?.call).toMatchObject({ id: callId, transport: 'twilio', caller: '+15551230000' });
    expect(detail?.events.filter((e) => e.type === 'dtmf').map((e) => (e.payload as { digit: string }).digit)).toEqual(['7', '#']);
    const agentText = detail?.turns.map((t) => String(t.agent_response ?? '')).join(' ');
    expect(agentText).toContain('Hello Ada, this is the clinic calling.');
  }, 60_000);
});
