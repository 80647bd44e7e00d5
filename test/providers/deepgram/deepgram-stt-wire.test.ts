// DeepgramStt's frames as a scripted server receives them (chunk sizes, KeepAlive, Finalize,
// CloseStream), the bound on audio held while connecting, and server misbehaviour the simulator
// does not produce (binary frames, a close nobody asked for, an internal-error close).
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { DeepgramStt } from '../../../src/providers/deepgram/deepgram-stt.js';
import { pause, SttHarness } from './stt-harness.js';

type Frame = { binary: true; bytes: number } | { binary: false; text: string };

class FakeDeepgram {
  readonly frames: Frame[] = [];
  socket: WebSocket | null = null;
  request: IncomingMessage | null = null;
  private constructor(
    readonly server: WebSocketServer,
    readonly url: string,
  ) {}

  static async start(options: { handshakeDelayMs?: number } = {}): Promise<FakeDeepgram> {
    const server = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      verifyClient: (_info, done) => setTimeout(() => done(true), options.handshakeDelayMs ?? 0),
    });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const fake = new FakeDeepgram(server, `ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('connection', (ws, req) => {
      fake.socket = ws;
      fake.request = req;
      ws.on('message', (data: Buffer, isBinary) => fake.frames.push(isBinary ? { binary: true, bytes: data.length } : { binary: false, text: data.toString('utf8') }));
    });
    return fake;
  }

  async connected(): Promise<WebSocket> {
    while (!this.socket) await pause(2);
    return this.socket;
  }

  /**
   * The socket, once the client's first frame arrived. Messages sent before that can be lost: the
   * client attaches its listeners only after connectWebSocket resolves (see the report on ws-connect).
   */
  async listening(): Promise<WebSocket> {
    const ws = await this.connected();
    while (this.frames.length === 0) await pause(2);
    return ws;
  }

  texts(): string[] {
    return this.frames.filter((f): f is Extract<Frame, { binary: false }> => !f.binary).map((f) => JSON.parse(f.text).type as string);
  }

  binaryBytes(): number[] {
    return this.frames.filter((f): f is Extract<Frame, { binary: true }> => f.binary).map((f) => f.bytes);
  }

  close(): Promise<void> {
    for (const c of this.server.clients) c.terminate();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const results = (o: { isFinal: boolean; transcript: string; start: number; words: Array<[string, number, number]> }) =>
  JSON.stringify({
    type: 'Results',
    channel_index: [0, 1],
    start: o.start,
    duration: 1,
    is_final: o.isFinal,
    speech_final: o.isFinal,
    channel: { alternatives: [{ transcript: o.transcript, confidence: 0.9, words: o.words.map(([w, s, e]) => ({ word: w.toLowerCase(), punctuated_word: w, start: s, end: e, confidence: 0.9 })) }] },
  });

let fake: FakeDeepgram | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

describe('DeepgramStt on the wire', () => {
  it('authenticates with a Token header, sends 100 ms linear16 frames, KeepAlive when audio stops, Finalize and CloseStream', async () => {
    fake = await FakeDeepgram.start();
    const h = new SttHarness(new DeepgramStt({ apiKey: 'the-key', baseUrl: fake.url, keepAliveMs: 40 }));
    h.write(new Int16Array(16000 / 2 + 800)); // 550 ms
    await fake.connected();
    expect(fake.request!.headers.authorization).toBe('Token the-key');
    await pause(130);
    h.stream.finalize();
    h.stream.close();
    await pause(30);
    expect(fake.binaryBytes()).toEqual([3200, 3200, 3200, 3200, 3200, 1600]);
    const texts = fake.texts();
    expect(texts.filter((t) => t === 'KeepAlive').length).toBeGreaterThanOrEqual(2);
    expect(texts.slice(-2)).toEqual(['Finalize', 'CloseStream']);
    // KeepAlive only after the audio: none went out while frames flowed.
    expect(fake.frames.findIndex((f) => !f.binary)).toBeGreaterThan(fake.frames.findLastIndex((f) => f.binary && f.bytes === 3200));
  });

  it('holds at most 10 s of audio while connecting and shifts Deepgram times by what it dropped', async () => {
    fake = await FakeDeepgram.start({ handshakeDelayMs: 150 });
    const h = new SttHarness(new DeepgramStt({ apiKey: 'k', baseUrl: fake.url }), 8000);
    h.write(new Int16Array(8000 * 12), 8000);
    const ws = await fake.listening();
    await pause(50);
    expect(fake.binaryBytes().reduce((a, b) => a + b, 0)).toBe(8000 * 10 * 2);
    ws.send(results({ isFinal: true, transcript: 'Hi there.', start: 0.5, words: [['Hi', 1, 1.2], ['there.', 1.3, 1.6]] }));
    const final = await h.waitForType('final');
    expect(final.words).toEqual([
      { word: 'Hi', startMs: 3000, endMs: 3200, confidence: 0.9 },
      { word: 'there.', startMs: 3300, endMs: 3600, confidence: 0.9 },
    ]);
    h.stream.close();
  });

  it('reports partials and finals, skipping empty results', async () => {
    fake = await FakeDeepgram.start();
    const h = new SttHarness(new DeepgramStt({ apiKey: 'k', baseUrl: fake.url }));
    h.write(new Int16Array(1600));
    const ws = await fake.listening();
    ws.send(results({ isFinal: false, transcript: '', start: 0, words: [] }));
    ws.send(results({ isFinal: false, transcript: 'Hi', start: 0, words: [['Hi', 0.1, 0.3]] }));
    ws.send(JSON.stringify({ type: 'SpeechStarted', channel: [0, 1], timestamp: 0.1 }));
    ws.send(results({ isFinal: true, transcript: 'Hi there.', start: 0, words: [['Hi', 0.1, 0.3], ['there.', 0.35, 0.6]] }));
    ws.send(JSON.stringify({ type: 'UtteranceEnd', channel: [0, 1], last_word_end: 0.6 }));
    await h.waitForType('final');
    await pause(20);
    expect(h.events.map((e) => e.type)).toEqual(['partial', 'final']);
    expect(h.of('partial')[0]).toMatchObject({ text: 'Hi', startMs: 100, endMs: 300 });
    expect(h.of('final')[0]).toMatchObject({ text: 'Hi there.', confidence: 0.9, startMs: 100, endMs: 600 });
    h.stream.close();
  });

  it.each([
    ['a binary frame', (ws: WebSocket) => ws.send(Buffer.from([1, 2, 3])), { kind: 'protocol', code: 'malformed_message' }],
    ['a JSON array', (ws: WebSocket) => ws.send('[1,2]'), { kind: 'protocol', code: 'malformed_message' }],
    ['Results without alternatives', (ws: WebSocket) => ws.send('{"type":"Results","channel":{}}'), { kind: 'protocol', code: 'malformed_message' }],
    ['a close nobody asked for', (ws: WebSocket) => ws.close(1000), { kind: 'network' }],
    ['close 1011 NET-0000', (ws: WebSocket) => ws.close(1011, 'NET-0000'), { kind: 'server', code: 'NET-0000' }],
    ['close 1008 NET-0001 (the other pairing seen in the wild)', (ws: WebSocket) => ws.close(1008, 'NET-0001'), { kind: 'timeout', code: 'NET-0001' }],
    ['a socket destroyed without a close frame', (ws: WebSocket) => ws.terminate(), { kind: 'network' }],
  ] as const)('%s: one recoverable error, then silence', async (_name, misbehave, expected) => {
    fake = await FakeDeepgram.start();
    const h = new SttHarness(new DeepgramStt({ apiKey: 'k', baseUrl: fake.url }));
    h.write(new Int16Array(1600));
    misbehave(await fake.listening());
    const error = await h.waitForType('error');
    expect(error.recoverable).toBe(true);
    expect(error.error).toMatchObject(expected);
    const ws = fake.socket!;
    if (ws.readyState === ws.OPEN) ws.send(results({ isFinal: true, transcript: 'late', start: 0, words: [['late', 0, 0.2]] }));
    h.stream.write(new Int16Array(1600));
    await pause(50);
    expect(h.events).toHaveLength(1);
  });
});
