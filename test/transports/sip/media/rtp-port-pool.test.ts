import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { RtpPortPool, RtpPortsExhaustedError, type RtpSockets } from '../../../../src/transports/sip/media/rtp-port-pool.js';
import { UdpPeer, eventually } from './udp-peer.js';

const held: RtpSockets[] = [];
const others: Socket[] = [];

afterEach(() => {
  while (held.length) held.pop()!.release();
  while (others.length) others.pop()!.close();
});

async function allocate(pool: RtpPortPool): Promise<RtpSockets> {
  const s = await pool.allocate();
  held.push(s);
  return s;
}

function bindOther(port: number): Promise<Socket> {
  const socket = createSocket('udp4');
  others.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => resolve(socket));
  });
}

describe('RtpPortPool', () => {
  it('binds RTP on an even port and RTCP on the next, both on the host', async () => {
    const pool = new RtpPortPool({ host: '127.0.0.1', min: 43001, max: 43020 });
    const s = await allocate(pool);
    expect(s.port % 2).toBe(0);
    expect(s.port).toBeGreaterThanOrEqual(43002);
    expect(s.rtp.address()).toEqual({ address: '127.0.0.1', family: 'IPv4', port: s.port });
    expect(s.rtcp.address()).toEqual({ address: '127.0.0.1', family: 'IPv4', port: s.port + 1 });
    expect(pool.inUse).toBe(1);

    // The sockets are live: a datagram sent to the RTP port arrives there.
    const peer = await UdpPeer.open();
    const got: Buffer[] = [];
    s.rtp.on('message', (m) => got.push(m));
    await peer.send(Buffer.from('hi'), s.port);
    await eventually(() => got.length === 1, 'a datagram on the RTP socket');
    peer.close();
  });

  it('hands out distinct pairs, skips ports held by others and runs out cleanly', async () => {
    const pool = new RtpPortPool({ host: '127.0.0.1', min: 43100, max: 43107 }); // pairs 43100, 43102, 43104, 43106
    await bindOther(43103); // the RTCP port of the second pair is taken by someone else
    const ports = [await allocate(pool), await allocate(pool), await allocate(pool)].map((s) => s.port);
    expect(ports).toEqual([43100, 43104, 43106]);
    expect(pool.inUse).toBe(3);
    await expect(pool.allocate()).rejects.toBeInstanceOf(RtpPortsExhaustedError);
  });

  it('frees the port on release, idempotently, and closes both sockets', async () => {
    const pool = new RtpPortPool({ host: '127.0.0.1', min: 43200, max: 43203 }); // pairs 43200 and 43202
    const s = await pool.allocate();
    let closed = 0;
    s.rtp.on('close', () => closed++);
    s.rtcp.on('close', () => closed++);
    s.release();
    s.release();
    expect(pool.inUse).toBe(0);
    await eventually(() => closed === 2, 'both sockets closed');
    // The freed port can be bound again (by us or by anyone).
    await bindOther(s.port);
  });

  it('allocates concurrently without handing out the same pair twice', async () => {
    const pool = new RtpPortPool({ host: '127.0.0.1', min: 43300, max: 43399 });
    const all = await Promise.all(Array.from({ length: 10 }, () => allocate(pool)));
    expect(new Set(all.map((s) => s.port)).size).toBe(10);
    expect(pool.inUse).toBe(10);
  });

  it('rejects a bad host or range', () => {
    expect(() => new RtpPortPool({ host: 'localhost', min: 40000, max: 40010 })).toThrow(/IP address/);
    expect(() => new RtpPortPool({ host: '127.0.0.1', min: 80, max: 90 })).toThrow(/1024-65535/);
    expect(() => new RtpPortPool({ host: '127.0.0.1', min: 40001, max: 40001 })).toThrow(/no even\/odd port pair/);
  });
});
