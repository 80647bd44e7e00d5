// The endpoint as a UAC against scripted peers on real sockets: a trunk that challenges (its
// digest check is written here, independently of Parley's), a registrar, callees that are busy or
// never answer, a transferee that reports through NOTIFY; and a warm transfer across three endpoints.
import { createHash } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock.js';
import { DialTargetError } from '../../../src/transports/sip/sip-dial-target.js';
import { SipCallFailedError, SipEndpoint, type SipEndpointOptions } from '../../../src/transports/sip/sip-endpoint.js';
import type { SipRequest } from '../../../src/transports/sip/sip-message.js';
import { ackFor, eventually, offerSdp, pump, quietLog, requestText, settle, SipTestPeer, stopWithClock } from './sip-test-peer.js';
import { loudFrames, TestAcceptor, toneFrame } from './test-acceptor.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

let rtpBase = 48_000;

async function endpoint(clock: VirtualClock, acceptor: TestAcceptor, extra: Partial<SipEndpointOptions> = {}): Promise<SipEndpoint> {
  const ep = new SipEndpoint({ host: '127.0.0.1', port: 0, transports: ['udp', 'tcp'], rtp: { min: rtpBase, max: rtpBase + 49 }, clock, log: quietLog, acceptor, maxCalls: 10, routes: [], ...extra });
  rtpBase += 50;
  await ep.start();
  cleanups.push(() => stopWithClock(() => ep.stop(), clock));
  return ep;
}

async function peer(): Promise<SipTestPeer> {
  const p = await SipTestPeer.udp();
  cleanups.push(() => p.close());
  return p;
}

async function rtpSocket(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  cleanups.push(() => void s.close());
  return s;
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** The registrar's / proxy's own check of a digest answer (RFC 2617 with qop=auth). */
function digestValid(header: string | undefined, method: string, password: string): boolean {
  if (!header?.startsWith('Digest ')) return false;
  const p = new Map<string, string>();
  for (const m of header.slice(7).matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)) p.set(m[1], m[2] ?? m[3]);
  const ha1 = md5(`${p.get('username')}:${p.get('realm')}:${password}`);
  const ha2 = md5(`${method}:${p.get('uri')}`);
  return p.get('response') === md5(`${ha1}:${p.get('nonce')}:${p.get('nc')}:${p.get('cnonce')}:${p.get('qop')}:${ha2}`);
}

const CHALLENGE = 'Digest realm="trunk.example", nonce="n0nce-1", qop="auth", algorithm=MD5, opaque="op"';

describe('outbound calls', () => {
  it('dials a number through the trunk, answers its 407 once with a digest the trunk verifies, and connects', async () => {
    const clock = new VirtualClock();
    const trunk = await peer();
    const media = await rtpSocket();
    const agent = new TestAcceptor();
    const ep = await endpoint(clock, agent, { trunk: { uri: `sip:127.0.0.1:${trunk.port}`, username: 'acct', password: 'pa55', fromUser: '+15550000' } });
    trunk.onRequest = (req) => {
      if (req.method !== 'INVITE') return;
      if (!digestValid(req.headers.get('Proxy-Authorization'), 'INVITE', 'pa55')) void trunk.reply(req, 407, 'Proxy Authentication Required', { headers: [`Proxy-Authenticate: ${CHALLENGE}`] });
      else void trunk.reply(req, 200, 'OK', { headers: [`Contact: <sip:gw@127.0.0.1:${trunk.port}>`], body: offerSdp(media.address().port) });
    };
    const placed = await ep.call({ to: '+1 (555) 123-4567', agent: 'sales', tenantId: 't1', callId: 'c-77' });
    expect(placed.callId).toBe('parley-1');
    const [first, second] = trunk.requests('INVITE');
    expect(first.uri).toBe(`sip:+15551234567@127.0.0.1:${trunk.port}`);
    expect(first.headers.get('From')).toMatch(new RegExp(`^<sip:\\+15550000@127\\.0\\.0\\.1:${trunk.port}>;tag=`));
    expect(second.callId).toBe(first.callId);
    expect(second.fromTag).toBe(first.fromTag);
    expect(second.cseq.seq).toBe(first.cseq.seq + 1);
    expect(second.headers.get('Proxy-Authorization')).toContain('opaque="op"');
    // One ACK for the 407 (by the transaction, same branch), one for the 200 (by the core, new branch).
    await trunk.waitRequest('ACK', 2);
    const [ack407, ack200] = trunk.requests('ACK');
    expect(ack407.topVia.params.get('branch')).toBe(first.topVia.params.get('branch'));
    expect(ack200.topVia.params.get('branch')).not.toBe(second.topVia.params.get('branch'));
    expect(ack200.cseq).toEqual({ seq: second.cseq.seq, method: 'ACK' });
    expect(ack200.uri).toBe(`sip:gw@127.0.0.1:${trunk.port}`);
    expect(agent.legs[0].info).toMatchObject({ direction: 'outbound', to: '+1 (555) 123-4567', agent: 'sales', tenantId: 't1', callId: 'c-77', from: '+15550000' });
    // The BYE at the end is challenged too, and answered.
    trunk.onRequest = (req) => {
      if (req.method !== 'BYE') return;
      if (!digestValid(req.headers.get('Proxy-Authorization'), 'BYE', 'pa55')) void trunk.reply(req, 407, 'Proxy Authentication Required', { headers: [`Proxy-Authenticate: ${CHALLENGE}`] });
      else void trunk.reply(req, 200, 'OK');
    };
    await agent.legs[0].leg.hangup('done');
    expect(trunk.requests('BYE')).toHaveLength(2);
    expect(ep.stats()).toMatchObject({ activeCalls: 0, rtpPortsInUse: 0, dialogs: 0 });
  });

  it('fails with the status when the credentials are wrong, after exactly one retry', async () => {
    const clock = new VirtualClock();
    const trunk = await peer();
    const ep = await endpoint(clock, new TestAcceptor(), { trunk: { uri: `sip:127.0.0.1:${trunk.port}`, username: 'acct', password: 'wrong' } });
    trunk.onRequest = (req) => {
      if (req.method === 'INVITE' && !digestValid(req.headers.get('Proxy-Authorization'), 'INVITE', 'pa55')) void trunk.reply(req, 407, 'Proxy Authentication Required', { headers: [`Proxy-Authenticate: ${CHALLENGE}`] });
    };
    const err = await ep.call({ to: '5551234' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SipCallFailedError);
    expect((err as SipCallFailedError).status).toBe(407);
    expect((err as Error).message).toContain('407 Proxy Authentication Required');
    expect(trunk.requests('INVITE')).toHaveLength(2);
    expect(ep.stats()).toMatchObject({ activeCalls: 0, rtpPortsInUse: 0 });
  });

  it('rejects with the SIP status of a refusal, and cancels a call nobody answers (CANCEL, 487)', async () => {
    const clock = new VirtualClock();
    const callee = await peer();
    const ep = await endpoint(clock, new TestAcceptor(), { ringTimeoutMs: 30_000 });
    callee.onRequest = (req) => {
      if (req.method === 'INVITE' && req.uri.startsWith('sip:busy')) void callee.reply(req, 486, 'Busy Here');
      if (req.method === 'INVITE' && req.uri.startsWith('sip:ring')) void callee.reply(req, 180, 'Ringing', { toTag: 'ringer' });
      if (req.method === 'CANCEL') {
        void callee.reply(req, 200, 'OK', { toTag: 'ringer' });
        const invite = callee.requests('INVITE').find((i) => i.callId === req.callId) as SipRequest;
        void callee.reply(invite, 487, 'Request Terminated', { toTag: 'ringer' });
      }
    };
    const busy = await ep.call({ to: `sip:busy@127.0.0.1:${callee.port}` }).catch((e: unknown) => e);
    expect((busy as SipCallFailedError).status).toBe(486);
    expect((busy as Error).message).toContain('486 Busy Here');

    let outcome: unknown = null;
    void ep.call({ to: `sip:ring@127.0.0.1:${callee.port}` }).catch((e: unknown) => (outcome = e));
    await eventually(() => callee.requests('INVITE').length === 2, 'the second INVITE');
    await settle(20);
    clock.advance(29_000);
    await settle(20);
    expect(callee.requests('CANCEL')).toHaveLength(0);
    clock.advance(1_000);
    await eventually(() => outcome !== null, 'the cancelled call to fail');
    const cancel = callee.requests('CANCEL')[0];
    const invite = callee.requests('INVITE')[1];
    expect(cancel.topVia.params.get('branch')).toBe(invite.topVia.params.get('branch'));
    expect(cancel.cseq).toEqual({ seq: invite.cseq.seq, method: 'CANCEL' });
    expect((outcome as SipCallFailedError).status).toBe(487);
    expect((outcome as Error).message).toContain('no answer within 30 s');
    await callee.waitRequest('ACK', 2);
    expect(ep.stats()).toMatchObject({ activeCalls: 0, rtpPortsInUse: 0, dialogs: 0 });
  });

  it('refuses a number without a trunk and a target that is not an address, before anything is sent', async () => {
    const ep = await endpoint(new VirtualClock(), new TestAcceptor());
    await expect(ep.call({ to: '+15551234' })).rejects.toThrow(DialTargetError);
    await expect(ep.call({ to: 'hello world' })).rejects.toThrow(/neither a phone number nor a SIP URI/);
    await expect(ep.call({ to: 'sips:secure@example.com' })).rejects.toThrow(/TLS/);
    expect(ep.stats()).toMatchObject({ activeCalls: 0, clientTransactions: 0 });
    const udpOnly = await endpoint(new VirtualClock(), new TestAcceptor(), { transports: ['udp'] });
    const err = await udpOnly.call({ to: 'sip:x@127.0.0.1:9;transport=tcp' }).catch((e: unknown) => e);
    expect((err as SipCallFailedError).status).toBe(503);
    expect((err as Error).message).toMatch(/TCP is not enabled/);
    expect(udpOnly.stats()).toMatchObject({ activeCalls: 0, rtpPortsInUse: 0 });
  });
});

describe('registration at the trunk', () => {
  it('registers with digest auth, refreshes at half the granted time, retries failures with backoff, unregisters on stop', async () => {
    const clock = new VirtualClock();
    const registrar = await peer();
    let mode: 'ok' | 'fail' = 'ok';
    registrar.onRequest = (req) => {
      if (req.method !== 'REGISTER') return;
      const expires = req.headers.get('Expires');
      if (!digestValid(req.headers.get('Authorization'), 'REGISTER', 'secret')) {
        void registrar.reply(req, 401, 'Unauthorized', { headers: [`WWW-Authenticate: ${CHALLENGE}`] });
      } else if (mode === 'fail') {
        void registrar.reply(req, 503, 'Service Unavailable');
      } else {
        void registrar.reply(req, 200, 'OK', { headers: [`Contact: ${req.headers.get('Contact')};expires=${expires === '0' ? 0 : 60}`] });
      }
    };
    const ep = await endpoint(clock, new TestAcceptor(), {
      trunk: { uri: `sip:127.0.0.1:${registrar.port}`, username: 'acct', password: 'secret', register: true, registerExpiresS: 300 },
      registerRetryMinMs: 1000,
      registerRetryMaxMs: 4000,
    });
    await eventually(() => ep.registrationState === 'registered', 'registered');
    const [first, authed] = registrar.requests('REGISTER');
    expect(first.uri).toBe(`sip:127.0.0.1:${registrar.port}`);
    expect(first.headers.get('Expires')).toBe('300');
    expect(first.headers.get('Contact')).toBe(`<sip:acct@127.0.0.1:${ep.port}>`);
    expect(first.headers.get('To')).toBe(`<sip:acct@127.0.0.1:${registrar.port}>`);
    expect(authed.callId).toBe(first.callId);
    expect(authed.cseq.seq).toBe(first.cseq.seq + 1);

    // Granted 60 s: the refresh comes at 30 s, not before.
    clock.advance(29_900);
    await settle(20);
    expect(registrar.requests('REGISTER')).toHaveLength(2);
    clock.advance(100);
    await eventually(() => registrar.requests('REGISTER').length === 4 && ep.registrationState === 'registered', 'the refresh (challenged and answered)');
    const refresh = registrar.requests('REGISTER')[2];
    expect(refresh.callId).toBe(first.callId);
    expect(refresh.cseq.seq).toBeGreaterThan(authed.cseq.seq);

    // The registrar fails: retries after 1 s, 2 s, 4 s, 4 s (backoff doubling, capped).
    mode = 'fail';
    clock.advance(30_000);
    await eventually(() => ep.registrationState === 'failed', 'failed');
    const attempts = (): number => registrar.requests('REGISTER').length;
    for (const wait of [1000, 2000, 4000, 4000]) {
      const n = attempts();
      clock.advance(wait - 1);
      await settle(20);
      expect(attempts()).toBe(n);
      clock.advance(1);
      // Each attempt is challenged first: two REGISTERs.
      await eventually(() => attempts() === n + 2 && ep.registrationState === 'failed', `the retry after ${wait} ms`);
    }
    mode = 'ok';
    clock.advance(4000);
    await eventually(() => ep.registrationState === 'registered', 'registered again');

    const before = attempts();
    await stopWithClock(() => ep.stop(), clock);
    const unregister = registrar.requests('REGISTER').slice(before);
    expect(unregister.length).toBeGreaterThanOrEqual(1);
    expect(unregister[unregister.length - 1].headers.get('Expires')).toBe('0');
  });
});

describe('transfers', () => {
  /** A phone (raw peer) calls the endpoint; the agent has the call. */
  async function inboundCall(clock: VirtualClock, extra: Partial<SipEndpointOptions> = {}) {
    const agent = new TestAcceptor();
    const ep = await endpoint(clock, agent, extra);
    const phone = await peer();
    const media = await rtpSocket();
    await phone.send(requestText({ method: 'INVITE', port: phone.port, callId: 'xfer', body: offerSdp(media.address().port) }), ep.port);
    const ok = await phone.waitResponse(200, 'INVITE');
    await phone.send(ackFor(ok, phone.port), ep.port);
    await eventually(() => agent.legs.length === 1 && agent.call().connected, 'the call connected');
    return { ep, agent, phone, ok };
  }

  const notify = (phone: SipTestPeer, refer: SipRequest, cseq: number, state: string, frag: string): string =>
    requestText({
      method: 'NOTIFY',
      port: phone.port,
      callId: refer.callId,
      fromTag: refer.toTag ?? undefined,
      toTag: refer.fromTag ?? undefined,
      cseq,
      extra: ['Event: refer', `Subscription-State: ${state}`],
      body: frag,
      contentType: 'message/sipfrag;version=2.0',
    });

  it('blind: REFER with Refer-To, 202, NOTIFY sipfrag progress, and on 200 the agent leaves with a BYE', async () => {
    const clock = new VirtualClock();
    const { ep, agent, phone } = await inboundCall(clock);
    phone.onRequest = (req) => {
      if (req.method === 'REFER') {
        void phone.reply(req, 202, 'Accepted');
        void phone.send(notify(phone, req, 2, 'active;expires=60', 'SIP/2.0 100 Trying\r\n'), ep.port);
      }
      if (req.method === 'BYE') void phone.reply(req, 200, 'OK');
    };
    let done = false;
    const transfer = agent.legs[0].leg.transfer('sip:bob@192.0.2.55', 'blind').then(() => (done = true));
    const refer = await phone.waitRequest('REFER');
    expect(refer.headers.get('Refer-To')).toBe('<sip:bob@192.0.2.55>');
    expect(refer.headers.get('Referred-By')).toMatch(/^<sip:agent@127\.0\.0\.1>$/);
    expect(refer.headers.get('Contact')).toContain(`127.0.0.1:${ep.port}`);
    await phone.waitResponse(200, 'NOTIFY');
    await settle(20);
    expect(done).toBe(false);
    expect(phone.requests('BYE')).toHaveLength(0);
    await phone.send(notify(phone, refer, 3, 'terminated;reason=noresource', 'SIP/2.0 200 OK\r\n'), ep.port);
    await transfer;
    expect(phone.responses(200, 'NOTIFY')).toHaveLength(2);
    expect(phone.requests('BYE')).toHaveLength(1);
    expect(agent.legs[0].ended).toEqual(['transferred']);
    expect(ep.stats()).toMatchObject({ activeCalls: 0, rtpPortsInUse: 0, dialogs: 0 });
  });

  it('blind: a failed transfer (NOTIFY 486) or a refused REFER rejects, and the call goes on', async () => {
    const clock = new VirtualClock();
    const { ep, agent, phone } = await inboundCall(clock);
    phone.onRequest = (req) => {
      if (req.method === 'REFER' && req.headers.get('Refer-To')?.includes('busy')) {
        void phone.reply(req, 202, 'Accepted');
        void phone.send(notify(phone, req, 2, 'terminated', 'SIP/2.0 486 Busy Here\r\n'), ep.port);
      } else if (req.method === 'REFER') {
        void phone.reply(req, 403, 'Forbidden');
      }
    };
    await expect(agent.legs[0].leg.transfer('sip:busy@192.0.2.1', 'blind')).rejects.toThrow(/486 Busy Here/);
    await expect(agent.legs[0].leg.transfer('sip:nobody@192.0.2.1', 'blind')).rejects.toThrow(/refused: 403 Forbidden/);
    expect(phone.requests('BYE')).toHaveLength(0);
    expect(agent.legs[0].ended).toEqual([]);
    expect(ep.activeCalls).toBe(1);
  });

  it('warm: dials the target, bridges audio and keys both ways once it answers, the agent leaves, and a hang-up on one side hangs up the other', async () => {
    const clock = new VirtualClock();
    const callerAgent = new TestAcceptor();
    const parleyAgent = new TestAcceptor();
    const targetAgent = new TestAcceptor();
    const caller = await endpoint(clock, callerAgent);
    const parley = await endpoint(clock, parleyAgent);
    const target = await endpoint(clock, targetAgent);
    await caller.call({ to: `sip:reception@127.0.0.1:${parley.port}` });
    await eventually(() => parleyAgent.legs.length === 1 && parleyAgent.call().connected, 'the call at Parley');
    await parleyAgent.legs[0].leg.transfer(`sip:expert@127.0.0.1:${target.port}`, 'warm');
    expect(parleyAgent.legs[0].ended).toEqual(['transferred']);
    expect(targetAgent.legs).toHaveLength(1);
    expect(parley.activeCalls).toBe(2);
    await eventually(() => targetAgent.call().connected, 'media at the target');

    const callerLeg = callerAgent.legs[0];
    const targetLeg = targetAgent.legs[0];
    for (let i = 0; i < 30; i++) {
      callerLeg.leg.sendAudio(toneFrame(i * 160));
      await pump(clock, 20);
    }
    await pump(clock, 100);
    expect(loudFrames(targetLeg.audio)).toBeGreaterThan(10);
    const agentHeard = parleyAgent.legs[0].audio.length;
    for (let i = 0; i < 30; i++) {
      targetLeg.leg.sendAudio(toneFrame(i * 160));
      await pump(clock, 20);
    }
    await pump(clock, 100);
    expect(loudFrames(callerLeg.audio)).toBeGreaterThan(10);
    expect(parleyAgent.legs[0].audio.length).toBe(agentHeard);

    const keys = callerLeg.leg.sendDtmf('42');
    await pump(clock, 1500);
    await keys;
    await eventually(() => targetLeg.dtmf.length === 2, 'keys relayed to the target');
    expect(targetLeg.dtmf).toEqual(['4', '2']);

    await targetLeg.leg.hangup('done');
    await eventually(() => callerLeg.ended.length === 1, 'the caller hung up by Parley');
    expect(callerLeg.ended).toEqual(['callee hung up']);
    await eventually(() => parley.stats().dialogs === 0, 'Parley dialogs removed');
    expect(parley.stats()).toMatchObject({ activeCalls: 0, rtpPortsInUse: 0 });
  });

  it('warm: a target that does not answer leaves the agent on the call', async () => {
    const clock = new VirtualClock();
    const { ep, agent } = await inboundCall(clock);
    const target = await peer();
    target.onRequest = (req) => {
      if (req.method === 'INVITE') void target.reply(req, 480, 'Temporarily Unavailable');
    };
    await expect(agent.legs[0].leg.transfer(`sip:expert@127.0.0.1:${target.port}`, 'warm')).rejects.toThrow(/480/);
    expect(agent.legs[0].ended).toEqual([]);
    expect(ep.activeCalls).toBe(1);
  });
});
