// The Cartesia simulator spoken to with a bare WebSocket client: auth, validation errors in both
// error shapes, contexts, flush ids, encodings, cancel, idle close and the TTS faults.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startSimServer, type SimServer } from '../../sim/sim-server.js';
import { synthesizeSpeech } from '../../sim/sim-voice.js';

type Msg = Record<string, unknown> & { type?: string; context_id?: string };

let sim: SimServer | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});

async function start(options: Parameters<typeof startSimServer>[0] = {}): Promise<SimServer> {
  sim = await startSimServer({ latencies: { ttsTtfbMs: 10, ttsRealtimeFactor: 40 }, ...options });
  return sim;
}

/** Resolves with the upgrade refusal (status and body) or rejects if the socket opened. */
function refusal(url: string, headers: Record<string, string>): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      reject(new Error('upgrade was accepted'));
    });
    ws.on('error', () => {});
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
  });
}

class Client {
  readonly messages: Msg[] = [];
  readonly raw: string[] = [];
  private waiters = new Set<() => void>();
  closed: { code: number } | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString();
      this.raw.push(text);
      try {
        this.messages.push(JSON.parse(text) as Msg);
      } catch {
        // kept in `raw` only
      }
      for (const w of [...this.waiters]) w();
    });
    ws.on('close', (code) => {
      this.closed = { code };
      for (const w of [...this.waiters]) w();
    });
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<Client> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      ws.once('open', () => resolve(new Client(ws)));
      ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  of(contextId: string): Msg[] {
    return this.messages.filter((m) => m.context_id === contextId);
  }

  until(check: () => boolean, timeoutMs = 3000): Promise<void> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters.delete(attempt);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(attempt);
        reject(new Error('condition not reached'));
      }, timeoutMs);
      this.waiters.add(attempt);
      attempt();
    });
  }

  untilDone(contextId: string): Promise<void> {
    return this.until(() => this.of(contextId).some((m) => m.type === 'done' || m.type === 'error'));
  }
}

const KEY = 'sim-cartesia-key';
const AUTH = { 'Cartesia-Version': '2025-04-16', 'X-API-Key': KEY };

function request(contextId: string, transcript: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    context_id: contextId,
    model_id: 'sonic-2',
    transcript,
    voice: { mode: 'id', id: 'voice-a' },
    output_format: { container: 'raw', encoding: 'pcm_s16le', sample_rate: 16000 },
    add_timestamps: true,
    continue: false,
    ...extra,
  };
}

function audioBytes(messages: Msg[]): Buffer {
  return Buffer.concat(messages.filter((m) => m.type === 'chunk').map((m) => Buffer.from(m.data as string, 'base64')));
}

describe('cartesia simulator: connecting', () => {
  it('requires a Cartesia-Version and answers 400 in the structured error shape', async () => {
    const s = await start();
    const r = await refusal(`${s.wsUrl}/tts/websocket`, { 'X-API-Key': KEY });
    expect(r.status).toBe(400);
    const body = JSON.parse(r.body);
    expect(body).toMatchObject({ error_code: 'missing_version', title: expect.any(String), message: expect.stringContaining('Cartesia-Version') });
    expect(typeof body.request_id).toBe('string');
  });

  it('accepts the key as X-API-Key, Bearer, or api_key query (version as query too)', async () => {
    const s = await start();
    const url = `${s.wsUrl}/tts/websocket`;
    const variants = [
      Client.open(url, AUTH),
      Client.open(url, { 'Cartesia-Version': '2026-03-01', Authorization: `Bearer ${KEY}` }),
      Client.open(`${url}?cartesia_version=2024-11-13&api_key=${KEY}`),
    ];
    const clients = await Promise.all(variants);
    expect(clients).toHaveLength(3);
    for (const c of clients) c.ws.close();
  });

  it('refuses a wrong or missing key with 401 and a JSON body', async () => {
    const s = await start();
    const wrong = await refusal(`${s.wsUrl}/tts/websocket`, { 'Cartesia-Version': '2025-04-16', 'X-API-Key': 'nope' });
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.body)).toMatchObject({ error_code: 'invalid_api_key', message: expect.any(String) });
    const missing = await refusal(`${s.wsUrl}/tts/websocket`, { 'Cartesia-Version': '2025-04-16' });
    expect(missing.status).toBe(401);
  });

  it('status faults refuse with 429 (retry-after) and 500 in the same shape', async () => {
    const s = await start();
    s.control.addFault({ vendor: 'cartesia', fault: { type: 'status', status: 429, retryAfterS: 3 }, times: 1 });
    s.control.addFault({ vendor: 'cartesia', fault: { type: 'status', status: 500 }, times: 1 });
    const limited = await refusal(`${s.wsUrl}/tts/websocket`, AUTH);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('3');
    expect(JSON.parse(limited.body)).toMatchObject({ error_code: 'concurrency_limited' });
    const failed = await refusal(`${s.wsUrl}/tts/websocket`, AUTH);
    expect(failed.status).toBe(500);
    expect(JSON.parse(failed.body).title).toMatch(/server error/i);
  });
});

describe('cartesia simulator: generation', () => {
  it('streams chunks, word timestamps in seconds and done for a context', async () => {
    const s = await start();
    const c = await Client.open(`${s.wsUrl}/tts/websocket`, AUTH);
    const text = 'Hello there, how are you?';
    c.send(request('a', text));
    await c.untilDone('a');
    const msgs = c.of('a');
    const expected = synthesizeSpeech(text, 16000, 'voice-a');
    const bytes = audioBytes(msgs);
    expect(bytes.length).toBe(expected.samples.length * 2);
    expect(Buffer.compare(bytes, Buffer.from(expected.samples.buffer))).toBe(0);
    const chunks = msgs.filter((m) => m.type === 'chunk');
    expect(chunks.length).toBeGreaterThan(3);
    // Payloads are not sample aligned.
    expect(chunks.some((m) => Buffer.from(m.data as string, 'base64').length % 2 === 1)).toBe(true);
    expect(chunks[0]).toMatchObject({ status_code: 206, done: false, step_time: expect.any(Number) });
    const words = msgs.filter((m) => m.type === 'timestamps').flatMap((m) => {
      const t = m.word_timestamps as { words: string[]; start: number[]; end: number[] };
      return t.words.map((w, i) => ({ word: w, start: t.start[i], end: t.end[i] }));
    });
    expect(words.map((w) => w.word)).toEqual(expected.words.map((w) => w.word));
    expect(words.map((w) => w.start)).toEqual(expected.words.map((w) => w.startMs / 1000));
    expect(msgs.at(-1)).toMatchObject({ type: 'done', done: true, status_code: 206 });
    c.ws.close();
  });

  it('multiplexes contexts and continues a context across messages with flush ids counting from 1', async () => {
    const s = await start();
    const c = await Client.open(`${s.wsUrl}/tts/websocket`, AUTH);
    c.send(request('x', 'First part ', { continue: true }));
    c.send(request('y', 'Other context.'));
    c.send(request('x', '', { continue: true, flush: true }));
    c.send(request('x', 'second part.', { continue: true }));
    c.send(request('x', '', { continue: true, flush: true }));
    c.send(request('x', '', { continue: false }));
    await Promise.all([c.untilDone('x'), c.untilDone('y')]);
    const flushes = c.of('x').filter((m) => m.type === 'flush_done');
    expect(flushes.map((m) => m.flush_id)).toEqual([1, 2]);
    expect(c.of('x').at(-1)?.type).toBe('done');
    expect(c.of('y').at(-1)?.type).toBe('done');
    expect(audioBytes(c.of('y')).length).toBe(synthesizeSpeech('Other context.', 16000).samples.length * 2);
    // The second segment's word times continue after the first segment's audio.
    const second = c.of('x').filter((m) => m.type === 'timestamps').map((m) => m.word_timestamps as { words: string[]; start: number[] });
    const firstDurationS = synthesizeSpeech('First part ', 16000).durationMs / 1000;
    const secondStart = second.find((t) => t.words.includes('second'))!;
    expect(secondStart.start[secondStart.words.indexOf('second')]).toBeCloseTo(firstDurationS, 3);
    c.ws.close();
  });

  it.each([
    ['pcm_f32le', 4],
    ['pcm_mulaw', 1],
    ['pcm_alaw', 1],
  ])('produces %s audio of the right size', async (encoding, width) => {
    const s = await start();
    const c = await Client.open(`${s.wsUrl}/tts/websocket`, AUTH);
    c.send(request('e', 'Hi there.', { output_format: { container: 'raw', encoding, sample_rate: 8000 } }));
    await c.untilDone('e');
    expect(audioBytes(c.of('e')).length).toBe(synthesizeSpeech('Hi there.', 8000).samples.length * width);
    c.ws.close();
  });

  it.each([
    ['a bad model', { model_id: 'gpt-4o' }, 'model_not_found'],
    ['a bad encoding', { output_format: { container: 'raw', encoding: 'mp3', sample_rate: 16000 } }, 'invalid_output_format'],
    ['a bad sample rate', { output_format: { container: 'raw', encoding: 'pcm_s16le', sample_rate: 11025 } }, 'invalid_output_format'],
    ['a non-raw container', { output_format: { container: 'wav', encoding: 'pcm_s16le', sample_rate: 16000 } }, 'invalid_output_format'],
    ['an empty transcript on a new context', { transcript: '  ' }, 'empty_transcript'],
    ['a voice without id', { voice: { mode: 'id' } }, 'invalid_voice'],
  ])('answers %s with an error event in both shapes, for that context only', async (_name, override, code) => {
    const s = await start();
    const c = await Client.open(`${s.wsUrl}/tts/websocket`, AUTH);
    c.send(request('good', 'Fine words.'));
    c.send({ ...request('bad', 'Some words.'), ...override });
    await Promise.all([c.untilDone('bad'), c.untilDone('good')]);
    const error = c.of('bad').find((m) => m.type === 'error');
    expect(error).toMatchObject({ done: true, status_code: 400, error_code: code, title: expect.any(String), message: expect.any(String) });
    expect(error!.error).toBe(`${error!.title}: ${error!.message}`);
    expect(c.of('bad').some((m) => m.type === 'chunk')).toBe(false);
    expect(c.of('good').at(-1)?.type).toBe('done');
    c.ws.close();
  });

  it('cancel stops a context at once and nothing more is sent for it', async () => {
    const s = await start({ latencies: { ttsTtfbMs: 10, ttsRealtimeFactor: 2 } });
    const c = await Client.open(`${s.wsUrl}/tts/websocket`, AUTH);
    c.send(request('long', 'This is a long sentence that takes a while to speak out loud.'));
    c.send(request('other', 'Short one.'));
    await c.until(() => c.of('long').filter((m) => m.type === 'chunk').length >= 2);
    c.send({ context_id: 'long', cancel: true });
    const conn = s.control.last('cartesia')!;
    const cancel = await s.control.waitFor(() => conn.events.find((e) => e.type === 'cancel' && e.detail === 'long'));
    const countAtCancel = c.of('long').length;
    await c.untilDone('other');
    await new Promise((r) => setTimeout(r, 150));
    expect(conn.events.filter((e) => e.type === 'chunk' && e.detail === 'long' && e.at > cancel.at)).toEqual([]);
    // At most what was already in flight when the cancel landed.
    expect(c.of('long').length).toBeLessThanOrEqual(countAtCancel + 1);
    expect(c.of('long').some((m) => m.type === 'done')).toBe(false);
    c.ws.close();
  });

  it('a context is gone after done: reusing its id starts afresh, refusing a closed context with an error', async () => {
    const s = await start();
    const c = await Client.open(`${s.wsUrl}/tts/websocket`, AUTH);
    c.send(request('r', 'One.', { continue: false }));
    // Input after continue:false, before done: refused.
    c.send(request('r', 'More.', { continue: true }));
    await c.untilDone('r');
    expect(c.of('r').find((m) => m.type === 'error')).toMatchObject({ error_code: 'context_closed' });
    const before = c.of('r').length;
    c.send(request('r', 'Two.'));
    await c.until(() => c.of('r').slice(before).some((m) => m.type === 'done'));
    expect(c.of('r').slice(before).some((m) => m.type === 'chunk')).toBe(true);
    c.ws.close();
  });
});

describe('cartesia simulator: timeouts and faults', () => {
  it('closes an idle socket after cartesiaIdleMs', async () => {
    const s = await start({ timeouts: { cartesiaIdleMs: 120 } });
    const c = await Client.open(`${s.wsUrl}/tts/websocket`, AUTH);
    c.send(request('i', 'Hi.'));
    await c.untilDone('i');
    const doneAt = performance.now();
    await c.until(() => c.closed !== null);
    expect(performance.now() - doneAt).toBeGreaterThanOrEqual(100);
    const conn = s.control.last('cartesia')!;
    await s.control.waitFor(() => conn.closedAt ?? undefined);
    expect(conn.closedBy).toBe('server');
    expect(conn.events.some((e) => e.type === 'idle_timeout')).toBe(true);
  });

  it('wrong_audio_format: the audio of a context starts with a RIFF header', async () => {
    const s = await start();
    s.control.addFault({ vendor: 'cartesia', fault: { type: 'wrong_audio_format' }, times: 1 });
    const c = await Client.open(`${s.wsUrl}/tts/websocket`, AUTH);
    c.send(request('w', 'Hello.'));
    await c.untilDone('w');
    expect(audioBytes(c.of('w')).subarray(0, 4).toString('latin1')).toBe('RIFF');
    c.ws.close();
  });

  it('malformed: a chunk with non-base64 data and a frame that is not JSON', async () => {
    const s = await start();
    s.control.addFault({ vendor: 'cartesia', fault: { type: 'malformed' }, times: 1 });
    const c = await Client.open(`${s.wsUrl}/tts/websocket`, AUTH);
    c.send(request('m', 'Hello there.'));
    await c.untilDone('m');
    expect(c.raw.some((t) => t.startsWith('<html>'))).toBe(true);
    expect(c.of('m').some((m) => m.type === 'chunk' && !/^[A-Za-z0-9+/]*=*$/.test(m.data as string))).toBe(true);
    c.ws.close();
  });

  it('slow: the first chunk comes later by the factor', async () => {
    const s = await start({ latencies: { ttsTtfbMs: 30, ttsRealtimeFactor: 40 } });
    s.control.addFault({ vendor: 'cartesia', fault: { type: 'slow', factor: 6 }, times: 1 });
    const c = await Client.open(`${s.wsUrl}/tts/websocket`, AUTH);
    const sentAt = performance.now();
    c.send(request('s', 'Hi.'));
    await c.until(() => c.of('s').some((m) => m.type === 'chunk'));
    expect(performance.now() - sentAt).toBeGreaterThanOrEqual(170);
    c.ws.close();
  });
});
