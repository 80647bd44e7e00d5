// The ElevenLabs simulator's WebSocket protocol, driven message by message with a bare client:
// single context (BOS / text / EOS, schedule, flush, alignment modes, inactivity, auth, formats, faults)
// and multi context (context ids, keepalive, close_context, close_socket).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimServer, type SimServer } from '../../sim/sim-server.js';
import { synthesizeSpeech } from '../../sim/sim-voice.js';
import { GARBAGE_FRAME } from '../../sim/elevenlabs/audio-sender.js';
import { audioBytes, openRaw, refusedUpgrade, type Received } from '../providers/elevenlabs/raw-socket.js';

const KEY = 'sim-elevenlabs-key';
const TTFB = 30;

let sim: SimServer;
beforeAll(async () => {
  sim = await startSimServer({ latencies: { ttsTtfbMs: TTFB, ttsRealtimeFactor: 25 }, timeouts: { elevenLabsInactivityMs: 250 } });
});
afterAll(() => sim.close());
beforeEach(() => sim.control.clearFaults());

const url = (query: string, voice = 'voice-a', path = 'stream-input') => `${sim.wsUrl}/v1/text-to-speech/${voice}/${path}?${query}`;
const audioMessages = (rs: Received[]) => rs.filter((r) => typeof r.json?.audio === 'string');

describe('single-context stream-input', () => {
  it('streams base64 PCM for BOS + text + EOS, then isFinal and close 1000', async () => {
    const text = 'Hello there, how are you today?';
    const s = openRaw(url('model_id=eleven_flash_v2_5&output_format=pcm_16000'), { 'xi-api-key': KEY });
    await s.opened;
    s.send({ text: ' ', voice_settings: { stability: 0.5, similarity_boost: 0.8, speed: 1 } });
    s.send({ text: `${text} ` });
    s.send({ text: '' });
    const closed = await s.closed;
    expect(closed.code).toBe(1000);
    const audio = audioBytes(s.received);
    expect(audio.length).toBe(synthesizeSpeech(text, 16000).samples.length * 2);
    const pieces = audioMessages(s.received);
    expect(pieces.length).toBeGreaterThan(3);
    // Payloads are not sample-aligned.
    expect(pieces.some((p) => Buffer.from(p.json!.audio as string, 'base64').length % 2 === 1)).toBe(true);
    for (const p of pieces) expect(p.json!.isFinal).toBe(false);
    // Without sync_alignment the generation's whole alignment rides on its first piece.
    const first = pieces[0].json!.alignment as { chars: string[]; charStartTimesMs: number[]; charsDurationsMs: number[] };
    expect(first.chars.join('')).toBe(text);
    expect(first.charStartTimesMs[0]).toBe(0);
    expect(first.charsDurationsMs).toHaveLength(text.length);
    expect(pieces[0].json!.normalizedAlignment).toEqual(first);
    expect(pieces.slice(1).every((p) => p.json!.alignment === null)).toBe(true);
    const last = s.received[s.received.length - 1];
    expect(last.json).toEqual({ isFinal: true });
    const connection = sim.control.last('elevenlabs', '/stream-input')!;
    expect(await sim.control.waitFor(() => connection.closedBy ?? undefined)).toBe('server');
    expect(connection.events.map((e) => e.type)).toContain('eos');
  });

  it('with sync_alignment, every piece carries the characters that start in it, relative to the piece', async () => {
    const text = 'Alignment per chunk works.';
    const s = openRaw(url('output_format=pcm_22050&sync_alignment=true'), { 'xi-api-key': KEY });
    await s.opened;
    s.send({ text: ' ' });
    s.send({ text, flush: true });
    s.send({ text: '' });
    await s.closed;
    const pieces = audioMessages(s.received);
    const chars: string[] = [];
    let pieceStartMs = 0;
    const expected = synthesizeSpeech(text, 22050).chars;
    for (const p of pieces) {
      const a = p.json!.alignment as { chars: string[]; charStartTimesMs: number[] };
      for (let i = 0; i < a.chars.length; i++) {
        const index = chars.length;
        chars.push(a.chars[i]);
        expect(Math.abs(pieceStartMs + a.charStartTimesMs[i] - expected[index].startMs)).toBeLessThanOrEqual(1);
        expect(a.charStartTimesMs[i]).toBeGreaterThanOrEqual(0);
      }
      pieceStartMs += (Buffer.from(p.json!.audio as string, 'base64').length / 2 / 22050) * 1000;
    }
    expect(chars.join('')).toBe(text);
  });

  it('buffers text until the chunk schedule threshold, and generates at once on flush', async () => {
    const s = openRaw(url('output_format=pcm_16000'), { 'xi-api-key': KEY });
    await s.opened;
    s.send({ text: ' ', generation_config: { chunk_length_schedule: [50] } });
    s.send({ text: 'Short words only. ' }); // 18 chars: below 50
    await new Promise((r) => setTimeout(r, TTFB * 4));
    expect(audioMessages(s.received)).toHaveLength(0);
    s.send({ text: 'Now enough text arrives to pass the fifty character mark. ' });
    await s.waitFor((r) => typeof r.json?.audio === 'string');
    const before = audioBytes(s.received).length;
    s.send({ text: 'Tail', flush: true });
    s.send({ text: '' });
    await s.closed;
    const total = audioBytes(s.received).length;
    expect(total).toBeGreaterThan(before);
    const alignments = audioMessages(s.received)
      .map((p) => p.json!.alignment as { chars: string[] } | null)
      .filter((a) => a !== null);
    // Generations: the first threshold cut at the last whitespace, then the flushed remainder.
    expect(alignments.map((a) => a.chars.join(''))).toEqual(['Short words only. Now enough text arrives to pass the fifty character mark.', 'Tail']);
  });

  it('sends the first audio no sooner than ttsTtfbMs after the text that triggered it', async () => {
    const s = openRaw(url('output_format=pcm_16000'), { 'xi-api-key': KEY });
    await s.opened;
    s.send({ text: ' ' });
    const sentAt = performance.now();
    s.send({ text: 'Timing check. ' });
    s.send({ text: '' });
    const first = await s.waitFor((r) => typeof r.json?.audio === 'string');
    expect(first.at - sentAt).toBeGreaterThanOrEqual(TTFB - 1);
    await s.closed;
  });

  it('refuses a wrong key in the header at the upgrade with 401 invalid_api_key', async () => {
    const refused = await refusedUpgrade(url('output_format=pcm_16000'), { 'xi-api-key': 'wrong' });
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body)).toEqual({ detail: { status: 'invalid_api_key', message: 'Invalid API key' } });
    const bearer = await refusedUpgrade(url('output_format=pcm_16000'), { authorization: 'Bearer wrong' });
    expect(bearer.status).toBe(401);
  });

  it('accepts the key in the first message (both spellings) and refuses a wrong one with an error + 1008', async () => {
    for (const field of ['xi-api-key', 'xi_api_key']) {
      const ok = openRaw(url('output_format=pcm_16000'));
      await ok.opened;
      ok.send({ text: ' ', [field]: KEY });
      ok.send({ text: 'Hi. ' });
      ok.send({ text: '' });
      expect((await ok.closed).code).toBe(1000);
      expect(audioBytes(ok.received).length).toBeGreaterThan(0);
    }
    const bad = openRaw(url('output_format=pcm_16000'));
    await bad.opened;
    bad.send({ text: ' ', xi_api_key: 'wrong' });
    const closed = await bad.closed;
    expect(closed.code).toBe(1008);
    expect(bad.received[0].json).toMatchObject({ error: 'invalid_api_key', code: 1008 });
  });

  it('closes an idle stream with input_timeout_exceeded and 1008 after the inactivity timeout', async () => {
    const s = openRaw(url('output_format=pcm_16000'), { 'xi-api-key': KEY });
    await s.opened;
    const lastInputAt = performance.now();
    s.send({ text: ' ' });
    const closed = await s.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toMatch(/^Have not received a new text input within the timeout/);
    expect(s.received[0].json).toMatchObject({ error: 'input_timeout_exceeded', code: 1008 });
    expect(closed.at - lastInputAt).toBeGreaterThanOrEqual(250 - 1);
  });

  it('honours inactivity_timeout from the query (seconds)', async () => {
    const s = openRaw(url('output_format=pcm_16000&inactivity_timeout=1'), { 'xi-api-key': KEY });
    await s.opened;
    s.send({ text: ' ' });
    await new Promise((r) => setTimeout(r, 400)); // past the 250 ms default, within the asked 1 s
    s.send({ text: 'Still here. ' });
    s.send({ text: '' });
    expect((await s.closed).code).toBe(1000);
  });

  it('refuses MP3 (the default format) because it cannot encode it, saying so', async () => {
    const s = openRaw(url('model_id=eleven_flash_v2_5'), { 'xi-api-key': KEY });
    await s.opened;
    const closed = await s.closed;
    expect(closed.code).toBe(1008);
    expect(s.received[0].json!.message).toMatch(/cannot encode MP3/);
  });

  it('streams ulaw_8000 as one byte per sample', async () => {
    const text = 'Telephone voice.';
    const s = openRaw(url('output_format=ulaw_8000'), { 'xi-api-key': KEY });
    await s.opened;
    s.send({ text: ' ' });
    s.send({ text });
    s.send({ text: '' });
    await s.closed;
    expect(audioBytes(s.received).length).toBe(synthesizeSpeech(text, 8000).samples.length);
  });

  it('rejects changed voice_settings after the first message with 1008', async () => {
    const s = openRaw(url('output_format=pcm_16000'), { 'xi-api-key': KEY });
    await s.opened;
    s.send({ text: ' ', voice_settings: { speed: 1 } });
    s.send({ text: 'Hi ', voice_settings: { speed: 1.1 } });
    expect((await s.closed).code).toBe(1008);
    expect(s.received[0].json!.message).toMatch(/voice_settings/);
  });

  it('fault malformed: one non-JSON frame after the first audio', async () => {
    sim.control.addFault({ vendor: 'elevenlabs', fault: { type: 'malformed' }, times: 1 });
    const s = openRaw(url('output_format=pcm_16000'), { 'xi-api-key': KEY });
    await s.opened;
    s.send({ text: ' ' });
    s.send({ text: 'Some garbage follows.' });
    s.send({ text: '' });
    await s.closed;
    expect(s.received[0].json?.audio).toBeTypeOf('string');
    expect(s.received[1].json).toBeNull();
    expect(s.received[1].text).toBe(GARBAGE_FRAME);
  });

  it('fault wrong_audio_format: the first audio starts with an MP3 ID3 header', async () => {
    sim.control.addFault({ vendor: 'elevenlabs', fault: { type: 'wrong_audio_format' }, times: 1 });
    const s = openRaw(url('output_format=pcm_16000'), { 'xi-api-key': KEY });
    await s.opened;
    s.send({ text: ' ' });
    s.send({ text: 'Not really PCM.' });
    s.send({ text: '' });
    await s.closed;
    expect(audioBytes(s.received).subarray(0, 3).toString('latin1')).toBe('ID3');
  });
});

describe('multi-context multi-stream-input', () => {
  it('runs contexts side by side, tags outputs with contextId, logs close_context and closes on close_socket', async () => {
    const s = openRaw(url('output_format=pcm_16000', 'voice-b', 'multi-stream-input'), { 'xi-api-key': KEY });
    await s.opened;
    s.send({ text: ' ', context_id: 'one' });
    s.send({ text: ' ', context_id: 'two', voice_settings: { speed: 1.1 } });
    s.send({ text: 'First context speaks. ', context_id: 'one', flush: true });
    s.send({ text: 'Second one too. ', context_id: 'two', flush: true });
    s.send({ text: '', context_id: 'one' }); // keepalive, not end of input
    await s.waitFor((r) => r.json?.contextId === 'two' && typeof r.json.audio === 'string');
    s.send({ context_id: 'two', close_context: true });
    await s.waitFor((r) => r.json?.contextId === 'two' && r.json.isFinal === true);
    s.send({ close_socket: true });
    const closed = await s.closed;
    expect(closed.code).toBe(1000);

    const bytesOf = (id: string) => audioBytes(s.received.filter((r) => r.json?.contextId === id));
    expect(bytesOf('one').length).toBe(synthesizeSpeech('First context speaks.', 16000).samples.length * 2);
    expect(bytesOf('two').length).toBe(synthesizeSpeech('Second one too.', 16000).samples.length * 2);
    expect(s.received.filter((r) => r.json?.isFinal === true).map((r) => r.json!.contextId).sort()).toEqual(['one', 'two']);
    const events = sim.control.last('elevenlabs', 'multi-stream-input')!.events;
    expect(events.filter((e) => e.type === 'close_context').map((e) => e.detail)).toEqual(['two']);
    expect(events.filter((e) => e.type === 'keepalive').map((e) => e.detail)).toEqual(['one']);
  });

  it('close_context drops text that was never flushed', async () => {
    const s = openRaw(url('output_format=pcm_16000', 'voice-b', 'multi-stream-input'), { 'xi-api-key': KEY });
    await s.opened;
    s.send({ text: ' ', context_id: 'barge', xi_api_key: KEY });
    s.send({ text: 'This was buffered but never flushed. ', context_id: 'barge' });
    s.send({ context_id: 'barge', close_context: true });
    await s.waitFor((r) => r.json?.isFinal === true);
    expect(audioMessages(s.received)).toHaveLength(0);
    s.send({ close_socket: true });
    expect((await s.closed).code).toBe(1000);
  });
});
