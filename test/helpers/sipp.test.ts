// Proves the SIPp harness and Parley's scenario files: each UAC scenario runs against a peer that
// behaves as the scenario demands (SIPp's built-in uas, a UAS scenario of ours, a tiny UDP
// responder, or a real baresip) and must succeed, and against a peer that misbehaves in the way
// the scenario exists to catch, and must fail.
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aLawDecode } from '../../src/audio/g711.js';
import { writeWav } from '../../src/audio/wav.js';
import { compareSpeech } from './audio-envelope.js';
import { startBaresip } from './baresip.js';
import type { Baresip } from './baresip.js';
import { SIPP_PCAP_DIR, describeSipp, parseStatCsv, runSipp, sippScenario, startSipp } from './sipp.js';
import type { SippOptions, SippResult } from './sipp.js';
import { speak } from './speech.js';

/** Runs `uac` against a SIPp UAS running `uas`; the UAS is stopped once the UAC is done. */
async function against(
  uas: Omit<SippOptions, 'timeoutS'>,
  uac: Omit<SippOptions, 'timeoutS' | 'target'> & { timeoutS?: number },
): Promise<{ uas: SippResult; uac: SippResult }> {
  const server = await startSipp({ timeoutS: 30, ...uas });
  const client = await runSipp({ timeoutS: 15, ...uac, target: `127.0.0.1:${server.port}` });
  // A UAS that saw every call through exits by itself (-m); one left waiting is stopped.
  const serverResult = client.exitCode === 0 ? await server.done : await server.stop();
  return { uas: serverResult, uac: client };
}

function expectAllPassed(result: SippResult, calls = 1): void {
  expect(result.exitCode, describeSipp(result)).toBe(0);
  expect(result.successful, describeSipp(result)).toBe(calls);
  expect(result.failed, describeSipp(result)).toBe(0);
}

function expectFailed(result: SippResult): void {
  expect(result.exitCode, describeSipp(result)).not.toBe(0);
  expect(result.successful, describeSipp(result)).toBe(0);
}

/** A UDP socket on 127.0.0.1 that keeps what it receives and answers each datagram via `reply`. */
async function udpPeer(reply?: (text: string) => string | undefined): Promise<{ socket: Socket; port: number; received: Buffer[] }> {
  const socket = createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('message', (message, from) => {
    received.push(message);
    const answer = reply?.(message.toString('latin1'));
    if (answer) socket.send(answer, from.port, from.address);
  });
  await new Promise<void>((resolveBind) => socket.bind(0, '127.0.0.1', resolveBind));
  return { socket, port: socket.address().port, received };
}

/** A response to `request` with its Via, From, To, Call-ID and CSeq (whichever it has). */
function answer(request: string, status: string): string {
  const header = (name: string): string | undefined => new RegExp(`^${name}:.*$`, 'mi').exec(request)?.[0];
  const to = header('To');
  const lines = [`SIP/2.0 ${status}`, header('Via'), header('From'), to && `${to};tag=responder`, header('Call-ID'), header('CSeq'), 'Content-Length: 0'];
  return `${lines.filter((line) => line).join('\r\n')}\r\n\r\n`;
}

/** The RTP payloads of a classic little-endian Ethernet/IPv4/UDP pcap file, concatenated. */
function rtpPayloadsOfPcap(path: string): Uint8Array {
  const file = readFileSync(path);
  expect(file.readUInt32LE(0)).toBe(0xa1b2c3d4);
  const parts: Buffer[] = [];
  for (let at = 24; at + 16 <= file.length; ) {
    const length = file.readUInt32LE(at + 8);
    const frame = file.subarray(at + 16, at + 16 + length);
    at += 16 + length;
    const ipHeader = (frame[14] & 0x0f) * 4;
    const rtp = frame.subarray(14 + ipHeader + 8);
    const csrcs = rtp[0] & 0x0f;
    parts.push(rtp.subarray(12 + 4 * csrcs));
  }
  return Buffer.concat(parts);
}

describe('runSipp basics', () => {
  it('reads the last row of the statistics CSV by column name', () => {
    const csv = 'A;SuccessfulCall(C);FailedCall(C);\n1;0;0;\n2;5;1;\n';
    expect(parseStatCsv(csv)).toEqual({ A: '2', 'SuccessfulCall(C)': '5', 'FailedCall(C)': '1' });
    expect(parseStatCsv('')).toEqual({});
  });

  it('refuses bad options before starting anything', async () => {
    await expect(runSipp({ scenario: 'no-such-scenario', timeoutS: 5 })).rejects.toThrow(/no SIPp scenario/);
    await expect(runSipp({ scenario: '/nope/x.xml', timeoutS: 5 })).rejects.toThrow(/does not exist/);
    await expect(runSipp({ scenario: 'uac-basic', target: 'localhost', timeoutS: 5 })).rejects.toThrow(/host:port/);
    await expect(runSipp({ scenario: 'uac-basic', calls: 0, timeoutS: 5 })).rejects.toThrow(/calls/);
    await expect(runSipp({ scenario: 'uac-basic', timeoutS: 0 })).rejects.toThrow(/timeoutS/);
    await expect(runSipp({ scenario: 'uac-basic', vars: { 'a b': 'x' }, timeoutS: 5 })).rejects.toThrow(/key name/);
    expect(sippScenario('uac-basic')).toMatch(/sipp-scenarios\/uac-basic\.xml$/);
  });

  it('fails at timeoutS when nobody answers, and says so', async () => {
    const silent = await udpPeer();
    try {
      const result = await runSipp({ scenario: 'uac-options', target: `127.0.0.1:${silent.port}`, timeoutS: 2 });
      expect(result.exitCode, describeSipp(result)).not.toBe(0);
      expect(result.successful).toBe(0);
      expect(result.errors).toMatch(/timed out/);
      expect(silent.received.length).toBeGreaterThanOrEqual(1);
    } finally {
      silent.socket.close();
    }
  });

  it('reports a fatal exit when its SIP port is taken', async () => {
    const taken = await udpPeer();
    try {
      const result = await runSipp({ scenario: 'uas', localPort: taken.port, timeoutS: 5 });
      expect(result.exitCode, describeSipp(result)).toBe(254);
      expect(result.errors).toMatch(/bind/i);
    } finally {
      taken.socket.close();
    }
  });
});

describe('Parley SIPp scenarios, against peers that do the right thing and peers that do not', () => {
  let work: string;
  let speechPath: string;
  const uas: Baresip[] = [];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'parley-sipp-test-'));
    speechPath = join(work, 'speech.wav');
    const speech = speak('This is SIPp streaming real speech over RTP to the far end of the call.', 'flite', 16000);
    writeFileSync(speechPath, writeWav({ sampleRate: 16000, channels: 1, samples: speech }));
  });

  afterAll(async () => {
    for (const ua of uas) await ua.remove();
    rmSync(work, { recursive: true, force: true });
  });

  it('uac-basic: three calls to the built-in uas, each INVITE/200/ACK/BYE/200', async () => {
    const { uas: server, uac } = await against({ scenario: 'uas', calls: 3 }, { scenario: 'uac-basic', calls: 3, durationMs: 200, traceMessages: true });
    expectAllPassed(uac, 3);
    expectAllPassed(server, 3);
    // In-dialog requests go to the Contact of the 200, as RFC 3261 12.2.1.1 says.
    expect(uac.messages).toMatch(/^BYE sip:127\.0\.0\.1:\d+;transport=UDP SIP\/2\.0/m);
  });

  it('uac-options: answered by uas-options; refused when the peer answers 404', async () => {
    const { uas: server, uac } = await against({ scenario: 'uas-options' }, { scenario: 'uac-options' });
    expectAllPassed(uac);
    expectAllPassed(server);
    const peer = await udpPeer((request) => answer(request, '404 Not Found'));
    try {
      expectFailed(await runSipp({ scenario: 'uac-options', target: `127.0.0.1:${peer.port}`, timeoutS: 5 }));
    } finally {
      peer.socket.close();
    }
  });

  it('uac-cancel: 200 for the CANCEL and 487 for the INVITE from uas-ringing; fails when the callee answers', async () => {
    const good = await against({ scenario: 'uas-ringing' }, { scenario: 'uac-cancel', traceMessages: true });
    expectAllPassed(good.uac);
    expectAllPassed(good.uas);
    // The CANCEL and the ACK for the 487 reuse the INVITE's branch (RFC 3261 9.1, 17.1.1.3).
    const branches = [...(good.uac.messages ?? '').matchAll(/^(INVITE|CANCEL|ACK) [^\n]*\nVia: [^\n]*branch=([^\s;]+)/gm)];
    expect(branches.map((m) => m[1])).toEqual(['INVITE', 'CANCEL', 'ACK']);
    expect(new Set(branches.map((m) => m[2])).size).toBe(1);
    // The built-in uas answers 200 at once: the 200 that comes is the INVITE's, not the CANCEL's.
    const bad = await against({ scenario: 'uas' }, { scenario: 'uac-cancel', timeoutS: 3 });
    expectFailed(bad.uac);
  });

  it('uac-reinvite-hold: uas-hold answers sendonly with recvonly; fails against the built-in uas', async () => {
    const good = await against({ scenario: 'uas-hold' }, { scenario: 'uac-reinvite-hold', durationMs: 100, traceMessages: true });
    expectAllPassed(good.uac);
    expectAllPassed(good.uas);
    expect(good.uac.messages).toMatch(/^CSeq: 2 INVITE[^]*a=sendonly/m);
    const bad = await against({ scenario: 'uas' }, { scenario: 'uac-reinvite-hold', durationMs: 100, timeoutS: 3 });
    expectFailed(bad.uac);
  });

  it('uac-retransmit: one dialog from uas-retransmit; a UAS that opens a second dialog fails it', async () => {
    const good = await against({ scenario: 'uas-retransmit' }, { scenario: 'uac-retransmit', traceMessages: true });
    expectAllPassed(good.uac);
    expectAllPassed(good.uas);
    const sent = (good.uac.messages ?? '').match(/^(INVITE|BYE) [^\n]*\nVia: [^\n]*/gm) ?? [];
    expect(sent).toHaveLength(4);
    expect(sent[0]).toBe(sent[1]);
    expect(sent[2]).toBe(sent[3]);
    // A UAS that answers the dialog and then a second time with another To tag.
    const twoDialogs = join(work, 'uas-two-dialogs.xml');
    writeFileSync(
      twoDialogs,
      `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="two dialogs">
  <recv request="INVITE"/>
  <send retrans="500"><![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=first[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port]>
      Content-Length: 0

  ]]></send>
  <recv request="ACK"/>
  <send><![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      To: <sip:service@[local_ip]:[local_port]>;tag=second[call_number]
      [last_Call-ID:]
      CSeq: 1 INVITE
      Contact: <sip:[local_ip]:[local_port]>
      Content-Length: 0

  ]]></send>
  <recv request="BYE"/>
  <send><![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

  ]]></send>
  <timewait milliseconds="1000"/>
</scenario>
`,
    );
    // SIPp goes on with a call whose check failed and counts it failed at its end.
    const bad = await against({ scenario: twoDialogs }, { scenario: 'uac-retransmit' });
    expectFailed(bad.uac);
    expect(bad.uac.failed).toBe(1);
    expect(bad.uac.counters['FailedRegexpDoesntMatch(C)'], describeSipp(bad.uac)).toBe('1');
  });

  it('uac-malformed: sends the three malformed requests, passes on three 400s, fails on anything else', async () => {
    const strict = await udpPeer((request) => answer(request, '400 Bad Request'));
    try {
      const result = await runSipp({ scenario: 'uac-malformed', target: `127.0.0.1:${strict.port}`, timeoutS: 10 });
      expectAllPassed(result);
      const texts = strict.received.map((m) => m.toString('latin1'));
      expect(texts).toHaveLength(3);
      expect(texts[0]).toMatch(/^OPTIONS sip:/);
      expect(texts[0]).not.toMatch(/^CSeq:/im);
      expect(texts[1]).toMatch(/^Content-Length: 400\r$/m);
      expect(Buffer.byteLength(texts[1].split('\r\n\r\n')[1], 'latin1')).toBeLessThan(400);
      expect(texts[2]).toMatch(/^@@@ this is not a request line @@@\r\nVia: SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;branch=/);
    } finally {
      strict.socket.close();
    }
    const lenient = await udpPeer((request) => answer(request, '200 OK'));
    try {
      expectFailed(await runSipp({ scenario: 'uac-malformed', target: `127.0.0.1:${lenient.port}`, timeoutS: 10 }));
    } finally {
      lenient.socket.close();
    }
  });

  it('uac-rtp: a real baresip callee hears the speech SIPp streams (PCMU via rtp_stream)', async () => {
    const callee = await startBaresip({ user: 'agent', autoAnswer: true });
    uas.push(callee);
    const result = await runSipp({
      scenario: 'uac-rtp',
      target: `127.0.0.1:${callee.sipPort}`,
      service: 'agent',
      rtpAudioWav: speechPath,
      durationMs: 6000,
      timeoutS: 30,
    });
    expectAllPassed(result);
    await callee.waitForCallClosed(10_000);
    const [heard] = callee.heardRecordings();
    // The file loops for the whole call; its first pass must match the sentence.
    const c = compareSpeech(heard, speechPath);
    expect(c.heardOnsetMs).toBeGreaterThanOrEqual(0);
    expect(c.heardOnsetMs).toBeLessThan(1000);
    expect(c.envelopeCorrelation).toBeGreaterThan(0.85);
  });

  it('uac-rtp-pcap: a real baresip callee hears Debian\'s g711a.pcap (PCMA replayed from the capture)', async () => {
    const callee = await startBaresip({ user: 'agent', autoAnswer: true });
    uas.push(callee);
    const result = await runSipp({ scenario: 'uac-rtp-pcap', target: `127.0.0.1:${callee.sipPort}`, service: 'agent', durationMs: 7500, timeoutS: 30 });
    expectAllPassed(result);
    await callee.waitForCallClosed(10_000);
    const [heard] = callee.heardRecordings();
    const sent = join(work, 'g711a-from-pcap.wav');
    writeFileSync(sent, writeWav({ sampleRate: 8000, channels: 1, samples: aLawDecode(rtpPayloadsOfPcap(join(SIPP_PCAP_DIR, 'g711a.pcap'))) }));
    const c = compareSpeech(heard, sent);
    expect(c.heardOnsetMs).toBeGreaterThanOrEqual(0);
    expect(Math.abs(c.heardSpeechMs - c.sentSpeechMs)).toBeLessThanOrEqual(200);
    // Lower than for rtp_stream (about 0.82 here): the capture's 30 ms packets keep their recorded
    // timing, which baresip's 20 ms jitter buffer smooths. Unrelated sounds correlate near 0.
    expect(c.envelopeCorrelation).toBeGreaterThan(0.7);
  });

  it('uac-rtp under load: 50 calls at once, each streaming ~5 s of RTP, then BYE', async () => {
    // uas-answer points every call's media at this socket, which counts packets per SSRC.
    const sink = await udpPeer();
    try {
      const { uas: server, uac } = await against(
        { scenario: 'uas-answer', calls: 50, vars: { rtp_port: String(sink.port) } },
        { scenario: 'uac-rtp', calls: 50, concurrent: 50, rate: 100, durationMs: 5000, rtpAudioWav: speechPath },
      );
      expectAllPassed(uac, 50);
      expectAllPassed(server, 50);
      const perStream = new Map<number, number>();
      for (const packet of sink.received) {
        expect(packet[0] >> 6).toBe(2); // RTP version 2
        expect(packet[1] & 0x7f).toBe(0); // PCMU
        const ssrc = packet.readUInt32BE(8);
        perStream.set(ssrc, (perStream.get(ssrc) ?? 0) + 1);
      }
      expect(perStream.size).toBe(50);
      // 5 s of 20 ms packets is 250; allow for the start and end of each stream.
      for (const count of perStream.values()) expect(count).toBeGreaterThan(200);
    } finally {
      sink.socket.close();
    }
  });
});
