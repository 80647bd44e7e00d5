// Fuzzing: thousands of random and mutated SIP messages (seeded, so a failure reproduces) into the
// parser, and into a running endpoint over real UDP and TCP. The parser must only ever return a
// message or throw SipParseError; the endpoint must never crash, must answer every broken request
// whose Via it can read with the error status and a reason phrase naming the problem, and must stay
// silent when there is nowhere to answer.
import { createSocket } from 'node:dgram';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock.js';
import { PhoneCallRefusedError } from '../../../src/transports/phone/phone-leg.js';
import { SipEndpoint } from '../../../src/transports/sip/sip-endpoint.js';
import type { SipMessage } from '../../../src/transports/sip/sip-message.js';
import { parseSipMessage, SipParseError } from '../../../src/transports/sip/sip-parser.js';
import { SipStreamParser } from '../../../src/transports/sip/sip-stream-parser.js';
import { parseVia } from '../../../src/transports/sip/sip-via.js';
import { mulberry32 } from '../../helpers/random.js';
import { quietLog, SipTestPeer, stopWithClock } from './sip-test-peer.js';
import { TestAcceptor } from './test-acceptor.js';

const MAX_BYTES = 8192;
type Rng = () => number;

const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)];
const int = (rng: Rng, max: number): number => Math.floor(rng() * max);

function templates(port: number, n: number): string[] {
  const via = `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-fz${n};rport`;
  const sdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
  const common = (method: string, toTag = ''): string[] => [
    via,
    'Max-Forwards: 70',
    `From: "Fuzz \u00e9" <sip:fuzz@127.0.0.1:${port}>;tag=f${n}`,
    `To: <sip:never-routed@127.0.0.1>${toTag}`,
    `Call-ID: fuzz-${n}@127.0.0.1`,
    `CSeq: ${n + 1} ${method}`,
  ];
  return [
    ['INVITE sip:never-routed@127.0.0.1 SIP/2.0', ...common('INVITE'), `Contact: <sip:fuzz@127.0.0.1:${port}>`, 'Content-Type: application/sdp', `Content-Length: ${sdp.length}`, '', sdp].join('\r\n'),
    ['REGISTER sip:127.0.0.1 SIP/2.0', ...common('REGISTER'), `Contact: <sip:fuzz@127.0.0.1:${port}>;expires=60`, 'Expires: 60', 'Content-Length: 0', '', ''].join('\r\n'),
    ['BYE sip:parley@127.0.0.1 SIP/2.0', ...common('BYE', ';tag=gone'), 'Content-Length: 0', '', ''].join('\r\n'),
    ['OPTIONS sip:127.0.0.1 SIP/2.0', ...common('OPTIONS'), 'Accept: application/sdp', 'Content-Length: 0', '', ''].join('\r\n'),
    ['SIP/2.0 200 OK', ...common('INVITE', ';tag=x'), 'Content-Length: 0', '', ''].join('\r\n'),
  ];
}

const MANDATORY = ['Via', 'From', 'To', 'Call-ID', 'CSeq'];

/** Up to three mutations of a valid message (none now and then), or now and then plain random bytes. */
function mutate(rng: Rng, text: string): Buffer {
  if (rng() < 0.04) return Buffer.from(Array.from({ length: int(rng, 600) }, () => int(rng, 256)));
  let s = text;
  const rounds = rng() < 0.1 ? 0 : 1 + int(rng, 3);
  for (let r = 0; r < rounds; r++) {
    const lines = s.split('\r\n');
    const headerEnd = Math.max(1, lines.indexOf(''));
    switch (int(rng, 12)) {
      case 0: // truncate
        s = s.slice(0, int(rng, s.length));
        break;
      case 1: {
        // flip bytes
        const b = Buffer.from(s, 'utf8');
        for (let i = 0, n = 1 + int(rng, 6); i < n && b.length > 0; i++) b[int(rng, b.length)] = int(rng, 256);
        s = b.toString('latin1');
        break;
      }
      case 2: // huge header
        lines.splice(1 + int(rng, headerEnd), 0, `X-Huge: ${'A'.repeat(rng() < 0.5 ? 200 + int(rng, 4000) : MAX_BYTES + int(rng, 4000))}`);
        s = lines.join('\r\n');
        break;
      case 3: {
        // drop a mandatory header
        const name = pick(rng, MANDATORY);
        s = lines.filter((l) => !l.toLowerCase().startsWith(`${name.toLowerCase()}:`)).join('\r\n');
        break;
      }
      case 4: // bad CSeq
        s = s.replace(/CSeq: [^\r]*/, `CSeq: ${pick(rng, ['abc INVITE', '99999999999 INVITE', '-1 BYE', '1', '1 INVITE extra', `${int(rng, 100)} WRONG`, ''])}`);
        break;
      case 5: // wrong Content-Length
        s = s.replace(/Content-Length: \d+/, `Content-Length: ${pick(rng, [String(int(rng, 5000)), '-3', 'ten', '99999999999', ''])}`);
        break;
      case 6: {
        // duplicate a header
        const i = 1 + int(rng, Math.max(1, headerEnd - 1));
        if (lines[i]) lines.splice(i, 0, lines[i]);
        s = lines.join('\r\n');
        break;
      }
      case 7: // a broken start line
        lines[0] = pick(rng, ['INVITE  sip:x SIP/2.0', 'INVITE sip:x SIP/3.0', 'INVITE tel:+1555 SIP/2.0', 'GARBAGE', '', 'SIP/2.0 99 Odd', 'INVITE sip:x@[::1 SIP/2.0', '\u0000\u0001']);
        s = lines.join('\r\n');
        break;
      case 8: // LF-only line ends
        s = s.replace(/\r\n/g, '\n');
        break;
      case 9: // a mangled Via
        s = s.replace(/Via: [^\r\n]*/, `Via: ${pick(rng, ['SIP/2.0/UDP', 'SIP/2.0 127.0.0.1', 'SIP/2.0/UDP 127.0.0.1:99999', 'SIP/2.0/UDP 127.0.0.1;rport=x', 'SIP/2.0/UDP "quoted', 'garbage'])}`);
        break;
      case 10: // random bytes spliced in
        {
          const at = int(rng, s.length);
          s = s.slice(0, at) + String.fromCharCode(...Array.from({ length: 1 + int(rng, 20) }, () => int(rng, 256))) + s.slice(at);
        }
        break;
      default: // unbalanced quotes / brackets in an address
        s = s.replace(/From: [^\r\n]*/, `From: ${pick(rng, ['"open <sip:a@b>', '<sip:a@b', 'sip:a@b;tag=1, <sip:c@d>', '<>;tag=', 'x y z'])}`);
    }
  }
  return Buffer.from(s, 'latin1');
}

describe('the parser under fuzzing', () => {
  it('returns a message or throws SipParseError for 20,000 inputs, and what it returns survives a round trip', () => {
    const rng = mulberry32(0x5eed);
    let parsed = 0;
    let refused = 0;
    for (let n = 0; n < 20_000; n++) {
      const data = mutate(rng, pick(rng, templates(5060, n)));
      let m: SipMessage;
      try {
        m = parseSipMessage(data, { maxBytes: MAX_BYTES });
      } catch (err) {
        if (!(err instanceof SipParseError)) throw new Error(`input ${n} threw ${String(err)}: ${data.toString('latin1').slice(0, 200)}`);
        expect(err.reason).toMatch(/^[\x20-\x7e]+$/);
        refused += 1;
        continue;
      }
      parsed += 1;
      const again = parseSipMessage(m.serialize(), { maxBytes: MAX_BYTES * 2 });
      expect(again.kind).toBe(m.kind);
      expect(again.headers.entries().filter((e) => e.name !== 'Content-Length')).toEqual(m.headers.entries().filter((e) => e.name !== 'Content-Length'));
      expect(again.body.equals(m.body)).toBe(true);
    }
    // Both outcomes are well represented, or the fuzzing is not doing its job.
    expect(parsed).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(5000);
  });

  it('frames any byte stream without throwing, in any chunking', () => {
    const rng = mulberry32(77);
    for (let n = 0; n < 2000; n++) {
      const data = Buffer.concat([mutate(rng, pick(rng, templates(5060, n))), mutate(rng, pick(rng, templates(5060, n + 1)))]);
      const parser = new SipStreamParser(MAX_BYTES);
      let at = 0;
      while (at < data.length) {
        const size = 1 + int(rng, 200);
        for (const item of parser.push(data.subarray(at, at + size))) {
          if (item.kind === 'error') expect(item.error).toBeInstanceOf(SipParseError);
        }
        at += size;
      }
    }
  });
});

describe('a running endpoint under fuzzing', () => {
  const clock = new VirtualClock();
  const acceptor = new TestAcceptor();
  acceptor.refuse = new PhoneCallRefusedError('busy', 'fuzzing');
  let ep: SipEndpoint;
  const crashes: unknown[] = [];
  const onCrash = (err: unknown): void => {
    crashes.push(err);
  };

  beforeAll(async () => {
    process.on('unhandledRejection', onCrash);
    process.on('uncaughtException', onCrash);
    ep = new SipEndpoint({
      host: '127.0.0.1',
      port: 0,
      transports: ['udp', 'tcp'],
      rtp: { min: 49_000, max: 49_099 },
      clock,
      log: quietLog,
      acceptor,
      maxCalls: 50,
      // No route matches the fuzz INVITEs: every one is answered at once (100, 404).
      routes: [{ match: 'the-only-route', agent: 'a' }],
      maxMessageBytes: MAX_BYTES,
    });
    await ep.start();
  });

  afterAll(async () => {
    await stopWithClock(() => ep.stop(), clock);
    process.off('unhandledRejection', onCrash);
    process.off('uncaughtException', onCrash);
  });

  type Expect = { kind: 'error'; status: number; reason: string } | { kind: 'answer' } | { kind: 'silence' } | { kind: 'elsewhere' };

  /** What the endpoint should do with a datagram from `port`, read with the parser (tested above). */
  function expected(data: Buffer, port: number): Expect {
    let viaText: string | undefined;
    let result: Expect;
    try {
      const m = parseSipMessage(data, { maxBytes: MAX_BYTES });
      if (m.kind === 'response' || m.method === 'ACK') return { kind: 'silence' };
      viaText = m.headers.get('Via');
      result = { kind: 'answer' };
    } catch (err) {
      const e = err as SipParseError;
      if (!e.salvage || e.salvage.method === 'ACK') return { kind: 'silence' };
      viaText = e.salvage.headers.get('Via');
      result = { kind: 'error', status: e.status, reason: e.reason };
    }
    if (viaText === undefined) return { kind: 'silence' };
    try {
      const via = parseVia(viaText);
      const rport = via.params.get('rport');
      const maddr = via.params.get('maddr');
      if (maddr !== undefined) return { kind: 'elsewhere' };
      const to = rport === null || (typeof rport === 'string' && rport !== '') ? port : (via.port ?? 5060);
      return to === port ? result : { kind: 'elsewhere' };
    } catch {
      return { kind: 'silence' };
    }
  }

  async function until(cond: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 20_000; i++) {
      if (cond()) return;
      await new Promise((resolve) => setImmediate(resolve));
      if (i > 200) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  /** Status lines in what came back (a reply to a broken request may itself be unparseable: it copies its headers). */
  function statusLines(data: Buffer): Array<{ status: number; reason: string }> {
    return [...data.toString('latin1').matchAll(/^SIP\/2\.0 (\d{3}) ([^\r\n]*)\r?$/gm)].map((m) => ({ status: Number(m[1]), reason: m[2] }));
  }

  it('over UDP: 3,000 messages, a 4xx/5xx with the reason for every broken request it can answer, silence otherwise', async () => {
    const rng = mulberry32(0xf022);
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const port = socket.address().port;
    const datagrams: Buffer[] = [];
    socket.on('message', (d) => datagrams.push(d));
    const send = (data: Buffer | string): Promise<void> => new Promise((resolve, reject) => socket.send(typeof data === 'string' ? Buffer.from(data) : data, ep.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    const counts = { error: 0, answer: 0, silence: 0, elsewhere: 0 };
    try {
      for (let n = 0; n < 3000; n++) {
        const data = mutate(rng, pick(rng, templates(port, n)));
        if (data.length > 65_000) continue;
        const want = expected(data, port);
        counts[want.kind] += 1;
        const from = datagrams.length;
        await send(data);
        // A valid OPTIONS after each message: its answer marks the end of what the message caused.
        const sentinel = `sentinel-${n}`;
        await send([`OPTIONS sip:127.0.0.1 SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-s${n};rport`, `From: <sip:s@127.0.0.1>;tag=s`, `To: <sip:p@127.0.0.1>`, `Call-ID: ${sentinel}`, `CSeq: 1 OPTIONS`, 'Content-Length: 0', '', ''].join('\r\n'));
        const isSentinel = (d: Buffer): boolean => d.toString('latin1').includes(`Call-ID: ${sentinel}\r\n`);
        await until(() => datagrams.slice(from).some(isSentinel), `the sentinel after message ${n}`);
        const caused = datagrams.slice(from).filter((d) => !isSentinel(d)).flatMap(statusLines);
        const context = `message ${n}: ${JSON.stringify(data.toString('latin1').slice(0, 400))} -> ${JSON.stringify(caused)}`;
        if (want.kind === 'error') {
          const hit = caused.find((r) => r.status === want.status);
          expect(hit, context).toBeDefined();
          expect(hit?.reason, context).toContain(want.reason);
          if (want.status === 400) expect(hit?.reason, context).toMatch(/^Bad Request \(.+\)$/);
        } else if (want.kind === 'answer') {
          expect(caused.length, context).toBeGreaterThan(0);
        } else if (want.kind === 'silence') {
          expect(caused, context).toEqual([]);
        }
      }
    } finally {
      socket.close();
    }
    expect(crashes).toEqual([]);
    // Every kind of outcome was exercised.
    expect(counts.error).toBeGreaterThan(800);
    expect(counts.answer).toBeGreaterThan(300);
    expect(counts.silence).toBeGreaterThan(50);
    // Still healthy: no call, no dialog.
    expect(ep.stats()).toMatchObject({ activeCalls: 0, dialogs: 0, rtpPortsInUse: 0 });
  });

  it('over TCP: 600 connections each carrying mutated messages, answered on the connection, closed when the stream cannot be framed', async () => {
    const rng = mulberry32(0x7c9);
    let answeredErrors = 0;
    for (let n = 0; n < 600; n++) {
      const data = Buffer.concat([mutate(rng, pick(rng, templates(5060, n))), rng() < 0.3 ? mutate(rng, pick(rng, templates(5060, n + 10_000))) : Buffer.alloc(0)]);
      // What the stream parser makes of the bytes tells what must come back.
      const oracle = new SipStreamParser(MAX_BYTES).push(data);
      const wanted: Array<{ status: number; reason: string }> = [];
      let answers = 0;
      for (const item of oracle) {
        if (item.kind === 'message' && item.message.kind === 'request' && item.message.method !== 'ACK') answers += 1;
        if (item.kind === 'error' && item.error.salvage && item.error.salvage.method !== 'ACK') {
          try {
            parseVia(item.error.salvage.headers.get('Via') ?? '');
            wanted.push({ status: item.error.status, reason: item.error.reason });
          } catch {
            // no readable Via: nothing to answer
          }
        }
      }
      const socket = net.connect({ host: '127.0.0.1', port: ep.port });
      const chunks: Buffer[] = [];
      socket.on('data', (chunk) => chunks.push(chunk));
      socket.on('error', () => undefined);
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.end(data);
      await closed;
      const received = statusLines(Buffer.concat(chunks));
      const context = `connection ${n}: ${JSON.stringify(data.toString('latin1'))} -> ${JSON.stringify(received)}`;
      for (const w of wanted) {
        const hit = received.find((r) => r.status === w.status && r.reason.includes(w.reason));
        expect(hit, context).toBeDefined();
        answeredErrors += 1;
      }
      if (wanted.length === 0 && answers === 0) expect(received, context).toEqual([]);
      if (answers > 0) expect(received.length, context).toBeGreaterThanOrEqual(answers);
    }
    expect(answeredErrors).toBeGreaterThan(150);
    expect(crashes).toEqual([]);
    await until(() => ep.stats().tcpConnections === 0, 'every connection closed');
  });

  it('is still a working endpoint afterwards', async () => {
    const peer = await SipTestPeer.udp();
    await peer.send(
      ['OPTIONS sip:127.0.0.1 SIP/2.0', `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-end`, 'From: <sip:s@127.0.0.1>;tag=s', 'To: <sip:p@127.0.0.1>', 'Call-ID: after', 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', ''].join('\r\n'),
      ep.port,
    );
    const ok = await peer.waitResponse(200, 'OPTIONS');
    expect(ok.headers.get('X-Parley-Load')).toBe('calls=0;max=50');
    peer.close();
    expect(crashes).toEqual([]);
  });
});
