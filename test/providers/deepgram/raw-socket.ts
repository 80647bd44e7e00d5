// A bare WebSocket client for talking to the simulator in tests: records text messages (parsed when
// JSON), binary byte counts and the close, and lets a test wait for any of them.
import WebSocket from 'ws';

export type Refused = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

export class RawSocket {
  readonly texts: string[] = [];
  readonly messages: Array<Record<string, unknown>> = [];
  readonly binary: Buffer[] = [];
  close: { code: number; reason: string } | null = null;
  upgradeHeaders: Record<string, string | string[] | undefined> = {};
  private readonly waiters = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) this.binary.push(data);
      else {
        const text = data.toString('utf8');
        this.texts.push(text);
        try {
          this.messages.push(JSON.parse(text) as Record<string, unknown>);
        } catch {
          // Garbage frames stay in `texts` only.
        }
      }
      this.notify();
    });
    ws.on('close', (code, reason) => {
      this.close = { code, reason: reason.toString('utf8') };
      this.notify();
    });
    ws.on('error', () => {});
  }

  /** Opens a socket; rejects with a `Refused` when the upgrade is refused. */
  static open(url: string, options: { headers?: Record<string, string>; protocols?: string[] } = {}): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers });
      let upgradeHeaders: RawSocket['upgradeHeaders'] = {};
      ws.once('upgrade', (res) => (upgradeHeaders = res.headers));
      ws.once('open', () => {
        const socket = new RawSocket(ws);
        socket.upgradeHeaders = upgradeHeaders;
        resolve(socket);
      });
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => reject(Object.assign(new Error(`refused ${res.statusCode}`), { refused: { status: res.statusCode ?? 0, headers: res.headers, body } })));
      });
      ws.once('error', reject);
    });
  }

  sendJson(message: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(message));
  }

  ofType(type: string): Array<Record<string, unknown>> {
    return this.messages.filter((m) => m.type === type);
  }

  get binaryBytes(): number {
    return this.binary.reduce((n, b) => n + b.length, 0);
  }

  /** Resolves when `check` holds, re-checked on every message and on close. */
  waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        if (!check()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`condition not reached within ${timeoutMs} ms; texts: ${this.texts.slice(-5).join(' | ')}; close: ${JSON.stringify(this.close)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(attempt);
      };
      this.waiters.add(attempt);
      attempt();
    });
  }

  waitClosed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    return this.waitFor(() => this.close !== null, timeoutMs).then(() => this.close!);
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** The `refused` details of a rejected RawSocket.open. */
export async function refusalOf(promise: Promise<unknown>): Promise<Refused> {
  try {
    await promise;
  } catch (err) {
    const refused = (err as { refused?: Refused }).refused;
    if (refused) return refused;
    throw err;
  }
  throw new Error('expected the upgrade to be refused');
}
