import { afterEach, describe, expect, it } from 'vitest';
import { aLawDecode, aLawEncode, muLawDecode, muLawEncode } from '../../../../src/audio/g711.js';
import { VirtualClock, systemClock } from '../../../../src/clock.js';
import { RtpPortPool, type RtpSockets } from '../../../../src/transports/sip/media/rtp-port-pool.js';
import { RtpSession, type RtpSessionOptions } from '../../../../src/transports/sip/media/rtp-session.js';
import type { G711Codec, NegotiatedMedia } from '../../../../src/transports/sip/media/sdp-negotiation.js';
import { decodeTelephoneEvent } from '../../../../src/transports/sip/media/telephone-event.js';
import {
  ntpMiddle32,
  parseRtcp,
  writeReceiverReport,
  type RtcpItem,
} from '../../../../src/transports/sip/media/rtcp-packet.js';
import { UdpPeer, eventually, settle } from './udp-peer.js';

const pool = new RtpPortPool({ host: '127.0.0.1', min: 42000, max: 42999 });
const cleanups: (() => void)[] = [];

afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function media(port: number, codec: G711Codec = 'PCMU', extra: Partial<NegotiatedMedia> = {}): NegotiatedMedia {
  return {
    remoteAddress: '127.0.0.1',
    remotePort: port,
    codec,
    payloadType: codec === 'PCMU' ? 0 : 8,
    dtmfPayloadType: 101,
    ptimeMs: 20,
    direction: 'sendrecv',
    ...extra,
  };
}

interface Harness {
  session: RtpSession;
  sockets: RtpSockets;
  audio: Int16Array[];
  digits: string[];
}

async function open(
  remote: NegotiatedMedia | ((sockets: RtpSockets) => NegotiatedMedia),
  options: Partial<RtpSessionOptions> = {},
): Promise<Harness> {
  const sockets = await pool.allocate();
  const audio: Int16Array[] = [];
  const digits: string[] = [];
  const session = new RtpSession({
    sockets,
    media: typeof remote === 'function' ? remote(sockets) : remote,
    clock: options.clock ?? systemClock,
    onAudio: (s) => audio.push(s),
    onDtmf: (d) => digits.push(d),
    ...options,
  });
  cleanups.push(() => {
    session.close();
    sockets.release();
  });
  return { session, sockets, audio, digits };
}

async function peer(): Promise<UdpPeer> {
  const p = await UdpPeer.open();
  cleanups.push(() => p.close());
  return p;
}

/** A 440 Hz test tone in 20 ms frames at 8 kHz, continuing phase from frame to frame. */
function tone(frames: number, amplitude = 8000): Int16Array[] {
  return Array.from({ length: frames }, (_, f) => {
    const out = new Int16Array(160);
    for (let i = 0; i < 160; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * 440 * (f * 160 + i)) / 8000));
    return out;
  });
}

function constantFrame(value: number): Int16Array {
  return new Int16Array(160).fill(value);
}

/** Advances the virtual clock tick by tick, letting the sockets deliver between ticks. */
async function runTicks(clock: VirtualClock, ticks: number): Promise<void> {
  for (let i = 0; i < ticks; i++) {
    clock.advance(20);
    await settle(1);
  }
}

describe('RtpSession audio', () => {
  for (const codec of ['PCMU', 'PCMA'] as const) {
    it(`carries a tone bit-exactly (after ${codec}) from one session to another`, async () => {
      const clock = new VirtualClock(0);
      let bSockets: RtpSockets | null = null;
      const b = await open(
        (s) => {
          bSockets = s;
          return media(0, codec); // fixed below, once A has its port
        },
        { clock },
      );
      const a = await open(media(bSockets!.port, codec), { clock });
      b.session.update(media(a.sockets.port, codec));
      a.session.start();
      b.session.start();

      const frames = tone(25);
      for (const [k, f] of frames.entries()) {
        a.session.sendFrame(f);
        await eventually(() => b.session.stats().packetsReceived === k + 1, `packet ${k} at B`);
        clock.advance(20);
      }
      await runTicks(clock, 10);

      const encode = codec === 'PCMU' ? muLawEncode : aLawEncode;
      const decode = codec === 'PCMU' ? muLawDecode : aLawDecode;
      const expected = frames.map((f) => decode(encode(f)));
      const start = b.audio.findIndex((f) => f.some((s) => s !== 0));
      expect(start).toBeGreaterThan(0);
      expect(b.audio.slice(start, start + 25)).toEqual(expected);
      // Nothing was lost or concealed on the way.
      expect(b.session.stats()).toMatchObject({ packetsLost: 0, packetsDiscarded: 0 });
      expect(b.audio.every((f) => f.length === 160)).toBe(true);
    });
  }

  it('keeps sequence numbers and timestamps continuous across real and silence frames', async () => {
    const clock = new VirtualClock(1000);
    const r = await peer();
    const a = await open(media(r.port), { clock, ssrc: 0x11223344 });
    a.session.start();
    const frames = tone(8);
    let expectedCount = 0;
    // 5 frames of speech, 6 slots of nothing (silence fill), 3 frames of speech.
    for (let step = 0; step < 14; step++) {
      if (step < 5 || step >= 11) {
        a.session.sendFrame(frames[step < 5 ? step : step - 6]);
        expectedCount++;
      }
      clock.advance(20);
      if (step >= 5 && step < 11) expectedCount++;
      await eventually(() => r.rtp().length === expectedCount, `${expectedCount} packets`);
    }
    const packets = r.rtp();
    expect(packets).toHaveLength(14);
    for (let i = 1; i < packets.length; i++) {
      expect(packets[i].sequence).toBe((packets[i - 1].sequence + 1) & 0xffff);
      expect(packets[i].timestamp).toBe((packets[i - 1].timestamp + 160) % 2 ** 32);
      expect(packets[i].ssrc).toBe(0x11223344);
      expect(packets[i].payloadType).toBe(0);
      expect(packets[i].payload).toHaveLength(160);
    }
    const silent = packets.slice(5, 11);
    expect(silent.every((p) => p.payload.every((b) => b === 0xff))).toBe(true); // mu-law zero
    expect(packets.map((p) => p.marker)).toEqual(packets.map((_, i) => i === 0 || i === 11));
    expect(Uint8Array.from(packets[11].payload)).toEqual(muLawEncode(frames[5]));
  });

  it('keeps the stream alive with silence when no frame is given at all', async () => {
    const clock = new VirtualClock(0);
    const r = await peer();
    const a = await open(media(r.port, 'PCMA'), { clock });
    a.session.start();
    await runTicks(clock, 10);
    await eventually(() => r.rtp().length === 10, '10 silence packets');
    expect(r.rtp().every((p) => p.payloadType === 8 && p.payload.every((b) => b === 0xd5))).toBe(true);
    expect(a.session.stats().packetsSent).toBe(10);
  });

  it('puts reordered packets back in order and drops a duplicate', async () => {
    const clock = new VirtualClock(0);
    const r = await peer();
    const b = await open(media(r.port), { clock });
    b.session.start();
    const order = [0, 1, 3, 2, 4, 4, 5, 7, 6];
    for (const k of order) {
      await r.sendRtp({ marker: k === 0, payloadType: 0, sequence: 65533 + k, timestamp: 1000 + k * 160, ssrc: 99, payload: muLawEncode(constantFrame((k + 1) * 1000)) }, b.sockets.port);
    }
    await eventually(() => b.session.stats().packetsReceived === order.length, 'all injected packets');
    await runTicks(clock, 20);
    const played = b.audio.filter((f) => f[0] !== 0).map((f) => f[0]);
    const expected = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => muLawDecode(muLawEncode(constantFrame((k + 1) * 1000)))[0]);
    expect(played.slice(0, 8)).toEqual(expected);
    expect(b.session.stats().packetsDiscarded).toBe(1);
    expect(b.session.stats().packetsLost).toBe(0);
  });

  it('counts garbage and packets of a foreign payload type without crashing', async () => {
    const clock = new VirtualClock(0);
    const r = await peer();
    const b = await open(media(r.port), { clock });
    b.session.start();
    const valid = { marker: false, payloadType: 0, sequence: 10, timestamp: 1600, ssrc: 7, payload: new Uint8Array(160).fill(0x80) };
    const version1 = Buffer.alloc(172);
    version1[0] = 0x40;
    const badPadding = Buffer.from(new Uint8Array(20));
    badPadding[0] = 0xa0; // v2 + padding bit
    badPadding[19] = 200; // more padding than the packet has
    const badExtension = Buffer.from(new Uint8Array(24));
    badExtension[0] = 0x90; // v2 + extension bit
    badExtension[14] = 0xff; // extension length far past the end
    const garbage = [
      Buffer.from([1, 2, 3]),
      version1,
      badPadding,
      badExtension,
      Buffer.concat([Buffer.from([0x80, 0x00]), Buffer.alloc(10)]), // header only, empty payload
    ];
    for (const g of garbage) await r.send(g, b.sockets.port);
    await r.sendRtp({ ...valid, payloadType: 18 }, b.sockets.port); // G.729, not negotiated
    await r.send(Buffer.from('not rtcp at all'), b.sockets.rtcp.address().port);
    await r.sendRtp(valid, b.sockets.port);
    await eventually(() => b.session.stats().packetsReceived === 1, 'the valid packet');
    await eventually(() => b.session.stats().packetsDiscarded === 7, 'seven discards');
    await runTicks(clock, 5);
    expect(b.audio).toHaveLength(5);
  });

  it('latches onto the real source of the packets (symmetric RTP)', async () => {
    const clock = new VirtualClock(0);
    const decoy = await peer(); // what the SDP said
    const real = await peer(); // where the packets really come from (a NAT)
    const other = await peer(); // someone else, while the real source is active
    const b = await open(media(decoy.port), { clock });
    b.session.start();
    await runTicks(clock, 2);
    await eventually(() => decoy.rtp().length === 2, 'packets to the SDP address before latching');

    const packet = (seq: number) => ({ marker: false, payloadType: 0, sequence: seq, timestamp: seq * 160, ssrc: 5, payload: new Uint8Array(160).fill(0xff) });
    await real.sendRtp(packet(1), b.sockets.port);
    await eventually(() => b.session.stats().packetsReceived === 1, 'first packet from the real source');
    await other.sendRtp({ ...packet(2), ssrc: 6 }, b.sockets.port);
    await eventually(() => b.session.stats().packetsDiscarded === 1, 'the other source discarded');

    await runTicks(clock, 3);
    await eventually(() => real.rtp().length === 3, 'packets to the latched source');
    expect(decoy.rtp()).toHaveLength(2);
    expect(other.rtp()).toHaveLength(0);
    expect(b.session.stats().lastRemote).toEqual({ address: '127.0.0.1', port: real.port });
  });

  it('sends nothing while on hold and resumes with continuing sequence numbers and a marker', async () => {
    const clock = new VirtualClock(0);
    const r = await peer();
    const a = await open(media(r.port), { clock });
    a.session.start();
    const f = tone(1)[0];
    for (let i = 0; i < 3; i++) {
      a.session.sendFrame(f);
      clock.advance(20);
    }
    await eventually(() => r.rtp().length === 3, 'three packets');

    a.session.update(media(r.port, 'PCMU', { direction: 'recvonly' }));
    await expect(a.session.sendDtmf('1')).rejects.toThrow(/hold/);
    for (let i = 0; i < 10; i++) {
      a.session.sendFrame(f);
      clock.advance(20);
    }
    await settle(30);
    expect(r.rtp()).toHaveLength(3);

    a.session.update(media(r.port, 'PCMU', { direction: 'inactive' }));
    await runTicks(clock, 3);
    expect(r.rtp()).toHaveLength(3);

    a.session.update(media(r.port));
    a.session.sendFrame(f);
    await eventually(() => r.rtp().length === 4, 'the packet after hold');
    const [before, after] = r.rtp().slice(2);
    expect(after.sequence).toBe((before.sequence + 1) & 0xffff);
    expect(after.marker).toBe(true);
    // The timestamp kept running through the hold: 13 slots of 160.
    expect((after.timestamp - before.timestamp + 2 ** 32) % 2 ** 32).toBe(14 * 160);
  });

  it('moves to a new address, codec and payload type on update', async () => {
    const clock = new VirtualClock(0);
    const first = await peer();
    const second = await peer();
    const a = await open(media(first.port), { clock });
    a.session.start();
    await runTicks(clock, 2);
    await eventually(() => first.rtp().length === 2, 'packets to the first address');
    a.session.update(media(second.port, 'PCMA'));
    a.session.sendFrame(constantFrame(1234));
    await eventually(() => second.rtp().length === 1, 'a packet at the new address');
    const p = second.rtp()[0];
    expect(p.payloadType).toBe(8);
    expect(Uint8Array.from(p.payload)).toEqual(aLawEncode(constantFrame(1234)));
    expect(p.sequence).toBe((first.rtp()[1].sequence + 1) & 0xffff);
  });

  it('refuses a frame of the wrong size', async () => {
    const r = await peer();
    const a = await open(media(r.port));
    expect(() => a.session.sendFrame(new Int16Array(320))).toThrow(RangeError);
  });
});

describe('RtpSession on the system clock', () => {
  it('carries a paced tone and a digit in real time', async () => {
    let bSockets: RtpSockets | null = null;
    const b = await open((s) => ((bSockets = s), media(0, 'PCMA')));
    const a = await open(media(bSockets!.port, 'PCMA'));
    b.session.update(media(a.sockets.port, 'PCMA'));
    a.session.start();
    b.session.start();

    const frames = tone(50);
    const start = performance.now();
    for (const [k, f] of frames.entries()) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + k * 20 - performance.now())));
      a.session.sendFrame(f);
    }
    await a.session.sendDtmf('9');
    await eventually(() => b.digits.length === 1, 'the digit');
    await settle(200);

    // Every frame played at B that carries the tone is one of the sent frames, bit-exact; a busy
    // machine may make a few late, but most arrive whole.
    const expected = new Set(frames.map((f) => aLawDecode(aLawEncode(f)).join(',')));
    const heard = b.audio.filter((f) => expected.has(f.join(',')));
    expect(heard.length).toBeGreaterThanOrEqual(40);
    expect(b.digits).toEqual(['9']);
    expect(a.session.stats().packetsSent).toBeGreaterThanOrEqual(57);
    expect(b.session.stats().packetsReceived).toBeGreaterThanOrEqual(57);
    expect(b.session.stats().lastRemote).toEqual({ address: '127.0.0.1', port: a.sockets.port });
  });
});

describe('RtpSession DTMF', () => {
  it('sends "123#" both ways between two sessions, each digit exactly once', async () => {
    const clock = new VirtualClock(0);
    let bSockets: RtpSockets | null = null;
    const b = await open((s) => ((bSockets = s), media(0)), { clock });
    const a = await open(media(bSockets!.port), { clock });
    b.session.update(media(a.sockets.port));
    a.session.start();
    b.session.start();

    let doneA = false;
    let doneB = false;
    const sentA = a.session.sendDtmf('123#').then(() => (doneA = true));
    const sentB = b.session.sendDtmf('123#').then(() => (doneB = true));
    for (let i = 0; i < 200 && !(doneA && doneB); i++) await runTicks(clock, 1);
    await Promise.all([sentA, sentB]);
    await eventually(() => a.digits.length === 4 && b.digits.length === 4, 'four digits each way');
    await runTicks(clock, 60); // nothing more comes, even once late presses would be flushed
    expect(b.digits).toEqual(['1', '2', '3', '#']);
    expect(a.digits).toEqual(['1', '2', '3', '#']);
  });

  it('puts RFC 4733 events on the wire: same timestamp, marker first, end bit three times, audio held back', async () => {
    const clock = new VirtualClock(0);
    const r = await peer();
    const a = await open(media(r.port), { clock });
    a.session.start();
    let done = false;
    const sent = a.session.sendDtmf('5#').then(() => (done = true));
    for (let i = 0; i < 50 && !done; i++) {
      a.session.sendFrame(constantFrame(3000)); // audio offered meanwhile is dropped during a press
      clock.advance(20);
      await settle(1);
    }
    await sent;
    a.session.sendFrame(constantFrame(3000));
    await settle(20);

    const packets = r.rtp();
    const events = packets.filter((p) => p.payloadType === 101);
    expect(events).toHaveLength(14);
    for (const press of [events.slice(0, 7), events.slice(7)]) {
      expect(new Set(press.map((p) => p.timestamp)).size).toBe(1);
      expect(press.map((p) => p.marker)).toEqual([true, false, false, false, false, false, false]);
      const decoded = press.map((p) => decodeTelephoneEvent(p.payload)!);
      expect(decoded.map((e) => e.end)).toEqual([false, false, false, false, true, true, true]);
      expect(decoded.map((e) => e.duration)).toEqual([160, 320, 480, 640, 800, 800, 800]);
    }
    expect(decodeTelephoneEvent(events[0].payload)!.event).toBe(5);
    expect(decodeTelephoneEvent(events[7].payload)!.event).toBe(11);

    // The two presses are consecutive in sequence numbers only with a gap of audio between them.
    const firstEnd = packets.indexOf(events[6]);
    const secondStart = packets.indexOf(events[7]);
    expect(secondStart - firstEnd).toBeGreaterThanOrEqual(3);
    expect(packets.slice(firstEnd + 1, secondStart).every((p) => p.payloadType === 0)).toBe(true);
    // Sequence numbers never skip, and no audio packet falls inside a press.
    for (let i = 1; i < packets.length; i++) expect(packets[i].sequence).toBe((packets[i - 1].sequence + 1) & 0xffff);
    const firstIdx = packets.indexOf(events[0]);
    expect(packets.slice(firstIdx, firstEnd + 1).every((p) => p.payloadType === 101)).toBe(true);
    // The second press starts its timestamp where its slot is on the shared timeline.
    expect((events[7].timestamp - events[0].timestamp + 2 ** 32) % 2 ** 32).toBe((secondStart - firstIdx) * 160);
  });

  it('rejects digits outside 0-9 * # A-D and calls without telephone-event', async () => {
    const r = await peer();
    const a = await open(media(r.port), { clock: new VirtualClock(0) });
    a.session.start();
    await expect(a.session.sendDtmf('12E')).rejects.toThrow(/"E" is not a DTMF digit/);
    await expect(a.session.sendDtmf('')).rejects.toThrow(/no DTMF/);
    const b = await open(media(r.port, 'PCMU', { dtmfPayloadType: null }), { clock: new VirtualClock(0) });
    b.session.start();
    await expect(b.session.sendDtmf('1')).rejects.toThrow(/telephone-event/);
  });

  it('reports a press once even when its end packets are retransmitted or lost', async () => {
    const clock = new VirtualClock(0);
    const r = await peer();
    const b = await open(media(r.port), { clock });
    b.session.start();
    const ev = (seq: number, ts: number, event: number, end: boolean, duration: number) => ({
      marker: false,
      payloadType: 101,
      sequence: seq,
      timestamp: ts,
      ssrc: 3,
      payload: new Uint8Array([event, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff]),
    });
    // '7': three updates, three end packets; '9': updates only, its end packets lost.
    const packets = [ev(1, 800, 7, false, 160), ev(2, 800, 7, false, 320), ev(3, 800, 7, true, 480), ev(4, 800, 7, true, 480), ev(5, 800, 7, true, 480), ev(6, 4000, 9, false, 160), ev(7, 4000, 9, false, 320)];
    for (const p of packets) await r.sendRtp(p, b.sockets.port);
    await eventually(() => b.session.stats().packetsReceived === 7, 'all event packets');
    expect(b.digits).toEqual(['7']);
    await runTicks(clock, 50); // one second without news ends the '9'
    expect(b.digits).toEqual(['7', '9']);
  });
});

describe('RtpSession RTCP', () => {
  const WALL = 1_700_000_000_000;

  function rtcpItems(p: UdpPeer): RtcpItem[] {
    return p.received.flatMap((r) => {
      const parsed = parseRtcp(r.data);
      return parsed.ok ? parsed.items : [];
    });
  }

  it('sends sender reports with CNAME, computes the round trip from the peer report, ends with BYE', async () => {
    const clock = new VirtualClock(0);
    const rtp = await peer();
    const rtcp = await peer();
    const a = await open(media(rtp.port, 'PCMU', { remoteRtcpPort: rtcp.port }), {
      clock,
      ssrc: 0xabcdef01,
      rtcpIntervalMs: 1000,
      wallClockMs: () => WALL,
      cname: 'agent@parley.test',
    });
    a.session.start();
    // The peer sends a few packets with one missing, so A's report has something to say.
    for (const seq of [100, 101, 103]) {
      await rtp.sendRtp({ marker: false, payloadType: 0, sequence: seq, timestamp: seq * 160, ssrc: 0x5eed, payload: new Uint8Array(160).fill(0xff) }, a.sockets.port);
    }
    await eventually(() => a.session.stats().packetsReceived === 3, 'peer packets at A');

    for (let i = 0; i < 100 && rtcp.received.length === 0; i++) {
      clock.advance(20);
      await settle(1);
    }
    await eventually(() => rtcp.received.length === 1, 'the first report');
    const items = rtcpItems(rtcp);
    const sr = items.find((i) => i.type === 'sr');
    const sdes = items.find((i) => i.type === 'sdes');
    expect(sr && sr.type === 'sr' && sr.ssrc).toBe(0xabcdef01);
    expect(sdes && sdes.type === 'sdes' && sdes.cnames).toEqual([{ ssrc: 0xabcdef01, cname: 'agent@parley.test' }]);
    if (sr?.type !== 'sr') throw new Error('no SR');
    // Counted when the SR left, mid-step; the step's own tick may have sent one more since.
    expect(a.session.stats().packetsSent - sr.sender.packetCount).toBeGreaterThanOrEqual(0);
    expect(a.session.stats().packetsSent - sr.sender.packetCount).toBeLessThanOrEqual(1);
    expect(sr.sender.octetCount).toBe(sr.sender.packetCount * 160);
    expect(sr.reports).toHaveLength(1);
    expect(sr.reports[0]).toMatchObject({ ssrc: 0x5eed, cumulativeLost: 1, extendedHighestSequence: 103, lastSr: 0 });
    expect(sr.reports[0].fractionLost).toBe(64); // 1 of 4 = 64/256

    // When A sent its SR, by the NTP time it carries.
    const srAtMs = (sr.sender.ntpSeconds - 2_208_988_800) * 1000 + (sr.sender.ntpFraction / 2 ** 32) * 1000 - WALL;
    expect(srAtMs).toBeLessThanOrEqual(clock.now());

    // The peer answers 300 ms later with a report block about A, having held the SR 50 ms.
    clock.advance(300);
    const lsr = ntpMiddle32({ seconds: sr.sender.ntpSeconds, fraction: sr.sender.ntpFraction });
    const rr = writeReceiverReport(0x5eed, [
      { ssrc: 0xabcdef01, fractionLost: 0, cumulativeLost: 0, extendedHighestSequence: 1, jitter: 0, lastSr: lsr, delaySinceLastSr: 0.05 * 65536 },
    ]);
    await rtcp.send(rr, a.sockets.rtcp.address().port);
    await eventually(() => a.session.stats().rttMs !== null, 'the round trip');
    const expectedRtt = clock.now() - srAtMs - 50;
    expect(a.session.stats().rttMs!).toBeCloseTo(expectedRtt, 0);
    expect(expectedRtt).toBeGreaterThan(250);

    const before = rtcp.received.length;
    a.session.close();
    await eventually(() => rtcp.received.length === before + 1, 'the BYE');
    const last = parseRtcp(rtcp.received[before].data);
    expect(last.ok && last.items.map((i) => i.type)).toEqual(['sr', 'sdes', 'bye']);
  });

  it('exchanges reports between two sessions and both learn the round trip', async () => {
    const clock = new VirtualClock(0);
    let bSockets: RtpSockets | null = null;
    const b = await open((s) => ((bSockets = s), media(0)), { clock, rtcpIntervalMs: 200 });
    const a = await open(media(bSockets!.port), { clock, rtcpIntervalMs: 200 });
    b.session.update(media(a.sockets.port));
    a.session.start();
    b.session.start();
    for (let i = 0; i < 200 && (a.session.stats().rttMs === null || b.session.stats().rttMs === null); i++) {
      clock.advance(20);
      await settle(1);
    }
    // Packets cross while virtual time stands still, but a report sent mid-step is read at the
    // step's end: each leg can look up to one 20 ms step long, never more.
    expect(a.session.stats().rttMs).not.toBeNull();
    expect(b.session.stats().rttMs).not.toBeNull();
    expect(a.session.stats().rttMs!).toBeLessThanOrEqual(40);
    expect(b.session.stats().rttMs!).toBeLessThanOrEqual(40);
    expect(b.session.stats().jitterMs).toBeLessThan(1);
  });

  it('keeps sending RTCP receiver reports while on hold', async () => {
    const clock = new VirtualClock(0);
    const rtp = await peer();
    const rtcp = await peer();
    const a = await open(media(rtp.port, 'PCMU', { direction: 'inactive', remoteRtcpPort: rtcp.port }), { clock, rtcpIntervalMs: 200 });
    a.session.start();
    for (let i = 0; i < 100 && rtcp.received.length < 2; i++) {
      clock.advance(20);
      await settle(1);
    }
    await eventually(() => rtcp.received.length >= 2, 'two reports');
    expect(rtp.received).toHaveLength(0);
    expect(rtcpItems(rtcp).filter((i) => i.type === 'rr').length).toBeGreaterThanOrEqual(2);
  });
});
