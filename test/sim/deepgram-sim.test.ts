// The Deepgram simulator on the wire, with a bare WebSocket/fetch client: auth and refusals, listen
// results from real speech, control messages, the idle rule, bad audio, and both speak transports.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { muLawEncode } from '../../src/audio/g711.js';
import { pcm16ToBytes } from '../../src/audio/pcm.js';
import { writeWav } from '../../src/audio/wav.js';
import { startSimServer, type SimServer } from '../../sim/sim-server.js';
import { LISTEN_GARBAGE } from '../../sim/deepgram/listen-session.js';
import { SPEAK_WS_GARBAGE } from '../../sim/deepgram/speak-session.js';
import { silence, speak } from '../helpers/speech.js';
import { RawSocket, refusalOf } from '../providers/deepgram/raw-socket.js';

const LINE = 'The quick brown fox jumps over the lazy dog.';
const KEY = 'sim-deepgram-key';
const auth = { Authorization: `Token ${KEY}` };

let sim: SimServer;
let speech16k: Int16Array;
let tagCounter = 0;
const freshTag = () => `sim-test-${++tagCounter}`;

beforeAll(async () => {
  sim = await startSimServer({
    script: [LINE, 'Second line here.'],
    latencies: { sttFinalDelayMs: 20, sttInterimIntervalMs: 200, sttEndpointingMs: 300, ttsTtfbMs: 30, ttsRealtimeFactor: 20 },
  });
  speech16k = speak(LINE);
});
afterAll(async () => {
  await sim.close();
});

const listenUrl = (query: string) => `${sim.wsUrl}/v1/listen?model=nova-3&${query}`;
const utterance = (speech: Int16Array, rate = 16000) => {
  const out = new Int16Array(silence(300, rate).length + speech.length + silence(1200, rate).length);
  out.set(speech, silence(300, rate).length);
  return out;
};

describe('deepgram listen: auth and refusals', () => {
  it('accepts Token in any case, and subprotocols token,<key> with `token` selected', async () => {
    const lower = await RawSocket.open(listenUrl('encoding=linear16&sample_rate=16000'), { headers: { Authorization: `token ${KEY}` } });
    lower.ws.close();
    const viaProtocol = await RawSocket.open(listenUrl('encoding=linear16&sample_rate=16000'), { protocols: ['token', KEY] });
    expect(viaProtocol.ws.protocol).toBe('token');
    viaProtocol.ws.close();
  });

  it('refuses a wrong key with 401, dg-error and INVALID_AUTH', async () => {
    const refused = await refusalOf(RawSocket.open(listenUrl('encoding=linear16&sample_rate=16000'), { headers: { Authorization: 'Token wrong' } }));
    expect(refused.status).toBe(401);
    expect(refused.headers['dg-error']).toBe('Invalid credentials.');
    const body = JSON.parse(refused.body);
    expect(body).toMatchObject({ err_code: 'INVALID_AUTH', err_msg: 'Invalid credentials.' });
    expect(typeof body.request_id).toBe('string');
    expect(refused.headers['dg-request-id']).toBe(body.request_id);
  });

  it('maps status faults to Deepgram bodies, with retry-after for 429', async () => {
    sim.control.addFault({ vendor: 'deepgram', path: '/v1/listen', fault: { type: 'status', status: 429, retryAfterS: 7 }, times: 1 });
    const r429 = await refusalOf(RawSocket.open(listenUrl('encoding=linear16&sample_rate=16000'), { headers: auth }));
    expect(r429.status).toBe(429);
    expect(r429.headers['retry-after']).toBe('7');
    expect(JSON.parse(r429.body).err_code).toBe('TOO_MANY_REQUESTS');
    sim.control.addFault({ vendor: 'deepgram', path: '/v1/listen', fault: { type: 'status', status: 500 }, times: 1 });
    const r500 = await refusalOf(RawSocket.open(listenUrl('encoding=linear16&sample_rate=16000'), { headers: auth }));
    expect(r500.status).toBe(500);
    expect(r500.headers['dg-error']).toBeTruthy();
  });

  it('refuses bad parameters with 400 at the upgrade', async () => {
    for (const query of ['encoding=bogus&sample_rate=16000', 'encoding=linear16', 'encoding=linear16&sample_rate=abc', 'encoding=linear16&sample_rate=16000&utterance_end_ms=1000']) {
      const refused = await refusalOf(RawSocket.open(listenUrl(query), { headers: auth }));
      expect(refused.status, query).toBe(400);
      expect(JSON.parse(refused.body).err_msg, query).toBeTruthy();
    }
  });
});

describe('deepgram listen: results from real speech', () => {
  it('streams interim and final Results, SpeechStarted and UtteranceEnd, with absolute word times', async () => {
    const tag = freshTag();
    const socket = await RawSocket.open(
      listenUrl(`encoding=linear16&sample_rate=16000&interim_results=true&punctuate=true&vad_events=true&utterance_end_ms=1000&tag=${tag}`),
      { headers: auth },
    );
    socket.ws.send(pcm16ToBytes(utterance(speech16k)));
    await socket.waitFor(() => socket.ofType('UtteranceEnd').length > 0);
    const results = socket.ofType('Results');
    const interims = results.filter((r) => r.is_final === false);
    const finals = results.filter((r) => r.is_final === true);
    expect(interims.length).toBeGreaterThan(0);
    expect(finals).toHaveLength(1);
    const final = finals[0] as { speech_final: boolean; start: number; duration: number; channel: { alternatives: Array<{ transcript: string; confidence: number; words: Array<{ word: string; start: number; end: number; punctuated_word: string }> }> } };
    expect(final.speech_final).toBe(true);
    const alt = final.channel.alternatives[0];
    expect(alt.transcript).toBe(LINE);
    expect(alt.confidence).toBeGreaterThan(0);
    expect(alt.words[0]).toMatchObject({ word: 'the', punctuated_word: 'The' });
    expect(alt.words.at(-1)).toMatchObject({ word: 'dog', punctuated_word: 'dog.' });
    // Absolute seconds: speech starts after the 300 ms of leading silence.
    expect(alt.words[0].start).toBeGreaterThanOrEqual(0.3);
    expect(alt.words.at(-1)!.end).toBeLessThanOrEqual(0.3 + speech16k.length / 16000 + 0.05);
    const order = socket.messages.map((m) => m.type);
    expect(order.indexOf('SpeechStarted')).toBeLessThan(order.indexOf('Results'));
    expect(order.lastIndexOf('Results')).toBeLessThan(order.indexOf('UtteranceEnd'));
    const ue = socket.ofType('UtteranceEnd')[0];
    expect(ue.last_word_end).toBe(alt.words.at(-1)!.end);
    socket.ws.close();
  });

  it('without punctuate, transcripts are bare lower-case words and interim results are off by default', async () => {
    const socket = await RawSocket.open(listenUrl(`encoding=linear16&sample_rate=16000&tag=${freshTag()}`), { headers: auth });
    socket.ws.send(pcm16ToBytes(utterance(speech16k)));
    await socket.waitFor(() => socket.ofType('Results').length > 0);
    await new Promise((r) => setTimeout(r, 50));
    const results = socket.ofType('Results') as Array<{ is_final: boolean; channel: { alternatives: Array<{ transcript: string; words: object[] }> } }>;
    expect(results.every((r) => r.is_final)).toBe(true);
    expect(results[0].channel.alternatives[0].transcript).toBe('the quick brown fox jumps over the lazy dog');
    expect(results[0].channel.alternatives[0].words[0]).not.toHaveProperty('punctuated_word');
    socket.ws.close();
  });

  it('decodes mulaw at 8 kHz', async () => {
    const speech8k = speak(LINE, 'flite', 8000);
    const socket = await RawSocket.open(listenUrl(`encoding=mulaw&sample_rate=8000&punctuate=true&tag=${freshTag()}`), { headers: auth });
    socket.ws.send(Buffer.from(muLawEncode(utterance(speech8k, 8000))));
    await socket.waitFor(() => socket.ofType('Results').length > 0);
    expect((socket.ofType('Results')[0] as { channel: { alternatives: Array<{ transcript: string }> } }).channel.alternatives[0].transcript).toBe(LINE);
    socket.ws.close();
  });

  it('Finalize answers with from_finalize results and is logged; CloseStream sends Metadata and closes 1000', async () => {
    const socket = await RawSocket.open(listenUrl(`encoding=linear16&sample_rate=16000&punctuate=true&tag=${freshTag()}`), { headers: auth });
    const connection = sim.control.last('deepgram', '/v1/listen')!;
    // Speech without its trailing silence: only Finalize can end the segment.
    socket.ws.send(pcm16ToBytes(speech16k));
    socket.sendJson({ type: 'Finalize' });
    await socket.waitFor(() => socket.ofType('Results').length > 0);
    const result = socket.ofType('Results')[0] as { from_finalize: boolean; speech_final: boolean; channel: { alternatives: Array<{ transcript: string }> } };
    expect(result.from_finalize).toBe(true);
    expect(result.speech_final).toBe(false);
    expect(result.channel.alternatives[0].transcript).toBe(LINE);
    expect(connection.events.map((e) => e.type)).toContain('finalize');
    // Finalize with nothing buffered still gets an (empty) from_finalize result.
    socket.sendJson({ type: 'Finalize' });
    await socket.waitFor(() => socket.ofType('Results').length > 1);
    expect(socket.ofType('Results')[1]).toMatchObject({ from_finalize: true, channel: { alternatives: [{ transcript: '' }] } });
    socket.sendJson({ type: 'CloseStream' });
    const close = await socket.waitClosed();
    expect(close.code).toBe(1000);
    const metadata = socket.ofType('Metadata')[0];
    expect(metadata).toMatchObject({ type: 'Metadata', channels: 1 });
    expect(metadata.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(metadata.duration).toBeCloseTo(speech16k.length / 16000, 2);
    expect(await sim.control.waitFor(() => connection.closedBy ?? undefined)).toBe('server');
  });

  it('a zero-length binary frame ends the stream like CloseStream', async () => {
    const socket = await RawSocket.open(listenUrl('encoding=linear16&sample_rate=16000'), { headers: auth });
    socket.ws.send(pcm16ToBytes(silence(200)));
    socket.ws.send(Buffer.alloc(0));
    expect((await socket.waitClosed()).code).toBe(1000);
    expect(socket.ofType('Metadata')).toHaveLength(1);
  });
});

describe('deepgram listen: bad audio and the idle rule', () => {
  it('closes 1008 DATA-0000 when linear16 audio starts with a WAV header', async () => {
    const socket = await RawSocket.open(listenUrl('encoding=linear16&sample_rate=16000'), { headers: auth });
    socket.ws.send(writeWav({ sampleRate: 16000, channels: 1, samples: speech16k }));
    expect(await socket.waitClosed()).toEqual({ code: 1008, reason: 'DATA-0000' });
  });

  it('closes 1008 DATA-0000 when linear16 ends on half a sample', async () => {
    const socket = await RawSocket.open(listenUrl('encoding=linear16&sample_rate=16000'), { headers: auth });
    socket.ws.send(Buffer.alloc(301));
    socket.ws.send(Buffer.alloc(200));
    socket.sendJson({ type: 'CloseStream' });
    expect(await socket.waitClosed()).toEqual({ code: 1008, reason: 'DATA-0000' });
  });

  it('needs audio within the idle window: KeepAlive alone does not keep a fresh stream open', async () => {
    sim.control.timeouts.deepgramIdleMs = 150;
    try {
      const socket = await RawSocket.open(listenUrl('encoding=linear16&sample_rate=16000'), { headers: auth });
      const opened = performance.now();
      const keepAlive = setInterval(() => socket.ws.readyState === socket.ws.OPEN && socket.sendJson({ type: 'KeepAlive' }), 40);
      const close = await socket.waitClosed();
      clearInterval(keepAlive);
      expect(close).toEqual({ code: 1011, reason: 'NET-0001' });
      expect(performance.now() - opened).toBeGreaterThanOrEqual(140);
    } finally {
      sim.control.timeouts.deepgramIdleMs = 10_000;
    }
  });

  it('after audio, KeepAlive keeps the stream open past the idle window', async () => {
    sim.control.timeouts.deepgramIdleMs = 150;
    try {
      const socket = await RawSocket.open(listenUrl('encoding=linear16&sample_rate=16000'), { headers: auth });
      socket.ws.send(pcm16ToBytes(silence(100)));
      const keepAlive = setInterval(() => socket.sendJson({ type: 'KeepAlive' }), 40);
      await new Promise((r) => setTimeout(r, 400));
      clearInterval(keepAlive);
      expect(socket.close).toBeNull();
      expect(await socket.waitClosed()).toEqual({ code: 1011, reason: 'NET-0001' });
    } finally {
      sim.control.timeouts.deepgramIdleMs = 10_000;
    }
  });

  it('fault malformed sends one non-JSON text frame mid-stream', async () => {
    sim.control.addFault({ vendor: 'deepgram', path: '/v1/listen', fault: { type: 'malformed' }, times: 1 });
    const socket = await RawSocket.open(listenUrl(`encoding=linear16&sample_rate=16000&interim_results=true&tag=${freshTag()}`), { headers: auth });
    socket.ws.send(pcm16ToBytes(utterance(speech16k)));
    await socket.waitFor(() => socket.texts.includes(LISTEN_GARBAGE));
    expect(socket.texts.filter((t) => t === LISTEN_GARBAGE)).toHaveLength(1);
    expect(socket.texts.indexOf(LISTEN_GARBAGE)).toBeGreaterThan(0);
    socket.ws.close();
  });

  it('fault slow multiplies the final delay', async () => {
    sim.control.addFault({ vendor: 'deepgram', path: '/v1/listen', fault: { type: 'slow', factor: 15 }, times: 1 });
    const socket = await RawSocket.open(listenUrl(`encoding=linear16&sample_rate=16000&tag=${freshTag()}`), { headers: auth });
    const sent = performance.now();
    socket.ws.send(pcm16ToBytes(utterance(speech16k)));
    await socket.waitFor(() => socket.ofType('Results').length > 0);
    expect(performance.now() - sent).toBeGreaterThanOrEqual(20 * 15 - 5);
    socket.ws.close();
  });
});

describe('deepgram speak REST', () => {
  const speakUrl = (query = 'model=aura-2-thalia-en&encoding=linear16&sample_rate=16000&container=none') => `${sim.httpUrl}/v1/speak?${query}`;

  it('streams raw linear16 with Deepgram headers, after the time to first byte', async () => {
    const started = performance.now();
    const res = await fetch(speakUrl(), { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Hello there.' }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/l16;rate=16000');
    expect(res.headers.get('dg-char-count')).toBe('12');
    expect(res.headers.get('dg-request-id')).toBeTruthy();
    expect(res.headers.get('dg-model-name')).toBe('aura-2-thalia-en');
    const reader = res.body!.getReader();
    const sizes: number[] = [];
    let firstAt = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (sizes.length === 0) firstAt = performance.now();
      sizes.push(value.length);
    }
    expect(firstAt - started).toBeGreaterThanOrEqual(25);
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(total % 2).toBe(0);
    expect(total).toBeGreaterThan(16000 * 2 * 0.4);
  });

  it('takes text/plain, defaults to a WAV container, and refuses other media types and empty text', async () => {
    const wav = await fetch(speakUrl('encoding=linear16&sample_rate=24000'), { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: 'Hi.' });
    expect(wav.headers.get('content-type')).toBe('audio/wav');
    expect(Buffer.from(await wav.arrayBuffer()).subarray(0, 4).toString('latin1')).toBe('RIFF');
    const form = await fetch(speakUrl(), { method: 'POST', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'text=hi' });
    expect(form.status).toBe(415);
    expect((await form.json()).err_code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const empty = await fetch(speakUrl(), { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ text: '  ' }) });
    expect(empty.status).toBe(400);
    expect((await empty.json()).err_msg).toBe('Input text contains no characters.');
    const badRate = await fetch(speakUrl('encoding=linear16&sample_rate=22050'), { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ text: 'x' }) });
    expect(badRate.status).toBe(400);
    const wrongKey = await fetch(speakUrl(), { method: 'POST', headers: { Authorization: 'Token nope', 'content-type': 'application/json' }, body: JSON.stringify({ text: 'x' }) });
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.headers.get('dg-error')).toBe('Invalid credentials.');
  });

  it('fault wrong_audio_format puts a WAV header in front of raw audio', async () => {
    sim.control.addFault({ vendor: 'deepgram', path: '/v1/speak', fault: { type: 'wrong_audio_format' }, times: 1 });
    const res = await fetch(speakUrl(), { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Hi.' }) });
    expect(res.headers.get('content-type')).toBe('audio/l16;rate=16000');
    expect(Buffer.from(await res.arrayBuffer()).subarray(0, 4).toString('latin1')).toBe('RIFF');
  });
});

describe('deepgram speak WebSocket', () => {
  const speakWs = (query = 'model=aura-2-thalia-en&encoding=linear16&sample_rate=16000') => `${sim.wsUrl}/v1/speak?${query}`;

  it('sends Metadata, then audio in unaligned pieces and Flushed per Flush', async () => {
    const socket = await RawSocket.open(speakWs(), { headers: auth });
    await socket.waitFor(() => socket.ofType('Metadata').length === 1);
    socket.sendJson({ type: 'Speak', text: 'Hello there. ' });
    socket.sendJson({ type: 'Flush' });
    socket.sendJson({ type: 'Speak', text: 'Second part.' });
    socket.sendJson({ type: 'Flush' });
    await socket.waitFor(() => socket.ofType('Flushed').length === 2);
    expect(socket.ofType('Flushed').map((m) => m.sequence_id)).toEqual([0, 1]);
    expect(socket.binary.some((b) => b.length % 2 === 1)).toBe(true);
    expect(socket.binaryBytes % 2).toBe(0);
    expect(socket.binaryBytes).toBeGreaterThan(16000 * 2 * 1);
    socket.sendJson({ type: 'Close' });
    expect((await socket.waitClosed()).code).toBe(1000);
  });

  it('Clear stops the audio at once, answers Cleared and is logged', async () => {
    sim.control.latencies.ttsRealtimeFactor = 2;
    try {
      const socket = await RawSocket.open(speakWs(), { headers: auth });
      const connection = sim.control.last('deepgram', '/v1/speak')!;
      socket.sendJson({ type: 'Speak', text: 'This is a rather long sentence that takes a while to synthesize at this speed.' });
      socket.sendJson({ type: 'Flush' });
      await socket.waitFor(() => socket.binary.length >= 2);
      socket.sendJson({ type: 'Clear' });
      await socket.waitFor(() => socket.ofType('Cleared').length === 1);
      const bytesAtClear = socket.binaryBytes;
      await new Promise((r) => setTimeout(r, 150));
      expect(socket.binaryBytes).toBe(bytesAtClear);
      expect(socket.ofType('Flushed')).toHaveLength(0);
      expect(connection.events.map((e) => e.type)).toContain('clear');
      socket.ws.close();
    } finally {
      sim.control.latencies.ttsRealtimeFactor = 20;
    }
  });

  it('closes with the documented codes on binary input and unknown messages; refuses bad params with 400', async () => {
    const a = await RawSocket.open(speakWs(), { headers: auth });
    a.ws.send(Buffer.from([1, 2, 3]));
    expect(await a.waitClosed()).toEqual({ code: 1003, reason: 'MESSAGE-0000' });
    const b = await RawSocket.open(speakWs(), { headers: auth });
    b.sendJson({ type: 'Shout' });
    expect(await b.waitClosed()).toEqual({ code: 1008, reason: 'DATA-0000' });
    const c = await RawSocket.open(speakWs(), { headers: auth });
    c.sendJson({ type: 'Speak', text: 'x'.repeat(2001) });
    expect(await c.waitClosed()).toEqual({ code: 1009, reason: 'BIG-0000' });
    const refused = await refusalOf(RawSocket.open(speakWs('encoding=mp3'), { headers: auth }));
    expect(refused.status).toBe(400);
  });

  it('closes an idle socket with 1011 NET-0001, but not while it is sending audio', async () => {
    sim.control.timeouts.deepgramSpeakIdleMs = 100;
    sim.control.latencies.ttsRealtimeFactor = 4;
    try {
      const socket = await RawSocket.open(speakWs(), { headers: auth });
      socket.sendJson({ type: 'Speak', text: 'A sentence that takes longer than the idle window to send.' });
      socket.sendJson({ type: 'Flush' });
      await socket.waitFor(() => socket.ofType('Flushed').length === 1 || socket.close !== null);
      expect(socket.close).toBeNull();
      const flushedAt = performance.now();
      expect(await socket.waitClosed()).toEqual({ code: 1011, reason: 'NET-0001' });
      expect(performance.now() - flushedAt).toBeGreaterThanOrEqual(90);
    } finally {
      sim.control.timeouts.deepgramSpeakIdleMs = 60_000;
      sim.control.latencies.ttsRealtimeFactor = 20;
    }
  });

  it('fault malformed sends a text frame that is not JSON among the audio', async () => {
    sim.control.addFault({ vendor: 'deepgram', path: '/v1/speak', fault: { type: 'malformed' }, times: 1 });
    const socket = await RawSocket.open(speakWs(), { headers: auth });
    socket.sendJson({ type: 'Speak', text: 'Hello there.' });
    socket.sendJson({ type: 'Flush' });
    await socket.waitFor(() => socket.ofType('Flushed').length === 1);
    expect(socket.texts).toContain(SPEAK_WS_GARBAGE);
    socket.ws.close();
  });
});
