// The endpoint as a UAS, driven by a hand-written peer on real sockets: what a phone or a PBX sends,
// and exactly what comes back.
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock.js';
import { SipEndpoint, type SipEndpointOptions } from '../../../src/transports/sip/sip-endpoint.js';
import type { SipResponse } from '../../../src/transports/sip/sip-message.js';
import { ackFor, eventually, offerSdp, pump, quietLog, requestText, settle, SipTestPeer, stopWithClock } from './sip-test-peer.js';
import { PhoneCallRefusedError, TestAcceptor, toneFrame } from './test-acceptor.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

let rtpBase = 46_000;

async function setup(extra: Partial<SipEndpointOptions> = {}): Promise<{ ep: SipEndpoint; agent: TestAcceptor; clock: VirtualClock; peer: SipTestPeer; rtp: Socket; rtpPackets: Buffer[] }> {
  const clock = new VirtualClock();
  const agent = new TestAcceptor();
  const ep = new SipEndpoint({ host: '127.0.0.1', port: 0, transports: ['udp', 'tcp'], rtp: { min: rtpBase, max: rtpBase + 49 }, clock, log: quietLog, acceptor: agent, maxCalls: 5, routes: [], ...extra });
  rtpBase += 50;
  await ep.start();
  cleanups.push(() => stopWithClock(() => ep.stop(), clock));
  const peer = await SipTestPeer.udp();
  cleanups.push(() => peer.close());
  const rtp = createSocket('udp4');
  await new Promise<void>((resolve) => rtp.bind(0, '127.0.0.1', () => resolve()));
  const rtpPackets: Buffer[] = [];
  rtp.on('message', (m) => rtpPackets.push(m));
  cleanups.push(() => void rtp.close());
  return { ep, agent, clock, peer, rtp, rtpPackets };
}

/** INVITE, 200, ACK: an answered call from the peer. */
async function answeredCall(s: Awaited<ReturnType<typeof setup>>, callId = 'c1'): Promise<SipResponse> {
  const { ep, peer, rtp } = s;
  await peer.send(requestText({ method: 'INVITE', uri: 'sip:reception@127.0.0.1', port: peer.port, callId, body: offerSdp(rtp.address().port) }), ep.port);
  const ok = await peer.waitResponse(200, 'INVITE', peer.responses(200, 'INVITE').length + 1);
  await peer.send(ackFor(ok, peer.port), ep.port);
  await eventually(() => s.agent.legs.length > 0 && s.agent.call(s.agent.legs.length - 1).connected, 'media started');
  return ok;
}

function inDialog(ok: SipResponse, peerPort: number, method: string, cseq: number, extra: Partial<Parameters<typeof requestText>[0]> = {}): string {
  return requestText({ method, port: peerPort, callId: ok.callId, toTag: ok.toTag ?? undefined, cseq, ...extra });
}

describe('inbound calls from a raw peer', () => {
  it('answers 100, 180, then 200 with an SDP answer, To tag, Contact, Allow and Supported; starts media on the ACK', async () => {
    const s = await setup();
    const ok = await answeredCall(s);
    expect(s.peer.responses(100)).toHaveLength(1);
    expect(s.peer.responses(180)).toHaveLength(1);
    expect(ok.toTag).toBe(s.peer.responses(180)[0].toTag);
    expect(ok.headers.get('Contact')).toBe(`<sip:parley@127.0.0.1:${s.ep.port}>`);
    expect(ok.headers.getAll('Allow')).toEqual(['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'INFO', 'NOTIFY']);
    expect(ok.headers.has('Supported')).toBe(true);
    expect(ok.contentType).toBe('application/sdp');
    expect(ok.bodyText).toMatch(/m=audio \d+ RTP\/AVP 0 101/);
    expect(s.agent.legs[0].info).toMatchObject({ direction: 'inbound', from: '+15550001', to: 'reception', externalId: 'c1' });
    // The agent's audio reaches the peer's RTP port.
    for (let i = 0; i < 10; i++) {
      s.agent.legs[0].leg.sendAudio(toneFrame(i * 160));
      await pump(s.clock, 20);
    }
    await eventually(() => s.rtpPackets.length >= 10, 'RTP at the peer');
  });

  it('BYE from the peer: 200, the agent hears "caller hung up", ports and dialog released', async () => {
    const s = await setup();
    const ok = await answeredCall(s);
    await s.peer.send(inDialog(ok, s.peer.port, 'BYE', 2), s.ep.port);
    await s.peer.waitResponse(200, 'BYE');
    expect(s.agent.legs[0].ended).toEqual(['caller hung up']);
    expect(s.ep.stats()).toMatchObject({ activeCalls: 0, rtpPortsInUse: 0, dialogs: 0 });
  });

  it('the agent hanging up sends a BYE to the peer Contact', async () => {
    const s = await setup();
    const ok = await answeredCall(s);
    const hung = s.agent.legs[0].leg.hangup('conversation finished');
    const bye = await s.peer.waitRequest('BYE');
    expect(bye.uri).toBe(`sip:tester@127.0.0.1:${s.peer.port}`);
    expect(bye.callId).toBe(ok.callId);
    expect(bye.fromTag).toBe(ok.toTag);
    expect(bye.toTag).toBe('peer-tag');
    await s.peer.send(
      [
        'SIP/2.0 200 OK',
        ...bye.headers.getAll('Via').map((v) => `Via: ${v}`),
        `From: ${bye.headers.get('From')}`,
        `To: ${bye.headers.get('To')}`,
        `Call-ID: ${bye.callId}`,
        `CSeq: ${bye.headers.get('CSeq')}`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      s.ep.port,
    );
    await hung;
    expect(s.agent.legs[0].ended).toEqual([]);
    expect(s.ep.stats()).toMatchObject({ activeCalls: 0, rtpPortsInUse: 0, dialogs: 0, clientTransactions: 1 });
  });

  it('over TCP: the call is answered on the connection and our BYE goes back on it', async () => {
    const s = await setup();
    const tcp = await SipTestPeer.tcp(s.ep.port);
    cleanups.push(() => tcp.close());
    tcp.onRequest = (req) => {
      if (req.method === 'BYE') void tcp.reply(req, 200, 'OK');
    };
    await tcp.send(requestText({ method: 'INVITE', port: tcp.port, transport: 'TCP', callId: 'tcp-call', body: offerSdp(s.rtp.address().port) }), s.ep.port);
    const ok = await tcp.waitResponse(200, 'INVITE');
    expect(ok.headers.get('Contact')).toBe(`<sip:parley@127.0.0.1:${s.ep.port};transport=tcp>`);
    await tcp.send(ackFor(ok, tcp.port, 'TCP'), s.ep.port);
    await eventually(() => s.agent.legs.length === 1 && s.agent.call().connected, 'media');
    await s.agent.legs[0].leg.hangup('done');
    const bye = tcp.requests('BYE')[0];
    expect(bye.topVia.transport).toBe('TCP');
    expect(s.ep.stats()).toMatchObject({ activeCalls: 0, dialogs: 0, rtpPortsInUse: 0 });
  });

  it('CANCEL while the agent is being set up: 200 to the CANCEL, 487 to the INVITE, and the agent leaves at once', async () => {
    const s = await setup();
    s.agent.holdAccepts();
    const invite = requestText({ method: 'INVITE', port: s.peer.port, callId: 'cx', branch: 'z9hG4bK-cx', body: offerSdp(s.rtp.address().port) });
    await s.peer.send(invite, s.ep.port);
    await s.peer.waitResponse(180);
    await eventually(() => s.agent.offered === 1, 'accept() called');
    const cancel = invite
      .split('\r\n')
      .filter((l) => !/^(Contact|Content-Type)/.test(l))
      .join('\r\n')
      .replace(/^INVITE /, 'CANCEL ')
      .replace('CSeq: 1 INVITE', 'CSeq: 1 CANCEL')
      .replace(/Content-Length: \d+\r\n\r\n[\s\S]*$/, 'Content-Length: 0\r\n\r\n');
    await s.peer.send(cancel, s.ep.port);
    await s.peer.waitResponse(200, 'CANCEL');
    await s.peer.waitResponse(487, 'INVITE');
    expect(s.ep.stats()).toMatchObject({ activeCalls: 0, rtpPortsInUse: 0 });
    s.agent.release();
    await eventually(() => s.agent.legs.length === 1 && s.agent.legs[0].ended.length === 1, 'the agent told');
    expect(s.agent.legs[0].ended).toEqual(['caller hung up']);
    expect(s.peer.responses(200, 'INVITE')).toHaveLength(0);
    expect(s.ep.stats().dialogs).toBe(0);
  });

  it('hold and resume by re-INVITE: the answer follows the offer direction, o= version only moves when the SDP changes, hold stops our RTP', async () => {
    const s = await setup();
    const ok = await answeredCall(s);
    const version = (r: SipResponse): number => Number(/^o=\S+ \S+ (\d+)/m.exec(r.bodyText)?.[1]);
    const reinvite = async (cseq: number, direction: string): Promise<SipResponse> => {
      const n = s.peer.responses(200, 'INVITE').length;
      await s.peer.send(inDialog(ok, s.peer.port, 'INVITE', cseq, { body: offerSdp(s.rtp.address().port, [`a=${direction}`]) }), s.ep.port);
      const answer = await s.peer.waitResponse(200, 'INVITE', n + 1);
      await s.peer.send(ackFor(answer, s.peer.port), s.ep.port);
      await settle();
      return answer;
    };
    const hold = await reinvite(2, 'sendonly');
    expect(hold.bodyText).toContain('a=recvonly');
    expect(version(hold)).toBe(version(ok) + 1);
    expect(s.agent.call().negotiated?.direction).toBe('recvonly');
    const before = s.rtpPackets.length;
    for (let i = 0; i < 10; i++) {
      s.agent.legs[0].leg.sendAudio(toneFrame());
      await pump(s.clock, 20);
    }
    expect(s.rtpPackets.length).toBe(before);
    const resume = await reinvite(3, 'sendrecv');
    expect(resume.bodyText).toContain('a=sendrecv');
    expect(version(resume)).toBe(version(hold) + 1);
    const same = await reinvite(4, 'sendrecv');
    expect(version(same)).toBe(version(resume));
    for (let i = 0; i < 10; i++) {
      s.agent.legs[0].leg.sendAudio(toneFrame());
      await pump(s.clock, 20);
    }
    await eventually(() => s.rtpPackets.length > before, 'RTP again after resuming');
  });

  it('re-INVITE glare: 491 while our 2xx waits for its ACK', async () => {
    const s = await setup();
    await s.peer.send(requestText({ method: 'INVITE', port: s.peer.port, callId: 'g1', body: offerSdp(s.rtp.address().port) }), s.ep.port);
    const ok = await s.peer.waitResponse(200, 'INVITE');
    // No ACK yet: offer/answer still in progress.
    await s.peer.send(inDialog(ok, s.peer.port, 'INVITE', 2, { body: offerSdp(s.rtp.address().port) }), s.ep.port);
    await s.peer.waitResponse(491);
    await s.peer.send(ackFor(ok, s.peer.port), s.ep.port);
    await eventually(() => s.agent.call().connected, 'media');
    await s.peer.send(inDialog(ok, s.peer.port, 'BYE', 3), s.ep.port);
    await s.peer.waitResponse(200, 'BYE');
  });

  it('INFO carries DTMF (dtmf-relay and dtmf); other INFO bodies are 415, an unreadable key 400', async () => {
    const s = await setup();
    const ok = await answeredCall(s);
    let cseq = 2;
    const info = async (contentType: string, body: string): Promise<number> => {
      const n = s.peer.received.length;
      await s.peer.send(inDialog(ok, s.peer.port, 'INFO', cseq++, { body, contentType }), s.ep.port);
      await eventually(() => s.peer.received.length > n, 'an INFO answer');
      return (s.peer.received[s.peer.received.length - 1] as SipResponse).status;
    };
    expect(await info('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n')).toBe(200);
    expect(await info('application/dtmf-relay', 'Signal=11\r\nDuration=100\r\n')).toBe(200);
    expect(await info('application/dtmf', '*')).toBe(200);
    expect(await info('application/dtmf-relay', 'Signal=Z\r\n')).toBe(400);
    expect(await info('application/media_control+xml', '<x/>')).toBe(415);
    expect(s.agent.legs[0].dtmf).toEqual(['5', '#', '*']);
  });

  it('a request in a dialog that does not exist is 481; CSeq going backwards is 500', async () => {
    const s = await setup();
    await s.peer.send(requestText({ method: 'BYE', port: s.peer.port, callId: 'ghost', toTag: 'nope' }), s.ep.port);
    await s.peer.waitResponse(481, 'BYE');
    await s.peer.send(requestText({ method: 'BYE', port: s.peer.port, callId: 'no-tag' }), s.ep.port);
    await s.peer.waitResponse(481, 'BYE', 2);
    const ok = await answeredCall(s);
    await s.peer.send(inDialog(ok, s.peer.port, 'INFO', 5, { body: 'Signal=1', contentType: 'application/dtmf-relay' }), s.ep.port);
    await s.peer.waitResponse(200, 'INFO');
    await s.peer.send(inDialog(ok, s.peer.port, 'INFO', 4, { body: 'Signal=2', contentType: 'application/dtmf-relay' }), s.ep.port);
    const stale = await s.peer.waitResponse(500, 'INFO');
    expect(stale.reason).toContain('CSeq');
    expect(s.agent.legs[0].dtmf).toEqual(['1']);
  });

  it('answers methods it does not take with 405 (known) or 501 (unknown), and unsupported Require with 420', async () => {
    const s = await setup();
    await s.peer.send(requestText({ method: 'SUBSCRIBE', port: s.peer.port }), s.ep.port);
    const notAllowed = await s.peer.waitResponse(405, 'SUBSCRIBE');
    expect(notAllowed.headers.getAll('Allow')).toContain('INVITE');
    await s.peer.send(requestText({ method: 'FROBNICATE', port: s.peer.port }), s.ep.port);
    await s.peer.waitResponse(501, 'FROBNICATE');
    await s.peer.send(requestText({ method: 'INVITE', port: s.peer.port, extra: ['Require: 100rel, foo'], body: offerSdp(5000) }), s.ep.port);
    const bad = await s.peer.waitResponse(420, 'INVITE');
    expect(bad.headers.getAll('Unsupported')).toEqual(['100rel', 'foo']);
    expect(s.agent.offered).toBe(0);
  });

  it('OPTIONS: 200 with Allow, Accept and the load; 503 with Retry-After once full', async () => {
    const s = await setup({ maxCalls: 1, retryAfterS: 7 });
    await s.peer.send(requestText({ method: 'OPTIONS', port: s.peer.port }), s.ep.port);
    const idle = await s.peer.waitResponse(200, 'OPTIONS');
    expect(idle.headers.get('X-Parley-Load')).toBe('calls=0;max=1');
    expect(idle.headers.getAll('Accept')).toContain('application/sdp');
    expect(idle.headers.getAll('Allow')).toContain('BYE');
    const ok = await answeredCall(s);
    await s.peer.send(requestText({ method: 'OPTIONS', port: s.peer.port }), s.ep.port);
    const full = await s.peer.waitResponse(503, 'OPTIONS');
    // Inside the call, an OPTIONS keep-alive is still 200.
    await s.peer.send(inDialog(ok, s.peer.port, 'OPTIONS', 2), s.ep.port);
    const keepAlive = await s.peer.waitResponse(200, 'OPTIONS', 2);
    expect(keepAlive.headers.get('X-Parley-Load')).toBe('calls=1;max=1');
    expect(full.headers.get('X-Parley-Load')).toBe('calls=1;max=1');
    expect(full.headers.get('Retry-After')).toBe('7');
    await s.peer.send(requestText({ method: 'INVITE', port: s.peer.port, callId: 'one-too-many', body: offerSdp(5000) }), s.ep.port);
    const refused = await s.peer.waitResponse(503, 'INVITE');
    expect(refused.headers.get('Retry-After')).toBe('7');
  });

  it('SDP it cannot use is 488, a body that is not SDP 415, an INVITE without an offer gets ours in the 200 and the answer in the ACK', async () => {
    const s = await setup();
    const video = ['v=0', 'o=x 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=video 5000 RTP/AVP 96', 'a=rtpmap:96 H264/90000', ''].join('\r\n');
    await s.peer.send(requestText({ method: 'INVITE', port: s.peer.port, callId: 'v', body: video }), s.ep.port);
    await s.peer.waitResponse(488);
    await s.peer.send(requestText({ method: 'INVITE', port: s.peer.port, callId: 'x', body: '<xml/>', contentType: 'application/xml' }), s.ep.port);
    const unsupported = await s.peer.waitResponse(415);
    expect(unsupported.headers.get('Accept')).toBe('application/sdp');
    expect(s.agent.offered).toBe(0);
    expect(s.ep.stats().rtpPortsInUse).toBe(0);

    await s.peer.send(requestText({ method: 'INVITE', port: s.peer.port, callId: 'late' }), s.ep.port);
    const ok = await s.peer.waitResponse(200, 'INVITE');
    expect(ok.bodyText).toMatch(/m=audio \d+ RTP\/AVP 0 8 101/);
    const answer = offerSdp(s.rtp.address().port).replace('RTP/AVP 0 8 101', 'RTP/AVP 8 101').replace('a=rtpmap:0 PCMU/8000\r\n', '');
    await s.peer.send(ackFor(ok, s.peer.port, 'UDP', answer), s.ep.port);
    await eventually(() => s.agent.call().connected, 'media from the late answer');
    expect(s.agent.call().negotiated?.codec).toBe('PCMA');
  });

  it('a route miss is 404 and refusals map to 486/503/403', async () => {
    const s = await setup({ routes: [{ match: 'support', agent: 'help' }] });
    await s.peer.send(requestText({ method: 'INVITE', uri: 'sip:sales@127.0.0.1', port: s.peer.port, callId: 'r1', body: offerSdp(5000) }), s.ep.port);
    const miss = await s.peer.waitResponse(404);
    expect(miss.reason).toContain('no route');
    s.agent.refuse = new PhoneCallRefusedError('busy', 'busy');
    await s.peer.send(requestText({ method: 'INVITE', uri: 'sip:support@127.0.0.1', port: s.peer.port, callId: 'r2', body: offerSdp(5000) }), s.ep.port);
    await s.peer.waitResponse(486);
    expect(s.ep.stats()).toMatchObject({ activeCalls: 0, rtpPortsInUse: 0, dialogs: 0 });
  });

  it('answers along the Via: to the source port when the peer asked for rport, with received and rport filled in', async () => {
    const s = await setup();
    // The Via names port 9 (nothing listens there); with rport the answer still comes to the real source.
    const text = requestText({ method: 'OPTIONS', port: s.peer.port, rport: true }).replace(`127.0.0.1:${s.peer.port};branch`, '127.0.0.1:9;branch');
    await s.peer.send(text, s.ep.port);
    const res = await s.peer.waitResponse(200, 'OPTIONS');
    expect(res.topVia.params.get('rport')).toBe(String(s.peer.port));
    expect(res.topVia.params.get('received')).toBe('127.0.0.1');
  });
});
