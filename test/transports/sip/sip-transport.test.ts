// The transport on real sockets: UDP and TCP on one port, TCP framing failures, keep-alive pings,
// connection reuse and idle close on a virtual clock.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock.js';
import type { SipMessage } from '../../../src/transports/sip/sip-message.js';
import type { SipParseError } from '../../../src/transports/sip/sip-parser.js';
import { SipTransport, type SipPeer } from '../../../src/transports/sip/sip-transport.js';
import { SipUserAgent } from '../../../src/transports/sip/sip-user-agent.js';
import { eventually, quietLog, requestText, settle, SipTestPeer } from './sip-test-peer.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function transport(clock = new VirtualClock(), extra: { maxMessageBytes?: number; tcpIdleMs?: number } = {}) {
  const messages: Array<{ message: SipMessage; source: SipPeer }> = [];
  const errors: Array<{ error: SipParseError; source: SipPeer }> = [];
  const t = new SipTransport(
    { host: '127.0.0.1', port: 0, transports: ['udp', 'tcp'], clock, log: quietLog, ...extra },
    { message: (message, source) => messages.push({ message, source }), parseError: (error, source) => errors.push({ error, source }) },
  );
  await t.start();
  cleanups.push(() => t.stop());
  return { t, messages, errors, clock };
}

async function rawTcp(port: number): Promise<{ socket: net.Socket; data: () => string; closed: () => boolean }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  let text = '';
  let closed = false;
  socket.on('data', (d) => (text += d.toString('latin1')));
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  cleanups.push(() => void socket.destroy());
  return { socket, data: () => text, closed: () => closed };
}

describe('SipTransport', () => {
  it('listens for UDP and TCP on the same port, and reports where each message came from', async () => {
    const { t, messages } = await transport();
    const udp = await SipTestPeer.udp();
    cleanups.push(() => udp.close());
    await udp.send(requestText({ method: 'OPTIONS', port: udp.port }), t.port);
    const tcp = await SipTestPeer.tcp(t.port);
    cleanups.push(() => tcp.close());
    await tcp.send(requestText({ method: 'OPTIONS', port: tcp.port, transport: 'TCP' }), t.port);
    await eventually(() => messages.length === 2, 'both messages');
    expect(messages.map((m) => m.source.transport).sort()).toEqual(['tcp', 'udp']);
    expect(messages.find((m) => m.source.transport === 'udp')?.source.port).toBe(udp.port);
    expect(messages.find((m) => m.source.transport === 'tcp')?.source.port).toBe(tcp.port);
  });

  it('answers a CRLFCRLF ping with a CRLF pong on TCP', async () => {
    const { t } = await transport();
    const c = await rawTcp(t.port);
    c.socket.write('\r\n\r\n');
    await eventually(() => c.data() === '\r\n', 'the pong');
  });

  it('reuses an open TCP connection to send to a peer, opens one when there is none, and closes idle ones', async () => {
    const clock = new VirtualClock();
    const { t, messages } = await transport(clock, { tcpIdleMs: 10_000 });
    const server = net.createServer();
    const accepted: net.Socket[] = [];
    let got = '';
    server.on('connection', (s) => {
      accepted.push(s);
      s.on('data', (d) => (got += d.toString()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as net.AddressInfo).port;
    await t.send(Buffer.from('one'), { transport: 'tcp', address: '127.0.0.1', port });
    await t.send(Buffer.from('two'), { transport: 'tcp', address: '127.0.0.1', port });
    await eventually(() => got === 'onetwo', 'both writes');
    expect(accepted).toHaveLength(1);
    expect(t.tcpConnections).toBe(1);
    // An inbound connection is what a response to its request goes back on.
    const c = await rawTcp(t.port);
    c.socket.write(requestText({ method: 'OPTIONS', port: 5060, transport: 'TCP' }));
    await eventually(() => messages.length === 1, 'the request');
    await t.send(Buffer.from('reply'), messages[0].source);
    await eventually(() => c.data() === 'reply', 'the reply on the same connection');
    expect(t.tcpConnections).toBe(2);
    clock.advance(9_999);
    await settle();
    expect(t.tcpConnections).toBe(2);
    clock.advance(1);
    await eventually(() => t.tcpConnections === 0 && c.closed(), 'idle connections closed');
  });

  it('closes a TCP connection whose stream cannot be framed, after reporting the error with what it could read', async () => {
    const { t, errors } = await transport(new VirtualClock(), { maxMessageBytes: 4096 });
    const c = await rawTcp(t.port);
    c.socket.write(`INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK1\r\nX-Long: ${'x'.repeat(5000)}`);
    await eventually(() => errors.length === 1 && c.closed(), 'the error and the close');
    expect(errors[0].error.status).toBe(513);
    expect(errors[0].error.salvage?.headers.get('Via')).toContain('z9hG4bK1');
  });

  it('rejects a send on a transport that is not enabled', async () => {
    const clock = new VirtualClock();
    const udpOnly = new SipTransport({ host: '127.0.0.1', port: 0, transports: ['udp'], clock, log: quietLog }, { message: () => undefined, parseError: () => undefined });
    await udpOnly.start();
    cleanups.push(() => udpOnly.stop());
    await expect(udpOnly.send(Buffer.from('x'), { transport: 'tcp', address: '127.0.0.1', port: 9 })).rejects.toThrow(/TCP is not enabled/);
  });
});

describe('the UA answering broken requests', () => {
  it('answers 513 over TCP for a message past the limit and 400 with the reason for a broken one, and drops garbage', async () => {
    const clock = new VirtualClock();
    const ua = new SipUserAgent({ host: '127.0.0.1', port: 0, transports: ['udp', 'tcp'], clock, log: quietLog, maxMessageBytes: 4096, handler: { invite: () => undefined, options: () => ({ status: 200, headers: [] }) } });
    await ua.start();
    cleanups.push(() => ua.stop());
    const big = await rawTcp(ua.port);
    big.socket.write(`OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKbig\r\nCall-ID: big\r\nX-Long: ${'x'.repeat(5000)}`);
    await eventually(() => big.closed(), 'the connection closed');
    expect(big.data()).toMatch(/^SIP\/2\.0 513 Message Too Large \(headers longer than 4096 bytes\)\r\n/);
    expect(big.data()).toContain('Call-ID: big');

    const peer = await SipTestPeer.udp();
    cleanups.push(() => peer.close());
    await peer.send(requestText({ method: 'OPTIONS', port: peer.port, cseqMethod: 'INVITE' }), ua.port);
    const bad = await peer.waitResponse(400);
    expect(bad.reason).toBe('Bad Request (CSeq method does not match the request method)');
    expect(bad.toTag).toBeTruthy();
    await peer.send('\x00\x01garbage without a Via\r\n\r\n', ua.port);
    await peer.send(requestText({ method: 'OPTIONS', port: peer.port }).replace(/Via: [^\r]*\r\n/, ''), ua.port);
    await peer.send(requestText({ method: 'ACK', port: peer.port }).replace('CSeq: 1 ACK', 'CSeq: x ACK'), ua.port);
    await settle(30);
    expect(peer.received).toHaveLength(1);
    expect(peer.garbage).toHaveLength(0);
  });
});
