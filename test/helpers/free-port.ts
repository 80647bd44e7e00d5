// A loopback port free for both UDP and TCP at the moment of asking. SIP user agents (baresip, SIPp)
// listen on one port number for both transports, so a port free for only one of them is no use.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

function bindUdp(port: number): Promise<{ port: number; close: () => Promise<void> } | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(undefined);
    });
    socket.bind(port, '127.0.0.1', () => {
      resolve({ port: socket.address().port, close: () => new Promise<void>((done) => socket.close(() => done())) });
    });
  });
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A port on 127.0.0.1 that was free for UDP and TCP when checked. Another process can still take it
 * before the caller binds it: callers start their program on it at once and fail with its log if
 * the bind lost that race.
 */
export async function freeUdpTcpPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const udp = await bindUdp(0);
    if (!udp) continue;
    const ok = await tcpFree(udp.port);
    await udp.close();
    if (ok) return udp.port;
  }
  throw new Error('no port on 127.0.0.1 was free for both UDP and TCP after 50 tries');
}

/** `count` distinct ports, each free for UDP and TCP when checked. */
export async function freeUdpTcpPorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freeUdpTcpPort());
  return [...ports];
}

function bindUdpAt(port: number): Promise<(() => Promise<void>) | undefined> {
  return bindUdp(port).then((bound) => bound?.close);
}

/**
 * The first of `size` consecutive loopback UDP ports that were all free when checked, chosen at
 * random between 50000 and 59999 (above baresip's 40000-49999 in these tests) so that parallel
 * test workers rarely pick the same block. SIPp needs such a block for its media port: it binds
 * the port and the one two above, and its rtp_stream uses the port four above.
 */
export async function freeUdpPortBlock(size: number): Promise<number> {
  if (!Number.isInteger(size) || size < 1 || size > 100) throw new RangeError(`block size must be 1..100, got ${size}`);
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 50000 + 2 * Math.floor(Math.random() * ((10000 - size) / 2));
    const closers: Array<() => Promise<void>> = [];
    let free = true;
    for (let port = base; port < base + size; port++) {
      const close = await bindUdpAt(port);
      if (!close) {
        free = false;
        break;
      }
      closers.push(close);
    }
    for (const close of closers) await close();
    if (free) return base;
  }
  throw new Error(`no block of ${size} free UDP ports between 50000 and 59999 after 100 tries`);
}
