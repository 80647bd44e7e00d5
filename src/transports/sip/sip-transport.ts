// SIP over UDP and TCP on one port (RFC 3261 18). Incoming bytes become messages (or parse errors,
// so the UA can answer a broken request with a 400); outgoing messages go to a peer over UDP, over
// the TCP connection the peer already has with us (18.2.2: a response goes back on the connection
// its request came on), or over a new TCP connection. Idle TCP connections are closed.
//
// UDP and the path MTU: RFC 3261 18.1.1 asks for a congestion-controlled transport for requests
// within 200 bytes of the MTU (1300 bytes when it is unknown). Parley's own messages (an INVITE with
// a two-codec SDP offer) stay well under that; a larger one is still sent over UDP and logged, since
// switching transport would need a Via that names TCP before the message is built.
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../clock.js';
import type { SipMessage } from './sip-message.js';
import { DEFAULT_MAX_MESSAGE_BYTES, parseSipMessage, SipParseError } from './sip-parser.js';
import { SipStreamParser } from './sip-stream-parser.js';

export type SipTransportName = 'udp' | 'tcp';

/** The far end of a message: where it came from, or where one goes. */
export interface SipPeer {
  transport: SipTransportName;
  /** An IP address (or, for an outgoing message, a host name to look up). */
  address: string;
  port: number;
}

export interface SipTransportEvents {
  message(message: SipMessage, source: SipPeer): void;
  /** Bytes that are not a SIP message; `error.salvage` is set when they were a request. */
  parseError(error: SipParseError, source: SipPeer): void;
}

export interface SipTransportOptions {
  host: string;
  /** 0 picks a free port (the same one for UDP and TCP). */
  port: number;
  transports: readonly SipTransportName[];
  clock: Clock;
  log: Logger;
  /** Larger messages are refused (513); default 64 KiB. */
  maxMessageBytes?: number;
  /** A TCP connection with no traffic this long is closed; default 120 s. */
  tcpIdleMs?: number;
  /** A TCP connect that takes longer fails; default 5 s. */
  tcpConnectTimeoutMs?: number;
  /** Connections beyond this many are refused; default 1024. */
  maxTcpConnections?: number;
}

/** RFC 3261 18.1.1: the size past which UDP is not advisable when the path MTU is unknown. */
export const UDP_SAFE_SIZE = 1300;

type Connection = { socket: net.Socket; key: string; idle: TimerHandle | null; parser: SipStreamParser };

export class SipTransport {
  private udp: dgram.Socket | null = null;
  private tcp: net.Server | null = null;
  private boundPort = 0;
  private readonly connections = new Map<string, Connection>();
  private readonly connecting = new Map<string, Promise<Connection>>();
  private stopped = false;
  private oversizeLogged = false;
  private readonly maxBytes: number;

  constructor(
    private readonly options: SipTransportOptions,
    private readonly events: SipTransportEvents,
  ) {
    this.maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** The port both transports listen on (known after start). */
  get port(): number {
    return this.boundPort;
  }

  get transports(): readonly SipTransportName[] {
    return this.options.transports;
  }

  /** Whether a TCP connection to this peer is open (a dialog's flow is still usable). */
  hasConnection(peer: SipPeer): boolean {
    return peer.transport === 'tcp' && this.connections.has(connectionKey(normaliseAddress(peer.address), peer.port));
  }

  /** Open TCP connections (inbound and outbound). */
  get tcpConnections(): number {
    return this.connections.size;
  }

  async start(): Promise<void> {
    if (this.options.transports.length === 0) throw new Error('SIP transport: no transports enabled');
    // With port 0 the OS picks the UDP port and TCP must get the same number; another process can
    // hold it for TCP, so pick again a few times.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.bind(this.options.port);
        return;
      } catch (err) {
        await this.closeListeners();
        const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (this.options.port !== 0 || !inUse || attempt >= 10) throw err;
      }
    }
  }

  private async bind(port: number): Promise<void> {
    const { host, transports } = this.options;
    let chosen = port;
    if (transports.includes('udp')) {
      const udp = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4' });
      this.udp = udp;
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, host, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      chosen = udp.address().port;
      udp.on('message', (data, rinfo) => this.onDatagram(data, rinfo));
      udp.on('error', (err) => this.options.log.warn({ err: err.message }, 'SIP UDP socket error'));
    }
    if (transports.includes('tcp')) {
      const server = net.createServer((socket) => this.onInboundConnection(socket));
      this.tcp = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: chosen, host, exclusive: true }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      chosen = (server.address() as net.AddressInfo).port;
      server.on('error', (err) => this.options.log.warn({ err: err.message }, 'SIP TCP listener error'));
    }
    this.boundPort = chosen;
  }

  private async closeListeners(): Promise<void> {
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = null;
    this.tcp = null;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve())).catch(() => undefined);
    if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const conn of this.connections.values()) {
      conn.idle?.cancel();
      conn.socket.destroy();
    }
    this.connections.clear();
    await this.closeListeners();
  }

  /**
   * Sends bytes to a peer. Over TCP an open connection to that address and port is reused, else
   * one is opened. Rejects when the message cannot leave (no such transport, connect failed).
   */
  send(data: Buffer, peer: SipPeer): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('SIP transport stopped'));
    if (peer.transport === 'tcp') {
      // A connection already open is written to at once (synchronously), so a reply queued just
      // before a connection is closed still goes out first.
      const open = this.connections.get(connectionKey(normaliseAddress(peer.address), peer.port));
      if (open) {
        this.write(open, data);
        return Promise.resolve();
      }
      return this.sendTcp(data, peer);
    }
    return this.sendUdp(data, peer);
  }

  private async sendUdp(data: Buffer, peer: SipPeer): Promise<void> {
    const udp = this.udp;
    if (!udp) throw new Error('SIP over UDP is not enabled');
    if (data.length > UDP_SAFE_SIZE && !this.oversizeLogged) {
      this.oversizeLogged = true;
      this.options.log.warn({ bytes: data.length }, 'SIP message over UDP is larger than 1300 bytes and may be fragmented');
    }
    const address = await this.resolve(peer.address);
    await new Promise<void>((resolve, reject) => udp.send(data, peer.port, address, (err) => (err ? reject(err) : resolve())));
  }

  private async sendTcp(data: Buffer, peer: SipPeer): Promise<void> {
    if (!this.options.transports.includes('tcp')) throw new Error('SIP over TCP is not enabled');
    const address = normaliseAddress(await this.resolve(peer.address));
    const key = connectionKey(address, peer.port);
    const conn = this.connections.get(key) ?? (await this.connect(address, peer.port, key));
    this.write(conn, data);
  }

  private connect(address: string, port: number, key: string): Promise<Connection> {
    const pending = this.connecting.get(key);
    if (pending) return pending;
    const attempt = new Promise<Connection>((resolve, reject) => {
      if (this.connections.size >= (this.options.maxTcpConnections ?? 1024)) {
        reject(new Error('too many SIP TCP connections'));
        return;
      }
      const socket = net.connect({ host: address, port });
      const timer = this.options.clock.setTimeout(() => {
        socket.destroy();
        reject(new Error(`TCP connect to ${address}:${port} timed out`));
      }, this.options.tcpConnectTimeoutMs ?? 5000);
      socket.once('error', (err) => {
        timer.cancel();
        reject(err);
      });
      socket.once('connect', () => {
        timer.cancel();
        if (this.stopped) {
          socket.destroy();
          reject(new Error('SIP transport stopped'));
          return;
        }
        resolve(this.adopt(socket, key));
      });
    });
    this.connecting.set(key, attempt);
    const clear = (): void => {
      this.connecting.delete(key);
    };
    attempt.then(clear, clear);
    return attempt;
  }

  private write(conn: Connection, data: Buffer): void {
    this.touch(conn);
    conn.socket.write(data);
  }

  private onInboundConnection(socket: net.Socket): void {
    if (this.stopped || this.connections.size >= (this.options.maxTcpConnections ?? 1024)) {
      socket.destroy();
      return;
    }
    const address = normaliseAddress(socket.remoteAddress ?? '');
    const port = socket.remotePort ?? 0;
    this.adopt(socket, connectionKey(address, port));
  }

  /** Starts reading a connected socket and registers it for reuse under `key`. */
  private adopt(socket: net.Socket, key: string): Connection {
    const conn: Connection = { socket, key, idle: null, parser: new SipStreamParser(this.maxBytes) };
    const previous = this.connections.get(key);
    if (previous && previous.socket !== socket) previous.socket.destroy();
    this.connections.set(key, conn);
    socket.setNoDelay(true);
    const source: SipPeer = { transport: 'tcp', address: normaliseAddress(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
    socket.on('data', (chunk: Buffer) => this.onStreamData(conn, chunk, source));
    socket.on('error', (err) => this.options.log.debug({ err: err.message, peer: key }, 'SIP TCP connection error'));
    socket.on('close', () => {
      conn.idle?.cancel();
      if (this.connections.get(key) === conn) this.connections.delete(key);
    });
    this.touch(conn);
    return conn;
  }

  private onStreamData(conn: Connection, chunk: Buffer, source: SipPeer): void {
    this.touch(conn);
    for (const item of conn.parser.push(chunk)) {
      if (item.kind === 'ping') {
        conn.socket.write('\r\n');
      } else if (item.kind === 'message') {
        this.deliver(item.message, source);
      } else {
        this.reportError(item.error, source);
        if (item.fatal) conn.socket.end();
      }
    }
  }

  private onDatagram(data: Buffer, rinfo: dgram.RemoteInfo): void {
    const source: SipPeer = { transport: 'udp', address: normaliseAddress(rinfo.address), port: rinfo.port };
    // A datagram of only CRLFs is a keep-alive (RFC 5626 4.4.1 uses STUN, but CRLF is common); ignore it.
    if (data.every((b) => b === 0x0d || b === 0x0a)) return;
    let message: SipMessage;
    try {
      message = parseSipMessage(data, { maxBytes: this.maxBytes });
    } catch (err) {
      this.reportError(err instanceof SipParseError ? err : new SipParseError('unreadable message', 400, null), source);
      return;
    }
    this.deliver(message, source);
  }

  private deliver(message: SipMessage, source: SipPeer): void {
    try {
      this.events.message(message, source);
    } catch (err) {
      // The UA handles its own failures; this only keeps one bad message from killing the socket.
      this.options.log.error({ err: err instanceof Error ? err.stack : String(err) }, 'SIP message handler failed');
    }
  }

  private reportError(error: SipParseError, source: SipPeer): void {
    try {
      this.events.parseError(error, source);
    } catch (err) {
      this.options.log.error({ err: err instanceof Error ? err.stack : String(err) }, 'SIP parse error handler failed');
    }
  }

  private touch(conn: Connection): void {
    conn.idle?.cancel();
    conn.idle = this.options.clock.setTimeout(() => {
      this.options.log.debug({ peer: conn.key }, 'closing idle SIP TCP connection');
      conn.socket.destroy();
    }, this.options.tcpIdleMs ?? 120_000);
  }

  private async resolve(host: string): Promise<string> {
    if (net.isIP(host)) return host;
    const family = net.isIPv6(this.options.host) ? 6 : 4;
    return (await lookup(host, { family })).address;
  }
}

function connectionKey(address: string, port: number): string {
  return `${address}|${port}`;
}

/** `::ffff:1.2.3.4` (an IPv4 peer on a dual-stack socket) is 1.2.3.4. */
export function normaliseAddress(address: string): string {
  return address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}
