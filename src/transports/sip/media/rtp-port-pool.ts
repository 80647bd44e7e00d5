// UDP port pairs for calls: RTP on an even port, RTCP on the next (RFC 3550 section 11). Ports are
// handed out round-robin across the range, so a port just freed is not reused at once and stray
// packets of the last call do not land in the next one. A port another process holds is skipped.
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';

export interface RtpSockets {
  port: number;
  rtp: Socket;
  rtcp: Socket;
  /** Closes both sockets and frees the port; idempotent. */
  release(): void;
}

export interface RtpPortPoolOptions {
  host: string;
  min: number;
  max: number;
}

/** Raised when every port pair of the range is taken. */
export class RtpPortsExhaustedError extends Error {
  override readonly name = 'RtpPortsExhaustedError';
}

export class RtpPortPool {
  private readonly host: string;
  private readonly type: 'udp4' | 'udp6';
  private readonly first: number;
  private readonly last: number;
  private readonly taken = new Set<number>();
  private cursor: number;

  constructor(options: RtpPortPoolOptions) {
    const { host, min, max } = options;
    const family = isIP(host);
    if (family === 0) throw new TypeError(`RTP host must be an IP address, got "${host}"`);
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1024 || max > 65535) {
      throw new RangeError(`RTP port range must lie within 1024-65535, got ${min}-${max}`);
    }
    this.first = min % 2 === 0 ? min : min + 1;
    // The RTCP port of the last pair must still be inside the range.
    this.last = max % 2 === 0 ? max - 2 : max - 1;
    if (this.last < this.first) throw new RangeError(`RTP port range ${min}-${max} holds no even/odd port pair`);
    this.host = host;
    this.type = family === 6 ? 'udp6' : 'udp4';
    this.cursor = this.first;
  }

  /** Port pairs handed out and not yet released. */
  get inUse(): number {
    return this.taken.size;
  }

  /** Binds the next free pair. Rejects with RtpPortsExhaustedError when none is left. */
  async allocate(): Promise<RtpSockets> {
    const pairs = (this.last - this.first) / 2 + 1;
    for (let tried = 0; tried < pairs; tried++) {
      const port = this.cursor;
      this.cursor = port + 2 > this.last ? this.first : port + 2;
      if (this.taken.has(port)) continue;
      // Reserve before the await, so concurrent allocations never try the same pair.
      this.taken.add(port);
      const bound = await this.bindPair(port).catch((err: NodeJS.ErrnoException) => {
        this.taken.delete(port);
        if (err.code === 'EADDRINUSE' || err.code === 'EACCES') return null;
        throw err;
      });
      if (bound) return bound;
    }
    throw new RtpPortsExhaustedError(`no free RTP port pair in ${this.first}-${this.last + 1} on ${this.host}`);
  }

  private async bindPair(port: number): Promise<RtpSockets> {
    const rtp = await this.bind(port);
    let rtcp: Socket;
    try {
      rtcp = await this.bind(port + 1);
    } catch (err) {
      rtp.close();
      throw err;
    }
    let released = false;
    return {
      port,
      rtp,
      rtcp,
      release: () => {
        if (released) return;
        released = true;
        this.taken.delete(port);
        // Closed one turn later: a packet sent just before (an RTCP BYE) is still on its way
        // through dgram's address lookup and would be dropped by closing now.
        setImmediate(() => {
          closeQuietly(rtp);
          closeQuietly(rtcp);
        });
      },
    };
  }

  private bind(port: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = createSocket({ type: this.type });
      const onError = (err: Error) => {
        closeQuietly(socket);
        reject(err);
      };
      socket.once('error', onError);
      socket.bind({ port, address: this.host, exclusive: true }, () => {
        socket.off('error', onError);
        // Never an unhandled 'error' event (which would end the process); the user of the
        // sockets adds its own listener to log.
        socket.on('error', () => {});
        resolve(socket);
      });
    });
  }
}

function closeQuietly(socket: Socket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}
