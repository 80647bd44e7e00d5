// A bare WebSocket client for talking to the ElevenLabs simulator message by message in tests.
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

export type Received = { at: number; text: string; json: Record<string, unknown> | null };

export type RawSocket = {
  ws: WebSocket;
  received: Received[];
  opened: Promise<void>;
  closed: Promise<{ code: number; reason: string; at: number }>;
  send(message: unknown): void;
  /** Resolves once a message satisfies `check` (already received ones included). */
  waitFor(check: (r: Received) => boolean, timeoutMs?: number): Promise<Received>;
};

export function openRaw(url: string, headers: Record<string, string> = {}): RawSocket {
  const ws = new WebSocket(url, { headers });
  const received: Received[] = [];
  const listeners = new Set<() => void>();
  ws.on('message', (data: Buffer) => {
    const text = data.toString('utf8');
    let json: Record<string, unknown> | null = null;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = null;
    }
    received.push({ at: performance.now(), text, json });
    for (const l of [...listeners]) l();
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
  });
  opened.catch(() => {});
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) => {
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8'), at: performance.now() }));
  });
  return {
    ws,
    received,
    opened,
    closed,
    send(message) {
      ws.send(typeof message === 'string' ? message : JSON.stringify(message));
    },
    waitFor(check, timeoutMs = 5000) {
      return new Promise<Received>((resolve, reject) => {
        const attempt = () => {
          const hit = received.find(check);
          if (!hit) return false;
          listeners.delete(attempt);
          clearTimeout(timer);
          resolve(hit);
          return true;
        };
        const timer = setTimeout(() => {
          listeners.delete(attempt);
          reject(new Error('message not received in time'));
        }, timeoutMs);
        if (!attempt()) listeners.add(attempt);
      });
    },
  };
}

/** The status and body of a refused upgrade. */
export function refusedUpgrade(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('error', () => {});
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('upgrade was accepted'));
    });
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
  });
}

/** Decoded audio bytes of every audio message, in order. */
export function audioBytes(received: Received[]): Buffer {
  return Buffer.concat(received.filter((r) => typeof r.json?.audio === 'string').map((r) => Buffer.from(r.json!.audio as string, 'base64')));
}
