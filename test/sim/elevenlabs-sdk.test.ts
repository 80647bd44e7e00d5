// The official @elevenlabs/elevenlabs-js SDK against the simulator.
// - REST: `ElevenLabsClient({ baseUrl })` → `textToSpeech.stream` (the SDK joins `v1/text-to-speech/…`
//   onto baseUrl, see its BaseClient/Client.js), including its error objects for 401 and 429.
// - WebSocket: the SDK (2.73) has no text-to-speech stream-input client (its `realtime` wrapper is Scribe
//   STT), so the socket test uses the SDK's exported serialization schemas instead: client messages are
//   produced with `InitializeConnection`/`SendText`/`CloseConnection` (and the *Multi variants) `.jsonOrThrow`,
//   and every server message is checked with `AudioOutput`/`FinalOutput` (`AudioOutputMulti`/`FinalOutputMulti`).
import { ElevenLabsClient, ElevenLabsError } from '@elevenlabs/elevenlabs-js';
import * as schemas from '@elevenlabs/elevenlabs-js/serialization/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimServer, type SimServer } from '../../sim/sim-server.js';
import { synthesizeSpeech } from '../../sim/sim-voice.js';
import { audioBytes, openRaw } from '../providers/elevenlabs/raw-socket.js';

const KEY = 'sim-elevenlabs-key';

let sim: SimServer;
beforeAll(async () => {
  sim = await startSimServer({ latencies: { ttsTtfbMs: 20, ttsRealtimeFactor: 25 } });
});
afterAll(() => sim.close());
beforeEach(() => sim.control.clearFaults());

const client = (apiKey = KEY) => new ElevenLabsClient({ apiKey, baseUrl: sim.httpUrl, maxRetries: 0 });

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

async function sdkError(run: () => Promise<unknown>): Promise<ElevenLabsError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof ElevenLabsError) return err;
    throw err;
  }
  throw new Error('expected the SDK to throw');
}

describe('REST textToSpeech.stream through the SDK', () => {
  it('returns raw PCM of the right length for pcm_16000', async () => {
    const text = 'The SDK streams this sentence.';
    const stream = await client().textToSpeech.stream('voice-sdk', { text, modelId: 'eleven_flash_v2_5', outputFormat: 'pcm_16000' });
    const bytes = await readAll(stream);
    expect(bytes.length).toBe(synthesizeSpeech(text, 16000).samples.length * 2);
    const connection = sim.control.last('elevenlabs', '/stream')!;
    expect(connection.path).toBe('/v1/text-to-speech/voice-sdk/stream');
    expect(connection.events.find((e) => e.type === 'request')?.detail).toBe('voice-sdk pcm_16000');
  });

  it('returns one byte per sample for ulaw_8000', async () => {
    const text = 'Mu law please.';
    const bytes = await readAll(await client().textToSpeech.stream('voice-sdk', { text, outputFormat: 'ulaw_8000' }));
    expect(bytes.length).toBe(synthesizeSpeech(text, 8000).samples.length);
  });

  it('gives an SDK error with status 401 and invalid_api_key for a wrong key', async () => {
    const err = await sdkError(() => client('wrong-key').textToSpeech.stream('voice-sdk', { text: 'Hi', outputFormat: 'pcm_16000' }));
    expect(err.statusCode).toBe(401);
    expect(err.body).toEqual({ detail: { status: 'invalid_api_key', message: 'Invalid API key' } });
  });

  it('gives an SDK error with status 429 too_many_concurrent_requests and the retry-after header', async () => {
    sim.control.addFault({ vendor: 'elevenlabs', fault: { type: 'status', status: 429, retryAfterS: 2 }, times: 1, path: '/stream' });
    const err = await sdkError(() => client().textToSpeech.stream('voice-sdk', { text: 'Hi', outputFormat: 'pcm_16000' }));
    expect(err.statusCode).toBe(429);
    expect((err.body as { detail: { status: string } }).detail.status).toBe('too_many_concurrent_requests');
    expect(err.rawResponse?.headers.get('retry-after')).toBe('2');
  });

  it('refuses the SDK default MP3 format with a clear message', async () => {
    const err = await sdkError(() => client().textToSpeech.stream('voice-sdk', { text: 'Hi' }));
    expect(err.statusCode).toBe(400);
    expect(JSON.stringify(err.body)).toMatch(/cannot encode MP3/);
  });
});

describe('WebSocket messages checked with the SDK serialization schemas', () => {
  // The simulator sends two keys the SDK schemas do not list: `isFinal:false` on audio messages (the
  // vendor's own examples have it) and `charsDurationsMs` (asyncapi spelling; the SDK type says
  // `charDurationsMs`, protocols.md §4). Strict parsing must fail on exactly those and nothing else.
  const TOLERATED = new Set(['isFinal', 'charsDurationsMs']);
  const unexpectedKeys = (errors: Array<{ path: string[]; message: string }>) =>
    errors.filter((e) => !TOLERATED.has(/Unexpected key "(.*)"/.exec(e.message)?.[1] ?? '')).map((e) => `${e.path.join('.')}: ${e.message}`);

  it('single context: SDK-built BOS (key in the message) / SendText / CloseConnection; outputs parse as AudioOutput then FinalOutput', async () => {
    const text = 'Checked against the SDK schemas.';
    const s = openRaw(`${sim.wsUrl}/v1/text-to-speech/voice-sdk/stream-input?model_id=eleven_flash_v2_5&output_format=pcm_24000&sync_alignment=true`);
    await s.opened;
    s.send(
      schemas.InitializeConnection.jsonOrThrow({
        text: ' ',
        voiceSettings: { stability: 0.5, similarityBoost: 0.8, speed: 1 },
        generationConfig: { chunkLengthSchedule: [120, 160, 250, 290] },
        xiApiKey: KEY,
      }),
    );
    s.send(schemas.SendText.jsonOrThrow({ text: `${text} `, flush: true }));
    s.send(schemas.CloseConnection.jsonOrThrow({ text: '' }));
    expect((await s.closed).code).toBe(1000);

    const messages = s.received.map((r) => r.json);
    expect(messages.every((m) => m !== null)).toBe(true);
    const finalMessage = messages.pop()!;
    expect(schemas.FinalOutput.parse(finalMessage)).toEqual({ ok: true, value: { isFinal: true } });
    const chars: string[] = [];
    for (const m of messages) {
      const loose = schemas.AudioOutput.parse(m, { unrecognizedObjectKeys: 'passthrough' });
      expect(loose.ok).toBe(true);
      if (!loose.ok) continue;
      chars.push(...(loose.value.alignment?.chars ?? []));
      expect(loose.value.alignment?.charStartTimesMs?.length).toBe(loose.value.alignment?.chars?.length);
      const strict = schemas.AudioOutput.parse(m);
      expect(strict.ok ? [] : unexpectedKeys(strict.errors)).toEqual([]);
    }
    expect(chars.join('')).toBe(text);
    expect(audioBytes(s.received).length).toBe(synthesizeSpeech(text, 24000).samples.length * 2);
  });

  it('multi context: SDK-built InitializeConnectionMulti / SendTextMulti / CloseContext / CloseSocket; outputs parse as AudioOutputMulti and FinalOutputMulti', async () => {
    const s = openRaw(`${sim.wsUrl}/v1/text-to-speech/voice-sdk/multi-stream-input?output_format=pcm_16000`);
    await s.opened;
    s.send(schemas.InitializeConnectionMulti.jsonOrThrow({ text: ' ', contextId: 'c1', xiApiKey: KEY }));
    s.send(schemas.SendTextMulti.jsonOrThrow({ text: 'Multi context hello. ', contextId: 'c1', flush: true }));
    await s.waitFor((r) => typeof r.json?.audio === 'string');
    s.send(schemas.CloseContext.jsonOrThrow({ contextId: 'c1', closeContext: true }));
    await s.waitFor((r) => r.json?.isFinal === true);
    s.send(schemas.CloseSocket.jsonOrThrow({ closeSocket: true }));
    expect((await s.closed).code).toBe(1000);

    for (const r of s.received) {
      if (r.json?.isFinal === true) {
        expect(schemas.FinalOutputMulti.parse(r.json)).toEqual({ ok: true, value: { isFinal: true, contextId: 'c1' } });
      } else {
        const strict = schemas.AudioOutputMulti.parse(r.json);
        expect(strict.ok ? [] : unexpectedKeys(strict.errors)).toEqual([]);
        const loose = schemas.AudioOutputMulti.parse(r.json, { unrecognizedObjectKeys: 'passthrough' });
        expect(loose.ok && loose.value.contextId).toBe('c1');
      }
    }
    expect(audioBytes(s.received).length).toBe(synthesizeSpeech('Multi context hello.', 16000).samples.length * 2);
    expect(sim.control.last('elevenlabs', 'multi-stream-input')!.events.some((e) => e.type === 'close_context' && e.detail === 'c1')).toBe(true);
  });
});
