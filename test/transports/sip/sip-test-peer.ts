// Test helpers: a raw SIP peer on 127.0.0.1 (UDP or TCP) that sends hand-written messages and
// records what comes back, message builders, and waiting for conditions that depend on packets
// crossing the loopback interface.
import { createSocket, type Socket } from 'node:dgram';
import net from 'node:net';
import { pino } from 'pino';
import type { Clock, VirtualClock } from '../../../src/clock.js';
import type { SipMessage, SipRequest, SipResponse } from '../../../src/transports/sip/sip-message.js';
import { parseSipMessage } from '../../../src/transports/sip/sip-parser.js';
import { SipStreamParser } from '../../../src/transports/sip/sip-stream-parser.js';

export const quietLog = pino({ level: process.env.SIP_TEST_LOG ?? 'silent' });

/** Polls until `condition` holds (loopback delivery is normally immediate; the bound only catches a hang). */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Lets pending socket I/O run. */
export function settle(ms = 10): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Advances a virtual clock in steps, letting packets cross between steps. */
export async function pump(clock: VirtualClock, ms: number, stepMs = 20): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    clock.advance(Math.min(stepMs, ms - done));
    await settle(1);
  }
}

/**
 * Stops something whose shutdown waits on a virtual clock (BYEs a raw peer never answers are given
 * up after the stop timeout): moves the clock until it is done.
 */
export async function stopWithClock(stop: () => Promise<void>, clock: VirtualClock): Promise<void> {
  let done = false;
  const stopping = stop().finally(() => {
    done = true;
  });
  while (!done) {
    clock.advance(500);
    await settle(2);
  }
  await stopping;
}

export class SipTestPeer {
  readonly received: SipMessage[] = [];
  /** Bytes that did not parse. */
  readonly garbage: Buffer[] = [];
  private udp: Socket | null = null;
  private tcp: net.Socket | null = null;

  private constructor(readonly transport: 'udp' | 'tcp') {}

  static async udp(): Promise<SipTestPeer> {
    const peer = new SipTestPeer('udp');
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    socket.on('message', (data) => peer.record(data));
    peer.udp = socket;
    return peer;
  }

  /** A TCP connection to `port` (what it receives is framed by Content-Length). */
  static async tcp(port: number): Promise<SipTestPeer> {
    const peer = new SipTestPeer('tcp');
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('connect', () => resolve());
    });
    const parser = new SipStreamParser();
    socket.on('data', (chunk) => {
      for (const item of parser.push(chunk)) {
        if (item.kind !== 'message') continue;
        peer.received.push(item.message);
        if (item.message.kind === 'request') peer.onRequest?.(item.message);
      }
    });
    socket.on('error', () => undefined);
    peer.tcp = socket;
    return peer;
  }

  get port(): number {
    if (this.udp) return this.udp.address().port;
    return this.tcp?.localPort ?? 0;
  }

  get closedByRemote(): boolean {
    return this.tcp !== null && (this.tcp.destroyed || this.tcp.readableEnded);
  }

  send(data: string | Buffer, port: number): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (this.tcp) {
      this.tcp.write(bytes);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.udp?.send(bytes, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }

  responses(status?: number, method?: string): SipResponse[] {
    return this.received.filter((m): m is SipResponse => m.kind === 'response' && (status === undefined || m.status === status) && (method === undefined || m.cseq.method === method));
  }

  requests(method?: string): SipRequest[] {
    return this.received.filter((m): m is SipRequest => m.kind === 'request' && (method === undefined || m.method === method));
  }

  async waitResponse(status: number, method?: string, count = 1): Promise<SipResponse> {
    await eventually(() => this.responses(status, method).length >= count, `${count} x ${status}${method ? ` to ${method}` : ''}`);
    return this.responses(status, method)[count - 1];
  }

  async waitRequest(method: string, count = 1): Promise<SipRequest> {
    await eventually(() => this.requests(method).length >= count, `${count} x ${method}`);
    return this.requests(method)[count - 1];
  }

  /** Called for every request that arrives (after it is recorded): script the peer's behaviour here. */
  onRequest: ((request: SipRequest) => void) | null = null;

  /** Answers `request` (Via, From, To, Call-ID, CSeq copied; To tag added when it has none). */
  reply(request: SipRequest, status: number, reason: string, options: { toTag?: string; headers?: string[]; body?: string; contentType?: string } = {}): Promise<void> {
    const to = request.headers.get('To') ?? '';
    const lines = [
      `SIP/2.0 ${status} ${reason}`,
      ...request.headers.getAll('Via').map((v) => `Via: ${v}`),
      `From: ${request.headers.get('From')}`,
      `To: ${request.toTag || status === 100 ? to : `${to};tag=${options.toTag ?? 'peer-answer'}`}`,
      `Call-ID: ${request.callId}`,
      `CSeq: ${request.headers.get('CSeq')}`,
      ...(options.headers ?? []),
    ];
    const body = options.body ?? '';
    if (body) lines.push(`Content-Type: ${options.contentType ?? 'application/sdp'}`);
    lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
    const via = request.topVia;
    const rport = via.params.get('rport');
    const port = typeof rport === 'string' ? Number(rport) : (via.port ?? 5060);
    return this.send(lines.join('\r\n'), port);
  }

  close(): void {
    this.udp?.close();
    this.tcp?.destroy();
  }

  private record(data: Buffer): void {
    let message: SipMessage;
    try {
      message = parseSipMessage(data);
    } catch {
      this.garbage.push(data);
      return;
    }
    this.received.push(message);
    if (message.kind === 'request') this.onRequest?.(message);
  }
}

export interface RequestText {
  method: string;
  uri?: string;
  port: number;
  transport?: 'UDP' | 'TCP';
  branch?: string;
  callId?: string;
  fromTag?: string;
  toTag?: string;
  cseq?: number;
  cseqMethod?: string;
  contact?: boolean;
  body?: string;
  contentType?: string;
  extra?: string[];
  rport?: boolean;
}

let counter = 0;

/** A request as a peer at 127.0.0.1:`port` would write it. */
export function requestText(r: RequestText): string {
  counter += 1;
  const transport = r.transport ?? 'UDP';
  const lines = [
    `${r.method} ${r.uri ?? 'sip:agent@127.0.0.1'} SIP/2.0`,
    `Via: SIP/2.0/${transport} 127.0.0.1:${r.port};branch=${r.branch ?? `z9hG4bK-t${counter}-${Math.random().toString(36).slice(2)}`}${r.rport ? ';rport' : ''}`,
    'Max-Forwards: 70',
    `From: "Tester" <sip:+15550001@127.0.0.1:${r.port}>;tag=${r.fromTag ?? 'peer-tag'}`,
    `To: <sip:agent@127.0.0.1>${r.toTag ? `;tag=${r.toTag}` : ''}`,
    `Call-ID: ${r.callId ?? `call-${counter}@127.0.0.1`}`,
    `CSeq: ${r.cseq ?? 1} ${r.cseqMethod ?? r.method}`,
  ];
  if (r.contact ?? r.method === 'INVITE') lines.push(`Contact: <sip:tester@127.0.0.1:${r.port}${transport === 'TCP' ? ';transport=tcp' : ''}>`);
  lines.push(...(r.extra ?? []));
  const body = r.body ?? '';
  if (body) lines.push(`Content-Type: ${r.contentType ?? 'application/sdp'}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
  return lines.join('\r\n');
}

/** A G.711 offer as a phone would send it, for an RTP port the test owns. */
export function offerSdp(rtpPort: number, extra: string[] = ['a=sendrecv']): string {
  return [
    'v=0',
    `o=tester 1 1 IN IP4 127.0.0.1`,
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${rtpPort} RTP/AVP 0 8 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    ...extra,
    '',
  ].join('\r\n');
}

/** The ACK a peer sends for a 2xx it got to its INVITE (new branch, same CSeq number). */
export function ackFor(ok: SipResponse, port: number, transport: 'UDP' | 'TCP' = 'UDP', body = ''): string {
  return requestText({
    method: 'ACK',
    port,
    transport,
    callId: ok.callId,
    toTag: ok.toTag ?? undefined,
    fromTag: ok.fromTag ?? undefined,
    cseq: ok.cseq.seq,
    body,
  });
}

export type { Clock };
