// GET /v1/calls/:id/recording: the WAV file streamed with its length, byte ranges for seeking,
// and no_recording when there is none or the file is gone.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentBodySchema, agentBodyToConfig } from '../../../src/api/v1/agent-body.js';
import { readWav, writeWav } from '../../../src/audio/wav.js';
import { agentBody, seedCall } from './fixtures.js';
import { startApi, type ApiHarness } from './harness.js';

let api: ApiHarness;
let key: string;
let dir: string;
let wav: Buffer;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parley-recording-'));
  api = await startApi();
  ({ key } = await api.keyFor('acme'));
  await api.repository.createAgent('acme', { id: 'agent-a', name: 'A', config: agentBodyToConfig(agentBodySchema.parse(agentBody())) });
  await seedCall(api.repository, 'acme', { id: 'c1', agentId: 'agent-a', startedAt: '2026-02-01T10:00:00.000Z' });
  const samples = Int16Array.from({ length: 1600 }, (_, i) => Math.round(8000 * Math.sin(i / 5)));
  wav = writeWav({ sampleRate: 16000, channels: 1, samples });
  writeFileSync(join(dir, 'c1.wav'), wav);
});
afterEach(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('call recording', () => {
  it('answers no_recording while the call has none', async () => {
    const res = await api.call(key, { method: 'GET', url: '/v1/calls/c1/recording' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('no_recording');
    expect((await api.call(key, { method: 'GET', url: '/v1/calls/nope/recording' })).json().error.code).toBe('not_found');
  });

  it('streams the whole file as audio/wav with its length', async () => {
    await api.repository.setCallRecording('acme', 'c1', join(dir, 'c1.wav'));
    const res = await api.call(key, { method: 'GET', url: '/v1/calls/c1/recording' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('audio/wav');
    expect(res.headers['content-length']).toBe(String(wav.length));
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.rawPayload.equals(wav)).toBe(true);
    expect(readWav(res.rawPayload).sampleRate).toBe(16000);
    const listed = await api.call(key, { method: 'GET', url: '/v1/calls?limit=1' });
    expect(listed.json().items[0].has_recording).toBe(true);
  });

  it('answers byte ranges with 206, and 416 outside the file', async () => {
    await api.repository.setCallRecording('acme', 'c1', join(dir, 'c1.wav'));
    const head = await api.call(key, { method: 'GET', url: '/v1/calls/c1/recording', headers: { range: 'bytes=0-43' } });
    expect(head.statusCode).toBe(206);
    expect(head.headers['content-range']).toBe(`bytes 0-43/${wav.length}`);
    expect(head.rawPayload.equals(wav.subarray(0, 44))).toBe(true);
    const tail = await api.call(key, { method: 'GET', url: '/v1/calls/c1/recording', headers: { range: 'bytes=-10' } });
    expect(tail.rawPayload.equals(wav.subarray(wav.length - 10))).toBe(true);
    const open = await api.call(key, { method: 'GET', url: '/v1/calls/c1/recording', headers: { range: `bytes=${wav.length - 4}-` } });
    expect(open.headers['content-length']).toBe('4');
    const outside = await api.call(key, { method: 'GET', url: '/v1/calls/c1/recording', headers: { range: `bytes=${wav.length}-` } });
    expect(outside.statusCode).toBe(416);
    expect(outside.headers['content-range']).toBe(`bytes */${wav.length}`);
    expect(outside.json().error.code).toBe('range_not_satisfiable');
  });

  it('answers no_recording when the file is gone', async () => {
    await api.repository.setCallRecording('acme', 'c1', join(dir, 'deleted.wav'));
    const res = await api.call(key, { method: 'GET', url: '/v1/calls/c1/recording' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'no_recording', message: 'this call has no recording' } });
  });
});
