// The ElevenLabs simulator's REST streaming endpoint with plain fetch: formats and content types,
// chunked pacing, the vendor's error bodies (401/422/429), faults, and client aborts in the log.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimServer, type SimServer } from '../../sim/sim-server.js';
import { synthesizeSpeech } from '../../sim/sim-voice.js';

const KEY = 'sim-elevenlabs-key';

let sim: SimServer;
beforeAll(async () => {
  sim = await startSimServer({ latencies: { ttsTtfbMs: 20, ttsRealtimeFactor: 20 } });
});
afterAll(() => sim.close());
beforeEach(() => sim.control.clearFaults());

function post(body: unknown, query = 'output_format=pcm_16000', key = KEY, signal?: AbortSignal): Promise<Response> {
  return fetch(`${sim.httpUrl}/v1/text-to-speech/voice-rest/stream?${query}`, {
    method: 'POST',
    headers: { 'xi-api-key': key, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
}

describe('POST /v1/text-to-speech/{voice_id}/stream', () => {
  it('streams raw PCM, chunked, labelled audio/pcm', async () => {
    const text = 'Plain REST streaming.';
    const res = await post({ text, model_id: 'eleven_flash_v2_5', voice_settings: { stability: 0.5 } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/pcm');
    expect(res.headers.get('content-length')).toBeNull();
    const reader = res.body!.getReader();
    let reads = 0;
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      reads++;
      bytes += value.length;
    }
    expect(bytes).toBe(synthesizeSpeech(text, 16000).samples.length * 2);
    expect(reads).toBeGreaterThan(1);
  });

  it('streams μ-law as audio/basic, one byte per sample', async () => {
    const text = 'Mu law.';
    const res = await post({ text }, 'output_format=ulaw_8000');
    expect(res.headers.get('content-type')).toBe('audio/basic');
    expect((await res.arrayBuffer()).byteLength).toBe(synthesizeSpeech(text, 8000).samples.length);
  });

  it('401 invalid_api_key for a wrong key', async () => {
    const res = await post({ text: 'Hi' }, 'output_format=pcm_16000', 'wrong');
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ detail: { status: 'invalid_api_key', message: 'Invalid API key' } });
  });

  it('422 validation bodies for a missing text and for invalid JSON', async () => {
    const missing = await post({ model_id: 'eleven_flash_v2_5' });
    expect(missing.status).toBe(422);
    expect(await missing.json()).toEqual({ detail: [{ loc: ['body', 'text'], msg: 'Field required', type: 'missing' }] });
    const invalid = await post('{"text": ');
    expect(invalid.status).toBe(422);
    expect(((await invalid.json()) as { detail: Array<{ type: string }> }).detail[0].type).toBe('json_invalid');
  });

  it('429 too_many_concurrent_requests with retry-after', async () => {
    sim.control.addFault({ vendor: 'elevenlabs', fault: { type: 'status', status: 429, retryAfterS: 1 }, times: 1 });
    const res = await post({ text: 'Hi' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(((await res.json()) as { detail: { status: string } }).detail.status).toBe('too_many_concurrent_requests');
  });

  it('400 with an explanation for MP3, which the simulator cannot encode', async () => {
    const res = await post({ text: 'Hi' }, 'output_format=mp3_44100_128');
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/cannot encode MP3/);
  });

  it('fault wrong_audio_format starts the body with an ID3 header; malformed puts JSON text among the audio', async () => {
    sim.control.addFault({ vendor: 'elevenlabs', fault: { type: 'wrong_audio_format' }, times: 1 });
    const wrong = Buffer.from(await (await post({ text: 'Format fault.' })).arrayBuffer());
    expect(wrong.subarray(0, 3).toString('latin1')).toBe('ID3');
    sim.control.addFault({ vendor: 'elevenlabs', fault: { type: 'malformed' }, times: 1 });
    const garbled = Buffer.from(await (await post({ text: 'Garbage fault.' })).arrayBuffer());
    expect(garbled.includes(Buffer.from('{"detail"'))).toBe(true);
    expect(garbled.length).toBeGreaterThan(synthesizeSpeech('Garbage fault.', 16000).samples.length * 2);
  });

  it('a client abort mid-body is logged as closed by the client', async () => {
    const controller = new AbortController();
    const res = await post({ text: 'A sentence long enough to abort in the middle of it.' }, 'output_format=pcm_16000', KEY, controller.signal);
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    const connection = sim.control.last('elevenlabs', '/stream')!;
    expect(await sim.control.waitFor(() => connection.closedBy ?? undefined)).toBe('client');
  });
});
