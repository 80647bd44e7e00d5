// RFC 3261 17 timers, on a virtual clock, against a real UA on real sockets: what a peer sees on the
// wire at each instant.
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock.js';
import type { IncomingInvite } from '../../../src/transports/sip/sip-invite-uas.js';
import { SipUserAgent, type SipUaHandler } from '../../../src/transports/sip/sip-user-agent.js';
import { ackFor, eventually, quietLog, requestText, settle, SipTestPeer } from './sip-test-peer.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

type Answer = (invite: IncomingInvite) => void;

async function startUa(answer: Answer, transports: Array<'udp' | 'tcp'> = ['udp', 'tcp']): Promise<{ ua: SipUserAgent; clock: VirtualClock; invites: IncomingInvite[] }> {
  const clock = new VirtualClock();
  const invites: IncomingInvite[] = [];
  const handler: SipUaHandler = {
    invite: (invite) => {
      invites.push(invite);
      answer(invite);
    },
    options: () => ({ status: 200, headers: [] }),
  };
  const ua = new SipUserAgent({ host: '127.0.0.1', port: 0, transports, clock, log: quietLog, handler });
  await ua.start();
  cleanups.push(() => ua.stop());
  return { ua, clock, invites };
}

async function udpPeer(): Promise<SipTestPeer> {
  const peer = await SipTestPeer.udp();
  cleanups.push(() => peer.close());
  return peer;
}

/** Advances to each instant and returns how many of `count()` had arrived by then. */
async function countsAt(clock: VirtualClock, instants: number[], count: () => number): Promise<number[]> {
  const out: number[] = [];
  for (const at of instants) {
    clock.advanceTo(at);
    await settle(15);
    out.push(count());
  }
  return out;
}

describe('INVITE server transaction and the UAS core', () => {
  it('sends 100 at once and retransmits the 2xx at T1, 2T1, 4T1 ... capped at T2 until the ACK', async () => {
    const { ua, clock } = await startUa((invite) => {
      invite.provisional(180);
      invite.accept({ body: 'v=0\r\n' });
    });
    const peer = await udpPeer();
    await peer.send(requestText({ method: 'INVITE', port: peer.port }), ua.port);
    const ok = await peer.waitResponse(200);
    expect(peer.responses(100)).toHaveLength(1);
    expect(peer.responses(180)).toHaveLength(1);
    expect(ok.toTag).toBeTruthy();
    expect(ok.headers.get('Contact')).toContain(`127.0.0.1:${ua.port}`);
    expect(ok.headers.get('Allow')).toContain('INVITE');
    // Retransmissions at 500, 1500, 3500, 7500, 11500 (T1 = 500 doubling to T2 = 4000).
    const seen = await countsAt(clock, [499, 500, 1499, 1500, 3500, 7500, 11500], () => peer.responses(200).length);
    expect(seen).toEqual([1, 2, 2, 3, 4, 5, 6]);
    await peer.send(ackFor(ok, peer.port), ua.port);
    await settle(15);
    clock.advance(20_000);
    await settle(15);
    expect(peer.responses(200)).toHaveLength(6);
    expect(ua.stats().awaitingAck).toBe(0);
  });

  it('gives up on a 2xx never ACKed after 64*T1 and says so', async () => {
    let timedOut = 0;
    const { ua, clock } = await startUa((invite) => {
      invite.onAckTimeout = () => (timedOut += 1);
      invite.accept({});
    });
    const peer = await udpPeer();
    await peer.send(requestText({ method: 'INVITE', port: peer.port }), ua.port);
    await peer.waitResponse(200);
    clock.advanceTo(31_999);
    await settle(15);
    expect(timedOut).toBe(0);
    clock.advanceTo(32_000);
    await settle(15);
    expect(timedOut).toBe(1);
    const sent = peer.responses(200).length;
    clock.advance(10_000);
    await settle(15);
    expect(peer.responses(200)).toHaveLength(sent);
  });

  it('absorbs a retransmitted INVITE: the TU sees it once, the peer gets the last response again', async () => {
    const { ua, invites } = await startUa((invite) => invite.provisional(180));
    const peer = await udpPeer();
    const invite = requestText({ method: 'INVITE', port: peer.port, branch: 'z9hG4bK-same' });
    await peer.send(invite, ua.port);
    await peer.waitResponse(180);
    await peer.send(invite, ua.port);
    await peer.waitResponse(180, undefined, 2);
    expect(invites).toHaveLength(1);
    expect(ua.stats().serverTransactions).toBe(1);
  });

  it('retransmits a non-2xx final with timer G until the ACK, which the transaction absorbs', async () => {
    const { ua, clock, invites } = await startUa((invite) => invite.reject(486));
    const peer = await udpPeer();
    const text = requestText({ method: 'INVITE', port: peer.port, branch: 'z9hG4bK-busy' });
    await peer.send(text, ua.port);
    const busy = await peer.waitResponse(486);
    const seen = await countsAt(clock, [500, 1500, 3500], () => peer.responses(486).length);
    expect(seen).toEqual([2, 3, 4]);
    // The ACK for a non-2xx reuses the INVITE's branch (17.1.1.3).
    const ack = text
      .replace(/^INVITE /, 'ACK ')
      .replace('CSeq: 1 INVITE', 'CSeq: 1 ACK')
      .replace(/To: <sip:agent@127.0.0.1>/, `To: <sip:agent@127.0.0.1>;tag=${busy.toTag}`);
    await peer.send(ack, ua.port);
    await settle(15);
    clock.advance(20_000);
    await settle(15);
    expect(peer.responses(486)).toHaveLength(4);
    expect(invites).toHaveLength(1);
    // Timer I (T4) after the ACK, then the transaction is gone.
    expect(ua.stats().serverTransactions).toBe(0);
  });

  it('stops retransmitting a non-2xx final at timer H (64*T1) without an ACK', async () => {
    const { ua, clock } = await startUa((invite) => invite.reject(603));
    const peer = await udpPeer();
    await peer.send(requestText({ method: 'INVITE', port: peer.port }), ua.port);
    await peer.waitResponse(603);
    // G: 500, 1500, 3500, 7500, then every 4000 (T2) up to 31500: 10 copies after the first.
    const seen = await countsAt(clock, [7500, 31_999, 32_000, 60_000], () => peer.responses(603).length);
    expect(seen).toEqual([5, 11, 11, 11]);
    expect(ua.stats().serverTransactions).toBe(0);
  });

  it('over TCP sends each response once (no G retransmission) and on the same connection', async () => {
    const { ua, clock } = await startUa((invite) => invite.reject(480));
    const peer = await SipTestPeer.tcp(ua.port);
    cleanups.push(() => peer.close());
    await peer.send(requestText({ method: 'INVITE', port: peer.port, transport: 'TCP' }), ua.port);
    await peer.waitResponse(480);
    clock.advance(40_000);
    await settle(15);
    expect(peer.responses(480)).toHaveLength(1);
    expect(peer.responses(100)).toHaveLength(1);
  });

  it('answers CANCEL with 200 and the INVITE with 487; a CANCEL for nothing gets 481', async () => {
    let cancelled = 0;
    const { ua } = await startUa((invite) => {
      invite.onCancel = () => (cancelled += 1);
      invite.provisional(180);
    });
    const peer = await udpPeer();
    const invite = requestText({ method: 'INVITE', port: peer.port, branch: 'z9hG4bK-c1', callId: 'cancel-me' });
    await peer.send(invite, ua.port);
    const ringing = await peer.waitResponse(180);
    const cancel = invite
      .split('\r\n')
      .filter((l) => !l.startsWith('Contact'))
      .join('\r\n')
      .replace(/^INVITE /, 'CANCEL ')
      .replace('CSeq: 1 INVITE', 'CSeq: 1 CANCEL');
    await peer.send(cancel, ua.port);
    const ok = await peer.waitResponse(200, 'CANCEL');
    const terminated = await peer.waitResponse(487, 'INVITE');
    expect(cancelled).toBe(1);
    expect(ok.toTag).toBe(ringing.toTag);
    expect(terminated.toTag).toBe(ringing.toTag);
    await peer.send(requestText({ method: 'CANCEL', port: peer.port, callId: 'never-invited' }), ua.port);
    await peer.waitResponse(481, 'CANCEL');
  });
});

describe('client transactions', () => {
  it('retransmits an INVITE over UDP at 0, T1, 3T1, 7T1 ... (timer A doubling) and times out at B = 64*T1', async () => {
    const { ua, clock } = await startUa(() => undefined);
    const silent = await udpPeer();
    const invite = ua.invite({ uri: `sip:nobody@127.0.0.1:${silent.port}`, from: '<sip:parley@127.0.0.1>', to: `<sip:nobody@127.0.0.1:${silent.port}>`, callId: 'a-timer', cseq: 1, body: 'v=0\r\n' });
    let outcome: Awaited<typeof invite.outcome> | null = null;
    void invite.outcome.then((o) => (outcome = o));
    await silent.waitRequest('INVITE');
    const seen = await countsAt(clock, [499, 500, 1500, 3500, 7500, 15_500, 31_500, 31_999], () => silent.requests('INVITE').length);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 7]);
    expect(outcome).toBeNull();
    clock.advanceTo(32_000);
    await eventually(() => outcome !== null, 'the INVITE outcome');
    expect(outcome).toMatchObject({ kind: 'failed', status: 408 });
    // Every retransmission is the same request (same branch).
    expect(new Set(silent.requests('INVITE').map((r) => r.topVia.params.get('branch'))).size).toBe(1);
  });

  it('retransmits a non-INVITE at timer E (doubling, capped at T2) and times out at F', async () => {
    const { ua, clock } = await startUa(() => undefined);
    const silent = await udpPeer();
    const pending = ua.request({ method: 'OPTIONS', uri: `sip:127.0.0.1:${silent.port}`, from: '<sip:parley@127.0.0.1>', to: `<sip:127.0.0.1:${silent.port}>`, callId: 'e-timer', cseq: 1 });
    await silent.waitRequest('OPTIONS');
    const seen = await countsAt(clock, [500, 1500, 3500, 7500, 11_500, 31_500], () => silent.requests('OPTIONS').length);
    expect(seen).toEqual([2, 3, 4, 5, 6, 11]);
    clock.advanceTo(32_000);
    const res = await pending;
    expect(res.status).toBe(408);
  });

  it('a provisional response stops INVITE retransmissions; a non-2xx final is ACKed by the transaction, again for each retransmission', async () => {
    const { ua, clock } = await startUa(() => undefined);
    const callee = await udpPeer();
    const invite = ua.invite({ uri: `sip:busy@127.0.0.1:${callee.port}`, from: '<sip:parley@127.0.0.1>', to: `<sip:busy@127.0.0.1:${callee.port}>`, callId: 'busy-call', cseq: 1 });
    const req = await callee.waitRequest('INVITE');
    const reply = (status: number, reason: string): string =>
      [
        `SIP/2.0 ${status} ${reason}`,
        ...req.headers.getAll('Via').map((v) => `Via: ${v}`),
        `From: ${req.headers.get('From')}`,
        `To: ${req.headers.get('To')};tag=callee`,
        `Call-ID: ${req.callId}`,
        `CSeq: ${req.headers.get('CSeq')}`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
    await callee.send(reply(180, 'Ringing'), ua.port);
    await settle(15);
    clock.advance(10_000);
    await settle(15);
    expect(callee.requests('INVITE')).toHaveLength(1);
    await callee.send(reply(486, 'Busy Here'), ua.port);
    const outcome = await invite.outcome;
    expect(outcome).toMatchObject({ kind: 'failed', status: 486 });
    const ack = await callee.waitRequest('ACK');
    expect(ack.topVia.params.get('branch')).toBe(req.topVia.params.get('branch'));
    expect(ack.toTag).toBe('callee');
    await callee.send(reply(486, 'Busy Here'), ua.port);
    await callee.waitRequest('ACK', 2);
  });

  it('ACKs a 2xx from the UA core (new branch) and again when the 2xx is retransmitted', async () => {
    const { ua } = await startUa(() => undefined);
    const callee = await udpPeer();
    const invite = ua.invite({ uri: `sip:ok@127.0.0.1:${callee.port}`, from: '<sip:parley@127.0.0.1>', to: `<sip:ok@127.0.0.1:${callee.port}>`, callId: 'ok-call', cseq: 7 });
    const req = await callee.waitRequest('INVITE');
    const ok = [
      'SIP/2.0 200 OK',
      ...req.headers.getAll('Via').map((v) => `Via: ${v}`),
      `From: ${req.headers.get('From')}`,
      `To: ${req.headers.get('To')};tag=answered`,
      `Call-ID: ${req.callId}`,
      `CSeq: ${req.headers.get('CSeq')}`,
      `Contact: <sip:callee@127.0.0.1:${callee.port}>`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    await callee.send(ok, ua.port);
    const outcome = await invite.outcome;
    expect(outcome.kind).toBe('answered');
    const ack = await callee.waitRequest('ACK');
    expect(ack.cseq).toEqual({ seq: 7, method: 'ACK' });
    expect(ack.uri).toBe(`sip:callee@127.0.0.1:${callee.port}`);
    expect(ack.topVia.params.get('branch')).not.toBe(req.topVia.params.get('branch'));
    await callee.send(ok, ua.port);
    const again = await callee.waitRequest('ACK', 2);
    expect(again.toString()).toBe(ack.toString());
    expect(ua.stats().dialogs).toBe(1);
  });
});
