// Parley's Twilio routes and REST client against the Twilio simulator, end to end over loopback:
// an outbound call placed through the REST API fetches Parley's TwiML (signed) and streams back to
// it; an inbound call does the same from the number's webhook; hang-up and transfer go through
// REST and the simulated call shows them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/clock.js';
import { TwilioRestClient } from '../../../src/transports/twilio/twilio-rest.js';
import { startSimServer, type SimServer } from '../../../sim/sim-server.js';
import { twilioSim, type TwilioSim } from '../../../sim/twilio/twilio-sim.js';
import { logged, RecordingAcceptor, startTwilioServer, until, type TwilioTestServer } from './twilio-harness.js';

let sim: SimServer;
let twilio: TwilioSim;
let rest: TwilioRestClient;
let server: TwilioTestServer;
let acceptor: RecordingAcceptor;

beforeAll(async () => {
  sim = await startSimServer();
  twilio = twilioSim(sim.control);
  rest = new TwilioRestClient({ accountSid: twilio.accountSid, authToken: twilio.authToken, baseUrl: sim.httpUrl });
  acceptor = new RecordingAcceptor();
  server = await startTwilioServer({ acceptor, clock: systemClock, authToken: twilio.authToken, rest, defaultAgent: 'front-desk' });
});
afterAll(async () => {
  for (const call of twilio.calls.values()) twilio.end(call, 'completed');
  await server.close();
  await sim.close();
});

describe('Parley and the Twilio simulator', () => {
  it('places an outbound call: the answered call streams to Parley as outbound, under the Parley call id', async () => {
    const created = await rest.createCall({ to: '+15551230000', from: '+15559870000', url: `${server.httpUrl}/twilio/voice?parley_call_id=c-77&parley_customer=Ada` });
    await until(() => acceptor.calls.some((c) => c.info.externalId === created.sid), 'the stream reaches the acceptor');
    const call = acceptor.calls.find((c) => c.info.externalId === created.sid)!;
    expect(call.info).toEqual({
      transport: 'twilio',
      direction: 'outbound',
      from: '+15559870000',
      to: '+15551230000',
      externalId: created.sid,
      callId: 'c-77',
      agent: 'front-desk',
      tenantId: undefined,
      variables: { customer: 'Ada' },
    });
    // Caller audio flows (the simulator sends 20 ms frames in real time).
    await until(() => call.audio.length >= 3, 'caller frames');

    // Parley hangs up through REST: the simulated call completes and its stream is stopped.
    await call.leg.hangup('the agent ended the call');
    const simCall = twilio.calls.get(created.sid)!;
    await twilio.waitFor(() => (simCall.status === 'completed' ? true : undefined));
    await until(() => call.ended.length === 1, 'the leg ended');
    expect(call.ended).toEqual(['hung up: the agent ended the call']);
    expect(simCall.errors).toEqual([]);
  });

  it('an inbound call to the number reaches Parley; a transfer moves the caller and ends the stream', async () => {
    const inbound = twilio.incomingCall({ url: `${server.httpUrl}/twilio/voice?agent=sales`, from: '+15550001111', to: '+15550002222' });
    await until(() => acceptor.calls.some((c) => c.info.externalId === inbound.sid), 'the stream reaches the acceptor');
    const call = acceptor.calls.find((c) => c.info.externalId === inbound.sid)!;
    expect(call.info).toMatchObject({ direction: 'inbound', from: '+15550001111', to: '+15550002222', agent: 'sales', callId: undefined });
    await call.leg.transfer('sip:desk@pbx.example.com', 'warm');
    await twilio.waitFor(() => (inbound.dialed.length === 1 ? true : undefined));
    expect(inbound.dialed).toEqual([{ target: 'sip:desk@pbx.example.com', kind: 'sip', answerOnBridge: true }]);
    await until(() => call.ended.length === 1, 'the stream ended');
    expect(call.ended).toEqual(['transferred to sip:desk@pbx.example.com']);
    expect(inbound.status).toBe('in-progress');
    expect((await rest.getCall(inbound.sid)).status).toBe('in-progress');
    await expect(call.leg.transfer('+15550003333', 'blind')).rejects.toThrow(/already ended/);
  });

  it('the caller hanging up ends the leg; a bad target is refused before Twilio is asked', async () => {
    const inbound = twilio.incomingCall({ url: `${server.httpUrl}/twilio/voice`, from: '+15550004444', to: '+15550005555' });
    await until(() => acceptor.calls.some((c) => c.info.externalId === inbound.sid), 'the stream reaches the acceptor');
    const call = acceptor.calls.find((c) => c.info.externalId === inbound.sid)!;
    await expect(call.leg.transfer('not a number', 'blind')).rejects.toThrow(/not a phone number/);
    expect(inbound.dialed).toEqual([]);
    twilio.end(inbound, 'completed');
    await until(() => call.ended.length === 1, 'the leg ended');
    expect(call.ended).toEqual(['caller hung up']);
  });

  it('when Twilio refuses REST calls: the transfer fails clearly and the hang-up still ends the call', async () => {
    const other = new RecordingAcceptor();
    const badRest = new TwilioRestClient({ accountSid: twilio.accountSid, authToken: 'revoked-token', baseUrl: sim.httpUrl });
    const app = await startTwilioServer({ acceptor: other, clock: systemClock, rest: badRest });
    try {
      const inbound = twilio.incomingCall({ url: `${app.httpUrl}/twilio/voice`, from: '+1555', to: '+1666' });
      await until(() => other.calls.length === 1, 'the stream reaches the acceptor');
      const leg = other.calls[0].leg;
      await expect(leg.transfer('+15550009999', 'blind')).rejects.toThrow('Twilio did not transfer the call to +15550009999: Twilio error 20003: Authenticate');
      expect(inbound.dialed).toEqual([]);
      await leg.hangup('goodbye');
      await twilio.waitFor(() => (inbound.status === 'completed' ? true : undefined));
      expect(logged(app.logs, 'Twilio REST hang-up failed; closing the stream instead')[0]).toMatchObject({ err: 'Twilio error 20003: Authenticate' });
      expect(JSON.stringify(app.logs)).not.toContain('revoked-token');
    } finally {
      await app.close();
    }
  });

  it('a webhook signed with another token is refused by Parley, which the simulated call logs as 11200', async () => {
    const other = new RecordingAcceptor();
    const strict = await startTwilioServer({ acceptor: other, clock: systemClock, authToken: 'a-different-auth-token' });
    try {
      const inbound = twilio.incomingCall({ url: `${strict.httpUrl}/twilio/voice`, from: '+1', to: '+2' });
      await twilio.waitFor(() => (inbound.status === 'completed' ? true : undefined));
      expect(inbound.errors).toEqual([expect.stringMatching(/^11200 HTTP retrieval failure: HTTP 403 Forbidden: X-Twilio-Signature does not match/)]);
      expect(other.calls).toEqual([]);
      expect(logged(strict.logs, 'Twilio webhook refused')).toHaveLength(1);
    } finally {
      await strict.close();
    }
  });
});
