// Two SipEndpoints in one process on real sockets: an outbound call from one is an inbound call at
// the other; audio, keys and hang-up cross between them; nothing is left behind.
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock.js';
import { SipCallFailedError, SipEndpoint, type SipEndpointOptions } from '../../../src/transports/sip/sip-endpoint.js';
import { eventually, pump, quietLog } from './sip-test-peer.js';
import { loudFrames, TestAcceptor, toneFrame } from './test-acceptor.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

let rtpBase = 44_000;

async function endpoint(clock: VirtualClock, acceptor: TestAcceptor, extra: Partial<SipEndpointOptions> = {}): Promise<SipEndpoint> {
  const ep = new SipEndpoint({
    host: '127.0.0.1',
    port: 0,
    transports: ['udp', 'tcp'],
    rtp: { min: rtpBase, max: rtpBase + 99 },
    clock,
    log: quietLog,
    acceptor,
    maxCalls: 10,
    routes: [],
    ...extra,
  });
  rtpBase += 100;
  await ep.start();
  cleanups.push(() => ep.stop());
  return ep;
}

/** Plays a tone on `send` for `ms`, moving the clock so both RTP sessions tick. */
async function talk(clock: VirtualClock, ms: number, send: (frame: Int16Array) => void): Promise<void> {
  for (let t = 0; t < ms; t += 20) {
    send(toneFrame(t * 8));
    await pump(clock, 20);
  }
}

describe('SipEndpoint to SipEndpoint', () => {
  for (const transport of ['udp', 'tcp'] as const) {
    it(`places a call over ${transport.toUpperCase()}: routed to the agent, audio and keys both ways, BYE ends both sides, nothing leaks`, async () => {
      const clock = new VirtualClock();
      const callerAgent = new TestAcceptor();
      const calleeAgent = new TestAcceptor();
      const caller = await endpoint(clock, callerAgent);
      const callee = await endpoint(clock, calleeAgent, { routes: [{ match: 'sales', agent: 'sales-agent', tenantId: 'tenant-b' }] });

      const placed = await caller.call({
        to: `sip:sales@127.0.0.1:${callee.port}${transport === 'tcp' ? ';transport=tcp' : ''}`,
        from: '+15550100',
        agent: 'outbound-agent',
        tenantId: 'tenant-a',
        callId: 'dialer-id',
        variables: { name: 'Ada' },
      });
      expect(placed).toEqual({ callId: 'parley-1' });
      await eventually(() => calleeAgent.legs.length === 1, 'the callee agent');
      expect(callerAgent.legs[0].info).toMatchObject({ transport: 'sip', direction: 'outbound', from: '+15550100', agent: 'outbound-agent', tenantId: 'tenant-a', callId: 'dialer-id', variables: { name: 'Ada' } });
      expect(calleeAgent.legs[0].info).toMatchObject({ transport: 'sip', direction: 'inbound', from: '+15550100', to: 'sales', agent: 'sales-agent', tenantId: 'tenant-b' });
      expect(calleeAgent.legs[0].info.externalId).toBe(callerAgent.legs[0].info.externalId);
      await eventually(() => calleeAgent.call().connected, 'media at the callee');

      const out = callerAgent.legs[0];
      const inn = calleeAgent.legs[0];
      await talk(clock, 400, (f) => out.leg.sendAudio(f));
      expect(loudFrames(inn.audio)).toBeGreaterThan(10);
      await talk(clock, 400, (f) => inn.leg.sendAudio(f));
      expect(loudFrames(out.audio)).toBeGreaterThan(10);

      const keys = out.leg.sendDtmf('7#');
      await pump(clock, 1000);
      await keys;
      await eventually(() => inn.dtmf.length === 2, 'two keys at the callee');
      expect(inn.dtmf).toEqual(['7', '#']);

      await inn.leg.hangup('conversation finished');
      await eventually(() => out.ended.length === 1, 'the caller side ending');
      expect(out.ended).toEqual(['callee hung up']);
      expect(inn.ended).toEqual([]);
      for (const ep of [caller, callee]) {
        await eventually(() => ep.stats().dialogs === 0, 'dialogs removed');
        expect(ep.stats()).toMatchObject({ activeCalls: 0, rtpPortsInUse: 0, dialogs: 0, awaitingAck: 0 });
      }
    });
  }

  it('hangs up from the caller side too, and refuses with the SIP status when the agent cannot take the call', async () => {
    const clock = new VirtualClock();
    const callerAgent = new TestAcceptor();
    const calleeAgent = new TestAcceptor();
    const caller = await endpoint(clock, callerAgent);
    const callee = await endpoint(clock, calleeAgent);
    await caller.call({ to: `sip:anyone@127.0.0.1:${callee.port}`, tenantId: 't' });
    await eventually(() => calleeAgent.legs.length === 1, 'the callee agent');
    await callerAgent.legs[0].leg.hangup('done');
    await eventually(() => calleeAgent.legs[0].ended.length === 1, 'the callee side ending');
    expect(calleeAgent.legs[0].ended).toEqual(['caller hung up']);

    const { PhoneCallRefusedError } = await import('./test-acceptor.js');
    const cases: Array<[InstanceType<typeof PhoneCallRefusedError>, number]> = [
      [new PhoneCallRefusedError('busy', 'busy'), 486],
      [new PhoneCallRefusedError('unavailable', 'draining'), 503],
      [new PhoneCallRefusedError('budget_exceeded', 'over budget'), 403],
      [new PhoneCallRefusedError('unknown_agent', 'no such agent'), 404],
    ];
    for (const [refusal, status] of cases) {
      calleeAgent.refuse = refusal;
      const err = await caller.call({ to: `sip:anyone@127.0.0.1:${callee.port}`, tenantId: 't' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SipCallFailedError);
      expect((err as SipCallFailedError).status).toBe(status);
      expect((err as Error).message).toContain(String(status));
    }
    for (const ep of [caller, callee]) {
      await eventually(() => ep.stats().dialogs === 0, 'dialogs removed');
      expect(ep.stats()).toMatchObject({ activeCalls: 0, rtpPortsInUse: 0 });
    }
  });

  it('routes by the dialled user: no matching route is 404 and the agent is never asked', async () => {
    const clock = new VirtualClock();
    const calleeAgent = new TestAcceptor();
    const caller = await endpoint(clock, new TestAcceptor());
    const callee = await endpoint(clock, calleeAgent, { routes: [{ match: '+1555*', agent: 'us' }, { match: 'support', agent: 'help' }] });
    const err = await caller.call({ to: `sip:sales@127.0.0.1:${callee.port}` }).catch((e: unknown) => e);
    expect((err as SipCallFailedError).status).toBe(404);
    expect(calleeAgent.offered).toBe(0);
    await caller.call({ to: `sip:+15551234@127.0.0.1:${callee.port}` });
    await eventually(() => calleeAgent.legs.length === 1, 'the routed call');
    expect(calleeAgent.legs[0].info.agent).toBe('us');
  });

  it('stop() hangs up every call with a BYE and frees its ports', async () => {
    const clock = new VirtualClock();
    const callerAgent = new TestAcceptor();
    const calleeAgent = new TestAcceptor();
    const caller = await endpoint(clock, callerAgent);
    const callee = await endpoint(clock, calleeAgent);
    await caller.call({ to: `sip:a@127.0.0.1:${callee.port}` });
    await caller.call({ to: `sip:b@127.0.0.1:${callee.port}` });
    await eventually(() => callee.activeCalls === 2, 'two calls');
    await callee.stop();
    expect(callee.stats()).toMatchObject({ activeCalls: 0, rtpPortsInUse: 0, dialogs: 0 });
    expect(calleeAgent.legs.map((l) => l.ended)).toEqual([['server shutting down'], ['server shutting down']]);
    await eventually(() => caller.activeCalls === 0, 'the caller side hung up');
    expect(callerAgent.legs.map((l) => l.ended)).toEqual([['callee hung up'], ['callee hung up']]);
  });
});
