// A real webhook receiver on loopback (node:http, port 0) for the dispatcher tests: it answers from
// a script (status codes, or 'hang' to never answer), records every request, and checks each
// signature with verifyWebhookSignature the way a customer's endpoint would.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '../../src/webhooks/webhook-signature.js';

export type Answer = number | 'hang';
export type ReceivedRequest = { path: string; headers: IncomingHttpHeaders; body: string; signatureValid: boolean };

export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  private script: Answer[] = [];
  private fallback: Answer = 200;
  private waiters: { count: number; resolve: () => void }[] = [];
  private readonly hanging = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    private readonly secret: string,
    private readonly nowSec: () => number,
  ) {}

  /** `nowSec` is the receiver's clock for the signature's freshness check. */
  static async start(secret: string, nowSec: () => number): Promise<TestReceiver> {
    const server = createServer();
    const receiver = new TestReceiver(server, secret, nowSec);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => receiver.onRequest(req.url ?? '/', req.headers, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next requests get these answers, in order; after them, `fallback` (200 unless set). */
  answer(...answers: Answer[]): this {
    this.script.push(...answers);
    return this;
  }

  answerAlways(answer: Answer): this {
    this.script = [];
    this.fallback = answer;
    return this;
  }

  /** Resolves once `count` requests in all have arrived. */
  waitForRequests(count: number): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onRequest(path: string, headers: IncomingHttpHeaders, body: string, res: ServerResponse): void {
    const header = headers['parley-signature'];
    const signatureValid = verifyWebhookSignature(this.secret, typeof header === 'string' ? header : undefined, body, this.nowSec());
    this.requests.push({ path, headers, body, signatureValid });
    for (const w of this.waiters.filter((w) => this.requests.length >= w.count)) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
    const answer = this.script.shift() ?? this.fallback;
    if (answer === 'hang') {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer >= 200 && answer < 300 ? 'ok' : `receiver says ${answer}`);
  }
}

/** A loopback port nothing listens on (listened on once, then closed). */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/hook`;
}
