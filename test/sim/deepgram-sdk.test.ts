// The official @deepgram/sdk (v5) pointed at the simulator through a custom environment: if the
// vendor's own client is satisfied with the simulator's wire protocol, our notes and sim agree.
import { DeepgramClient, DeepgramError } from '@deepgram/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pcm16ToBytes } from '../../src/audio/pcm.js';
import { startSimServer, type SimServer } from '../../sim/sim-server.js';
import { synthesizeSpeech } from '../../sim/sim-voice.js';
import { silence, speak } from '../helpers/speech.js';

const LINE = 'Hello there, how are you today?';

let sim: SimServer;
let speech: Int16Array;

beforeAll(async () => {
  sim = await startSimServer({ script: [LINE], latencies: { sttFinalDelayMs: 20, ttsTtfbMs: 20, ttsRealtimeFactor: 25 } });
  speech = speak(LINE);
});
afterAll(async () => {
  await sim.close();
});

function client(apiKey = sim.control.keys.deepgram): DeepgramClient {
  return new DeepgramClient({
    apiKey,
    environment: { base: sim.httpUrl, production: sim.wsUrl, agent: sim.wsUrl, agentRest: sim.httpUrl },
    maxRetries: 0,
  });
}

function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) return resolve();
      if (performance.now() - started > timeoutMs) return reject(new Error(`not reached within ${timeoutMs} ms`));
      setTimeout(tick, 5);
    };
    tick();
  });
}

type SdkResults = { type: 'Results'; is_final?: boolean; speech_final?: boolean; channel: { alternatives: Array<{ transcript: string; words: Array<{ punctuated_word?: string }> }> } };

describe('@deepgram/sdk against the simulator', () => {
  it('live listen: Results for real speech, then Metadata and a clean close on CloseStream', async () => {
    const connection = await client().listen.v1.connect({
      model: 'nova-3',
      encoding: 'linear16',
      sample_rate: 16000,
      interim_results: 'true',
      punctuate: 'true',
      tag: 'sdk-listen',
      reconnectAttempts: 0,
    });
    const messages: Array<{ type: string }> = [];
    let closed: { code: number } | null = null;
    connection.on('message', (m) => messages.push(m as { type: string }));
    connection.on('close', (event) => (closed = { code: event.code }));
    connection.connect();
    await connection.waitForOpen();
    const audio = new Int16Array(silence(300).length + speech.length + silence(1000).length);
    audio.set(speech, silence(300).length);
    for (let i = 0; i < audio.length; i += 1600) connection.sendMedia(pcm16ToBytes(audio.subarray(i, i + 1600)));
    await waitUntil(() => messages.some((m) => m.type === 'Results' && (m as SdkResults).is_final === true));
    const results = messages.filter((m): m is SdkResults => m.type === 'Results');
    expect(results.some((r) => r.is_final === false)).toBe(true);
    const final = results.find((r) => r.is_final)!;
    expect(final.speech_final).toBe(true);
    expect(final.channel.alternatives[0].transcript).toBe(LINE);
    expect(final.channel.alternatives[0].words[0].punctuated_word).toBe('Hello');
    connection.sendCloseStream({ type: 'CloseStream' });
    await waitUntil(() => closed !== null);
    expect(closed).toEqual({ code: 1000 });
    expect(messages.at(-1)?.type).toBe('Metadata');
  });

  it('speak REST: generate returns the raw audio', async () => {
    const response = await client().speak.v1.audio.generate({ text: 'Good morning.', model: 'aura-2-thalia-en', encoding: 'linear16', container: 'none', sample_rate: 16000 });
    const bytes = await response.arrayBuffer();
    expect(bytes.byteLength).toBe(synthesizeSpeech('Good morning.', 16000, 'aura-2-thalia-en').samples.length * 2);
  });

  it('speak WebSocket: audio (as Blobs), then Flushed', async () => {
    const connection = await client().speak.v1.connect({ model: 'aura-2-thalia-en', encoding: 'linear16', sample_rate: '16000', reconnectAttempts: 0 });
    let audioBytes = 0;
    const types: string[] = [];
    connection.on('message', (m) => {
      if (m instanceof Blob) audioBytes += m.size;
      else types.push((m as { type: string }).type);
    });
    connection.connect();
    await connection.waitForOpen();
    connection.sendText({ type: 'Speak', text: 'See you soon.' });
    connection.sendFlush({ type: 'Flush' });
    await waitUntil(() => types.includes('Flushed'));
    expect(types).toContain('Metadata');
    expect(audioBytes).toBe(synthesizeSpeech('See you soon.', 16000, 'aura-2-thalia-en').samples.length * 2);
    connection.sendClose({ type: 'Close' });
    connection.close();
  });

  it('wrong key: REST throws a DeepgramError with status 401, and the live socket never opens', async () => {
    const bad = client('not-the-key');
    const err = await bad.speak.v1.audio.generate({ text: 'Hi.', model: 'aura-2-thalia-en', encoding: 'linear16', container: 'none', sample_rate: 16000 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DeepgramError);
    expect((err as DeepgramError).statusCode).toBe(401);
    expect(JSON.stringify((err as DeepgramError).body)).toContain('INVALID_AUTH');

    const before = sim.control.connections.length;
    const connection = await bad.listen.v1.connect({ model: 'nova-3', encoding: 'linear16', sample_rate: 16000, reconnectAttempts: 0 });
    let sawError = false;
    let opened = false;
    connection.on('error', () => (sawError = true));
    connection.on('open', () => (opened = true));
    connection.connect();
    await waitUntil(() => sawError);
    expect(opened).toBe(false);
    expect(sim.control.connections.length).toBe(before);
    connection.close();
  });
});
