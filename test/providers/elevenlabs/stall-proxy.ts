// A loopback TCP proxy that passes the client's HTTP upgrade request through and then swallows every
// later client byte, while the server's bytes flow back untouched: the server sees a client that
// connected and then went silent (its messages stuck upstream), which is what an inactivity timeout
// is for.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export type StallProxy = { port: number; close(): Promise<void> };

export async function startStallProxy(targetPort: number): Promise<StallProxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    let head = Buffer.alloc(0);
    let headDone = false;
    client.on('data', (chunk: Buffer) => {
      if (headDone) return;
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headDone = true;
      upstream.write(head.subarray(0, end + 4));
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    client.on('error', () => {});
    upstream.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
