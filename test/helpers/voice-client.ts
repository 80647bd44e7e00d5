// A WebSocket client of the /ws/voice protocol for tests: records every message with its arrival
// time, and streams PCM in real time the way a microphone would.
import WebSocket from 'ws';
import { pcm16ToBytes } from '../../src/audio/pcm.js';

export type Received =
  | { kind: 'json'; at: number; msg: { type: string; [k: string]: unknown } }
  | { kind: 'audio'; at: number; bytes: number; data: Buffer };

export class VoiceClient {
  readonly received: Received[] = [];
  closeCode: number | null = null;
  closeReason = '';
  /** Answer the server's `ping` with `pong` (set false to test the server's heartbeat timeout). */
  answerPings = true;
  private waiters: (() => void)[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      if (isBinary) this.received.push({ kind: 'audio', at: performance.now(), bytes: buf.length, data: buf });
      else {
        const msg = JSON.parse(buf.toString('utf8'));
        this.received.push({ kind: 'json', at: performance.now(), msg });
        // Like the page, answer the server's heartbeat, or a call longer than its timeout is closed.
        if (msg.type === 'ping' && this.answerPings) this.send({ type: 'pong', t: msg.t });
      }
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      this.wake();
    });
  }

  static connect(url: string): Promise<VoiceClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const client = new VoiceClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  send(msg: object): void {
    this.ws.send(JSON.stringify(msg));
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  messages(type?: string): { type: string; [k: string]: unknown }[] {
    return this.received.flatMap((r) => (r.kind === 'json' && (!type || r.msg.type === type) ? [r.msg] : []));
  }

  audio(): (Received & { kind: 'audio' })[] {
    return this.received.filter((r): r is Received & { kind: 'audio' } => r.kind === 'audio');
  }

  /** Resolves with the first message (from `fromIndex` on) that matches; rejects after `timeoutMs`. */
  async waitFor(pred: (msg: { type: string; [k: string]: unknown }) => boolean, timeoutMs = 15000, fromIndex = 0): Promise<{ type: string; [k: string]: unknown }> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const hit = this.received.slice(fromIndex).find((r) => r.kind === 'json' && pred(r.msg));
      if (hit && hit.kind === 'json') return hit.msg;
      const left = deadline - performance.now();
      if (left <= 0 || this.closeCode !== null) {
        throw new Error(`timed out waiting; got: ${this.messages().map((m) => m.type).join(', ')}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async waitClosed(timeoutMs = 10000): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (this.closeCode === null && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (this.closeCode === null) throw new Error('socket did not close');
    return this.closeCode;
  }

  /** Streams PCM16 at `rate` in 20 ms frames paced against the wall clock. */
  async stream(samples: Int16Array, rate = 16000, shouldStop?: () => boolean): Promise<void> {
    const frame = (rate * 20) / 1000;
    const start = performance.now();
    for (let i = 0, n = 0; i < samples.length; i += frame, n++) {
      if (shouldStop?.() || this.ws.readyState !== WebSocket.OPEN) return;
      const due = start + n * 20;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      this.ws.send(pcm16ToBytes(samples.subarray(i, Math.min(samples.length, i + frame))));
    }
  }

  close(): void {
    this.ws.close();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
