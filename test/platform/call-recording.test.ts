// A recorded call through the whole server: the recording is linked to the call once it ends and
// comes back from the API as a stereo WAV, with the caller on the left and the agent on the right.
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWav } from '../../src/audio/wav.js';
import { simulatedConfig } from '../../src/config-simulated.js';
import { createLogger } from '../../src/log.js';
import { createParley, type Parley } from '../../src/main.js';
import { speak } from '../helpers/speech.js';
import { VoiceClient } from '../helpers/voice-client.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-recordings-'));
let parley: Parley;
let port: number;

beforeAll(async () => {
  const config = simulatedConfig();
  config.agent.greeting = 'Hello {{caller}}.';
  config.vad.engine = 'energy';
  config.recording = { enabled: true, dir, retentionDays: 30, consentAnnouncement: 'This call is recorded.' };
  parley = await createParley(config, { log: createLogger('silent') });
  await parley.app.listen({ host: '127.0.0.1', port: 0 });
  port = (parley.app.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await parley?.close();
  rmSync(dir, { recursive: true, force: true });
});

const rms = (samples: Int16Array, from: number, to: number, channel: number): number => {
  let sum = 0;
  let n = 0;
  for (let i = from * 2 + channel; i < to * 2; i += 2) {
    sum += samples[i] * samples[i];
    n++;
  }
  return Math.sqrt(sum / Math.max(1, n));
};

describe('call recording through the server', () => {
  it('links the recording to the call and serves it as a stereo WAV', async () => {
    const client = await VoiceClient.connect(`ws://127.0.0.1:${port}/ws/voice`);
    client.send({ type: 'start_session', input_sample_rate: 16000, output_sample_rate: 16000 });
    const callId = String((await client.waitFor((m) => m.type === 'session_ready')).session_id);
    // The consent announcement comes first, in the greeting's reply; a browser call has no
    // `caller` variable, so its placeholder stays as written.
    const opening = await client.waitFor((m) => m.type === 'agent_text' && m.final === true);
    expect(opening.text).toBe('This call is recorded. Hello {{caller}}.');
    await client.waitFor((m) => m.type === 'agent_audio_end', 15000);
    // The caller speaks after the greeting, in real time like a microphone.
    await client.stream(speak('Hello, I would like to book a table.'));
    client.send({ type: 'end_session' });
    await client.waitFor((m) => m.type === 'session_ended');
    let response: Response | undefined;
    for (let i = 0; i < 50; i++) {
      await parley.platform.writes.flush();
      response = await fetch(`http://127.0.0.1:${port}/v1/calls/${callId}/recording`);
      if (response.status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(response?.status).toBe(200);
    expect(response?.headers.get('content-type')).toContain('audio/wav');
    const wav = readWav(new Uint8Array(await (response as Response).arrayBuffer()));
    expect(wav).toMatchObject({ sampleRate: 16000, channels: 2 });
    const frames = wav.samples.length / 2;
    // The greeting is on the right, and nothing on the left while it plays (the caller was silent).
    const greetingEnd = Math.min(frames, 16000);
    expect(rms(wav.samples, 0, greetingEnd, 1)).toBeGreaterThan(100);
    expect(rms(wav.samples, 0, greetingEnd, 0)).toBe(0);
    // The caller's speech is on the left.
    expect(rms(wav.samples, 0, frames, 0)).toBeGreaterThan(100);
    client.close();
  }, 30_000);
});
