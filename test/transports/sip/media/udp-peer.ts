// Test helpers: a raw UDP peer on 127.0.0.1 that records what reaches it, and polling for
// conditions that depend on packets crossing the loopback interface.
import { createSocket, type Socket } from 'node:dgram';
import { parseRtp, writeRtp, type RtpPacket } from '../../../../src/transports/sip/media/rtp-packet.js';

export interface Received {
  data: Buffer;
  from: { address: string; port: number };
}

export class UdpPeer {
  readonly received: Received[] = [];
  private constructor(readonly socket: Socket) {
    socket.on('message', (data, rinfo) => this.received.push({ data, from: { address: rinfo.address, port: rinfo.port } }));
  }

  static async open(): Promise<UdpPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    return new UdpPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  rtp(): RtpPacket[] {
    return this.received.map((r) => parseRtp(r.data)).flatMap((p) => (p.ok ? [p.packet] : []));
  }

  send(data: Uint8Array, port: number): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(data, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }

  sendRtp(packet: RtpPacket, port: number): Promise<void> {
    return this.send(writeRtp(packet), port);
  }

  close(): void {
    this.socket.close();
  }
}

/** Polls until `condition` holds; generous, since loopback delivery is normally immediate. */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Lets pending socket I/O run (a few event loop turns). */
export function settle(ms = 5): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
