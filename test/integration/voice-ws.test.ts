// End to end over a real WebSocket on loopback: real speech streamed in real time, real Silero VAD,
// simulated providers at fixed latencies. Timing is the point here, so this uses the wall clock.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { simulatedConfig } from '../../src/config-simulated.js';
import { createLogger } from '../../src/log.js';
import { createParley, type Parley } from '../../src/main.js';
import { silence, speak } from '../helpers/speech.js';
import { VoiceClient } from '../helpers/voice-client.js';

const FIRST = 'Hello, I would like to book a table for dinner.';
const SECOND = 'Can you hear me over there?';

let parley: Parley;
let url: string;
let first: Int16Array;
let second: Int16Array;

function testConfig(overrides: Partial<Config['server']> = {}): Config {
  const config = simulatedConfig();
  config.server = { ...config.server, port: 0, ...overrides };
  config.agent.greeting = null;
  config.vad.engine = 'silero';
  config.simulated.script = [FIRST, SECOND, 'third', 'fourth'];
  config.simulated.sttFinalDelayMs = 120;
  config.simulated.llmTtftMs = 150;
  config.simulated.llmTokensPerSecond = 80;
  config.simulated.ttsTtfbMs = 80;
  config.simulated.ttsRealtimeFactor = 4;
  return config;
}

async function start(config: Config): Promise<{ parley: Parley; url: string }> {
  const p = await createParley(config, { log: createLogger('silent') });
  await p.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = p.app.server.address() as AddressInfo;
  return { parley: p, url: `ws://127.0.0.1:${port}/ws/voice` };
}

beforeAll(async () => {
  first = speak(FIRST);
  second = speak(SECOND);
  ({ parley, url } = await start(testConfig()));
});

afterAll(async () => {
  await parley?.close();
});

async function session(settings: Record<string, unknown> = {}): Promise<VoiceClient> {
  const client = await VoiceClient.connect(url);
  client.send({ type: 'start_session', input_sample_rate: 16000, output_sample_rate: 16000, settings });
  await client.waitFor((m) => m.type === 'session_ready');
  return client;
}

describe('browser voice path, end to end', () => {
  it('hears a real utterance, answers with audio, and reports the turn', async () => {
    const client = await session();
    const ready = client.messages('session_ready')[0];
    expect(ready).toMatchObject({ input_sample_rate: 16000, output_sample_rate: 16000, resumed: false });
    expect((ready.engines as { vad: string }).vad).toBe('silero');

    let done = false;
    const mic = (async () => {
      await client.stream(first);
      // keep the microphone open with silence, as a browser does
      while (!done) await client.stream(silence(200));
    })();
    const complete = await client.waitFor((m) => m.type === 'turn_complete', 30000);
    done = true;
    await mic;

    const states = client.messages('state_change').map((m) => m.to);
    expect(states.slice(0, 5)).toEqual(['LISTENING', 'SPECULATIVE', 'COMMITTED', 'SPEAKING', 'IDLE']);
    expect(client.messages('transcript_final')[0]).toMatchObject({ text: FIRST });
    const turn = complete.turn as { user_text: string; agent_text: string; heard_text: string; outcome: string; metrics: Record<string, number | null> };
    expect(turn.user_text).toBe(FIRST);
    expect(turn.outcome).toBe('completed');
    expect(turn.agent_text).toContain('book a table');
    expect(turn.heard_text).toBe(turn.agent_text.trim());
    expect(turn.metrics.voice_to_voice_ms).toBeGreaterThan(0);
    expect(turn.metrics.llm_ttft_ms).toBeGreaterThanOrEqual(150);
    expect(turn.metrics.tts_ttfb_ms).toBeGreaterThanOrEqual(80);

    // agent audio: between agent_audio_start and agent_audio_end, about as long as the text
    const startIdx = client.received.findIndex((r) => r.kind === 'json' && r.msg.type === 'agent_audio_start');
    const endIdx = client.received.findIndex((r) => r.kind === 'json' && r.msg.type === 'agent_audio_end');
    expect(startIdx).toBeGreaterThan(-1);
    expect(endIdx).toBeGreaterThan(startIdx);
    const frames = client.received.slice(startIdx, endIdx).filter((r) => r.kind === 'audio');
    expect(frames.length).toBeGreaterThan(10);
    const audioMs = frames.reduce((s, f) => s + (f.kind === 'audio' ? f.bytes : 0), 0) / 32;
    expect(audioMs).toBeGreaterThan(turn.agent_text.length * 60 * 0.8);
    expect(client.messages('agent_audio_end')[0]).toMatchObject({ interrupted: false });
    expect(client.messages('telemetry').length).toBeGreaterThan(0);
    client.close();
  }, 60000);

  it('stops the agent audio when the caller speaks over it (barge-in)', async () => {
    const client = await session();
    let phase: 'first' | 'wait' | 'barge' | 'done' = 'first';
    const mic = (async () => {
      await client.stream(first);
      phase = 'wait';
      while (phase === 'wait') await client.stream(silence(100));
      await client.stream(second);
      while (phase !== 'done') await client.stream(silence(100));
    })();
    await client.waitFor((m) => m.type === 'agent_audio_start', 30000);
    // let the caller hear a bit of the reply, then talk over it
    await new Promise((r) => setTimeout(r, 800));
    const bargeAt = performance.now();
    phase = 'barge';
    const end = await client.waitFor((m) => m.type === 'agent_audio_end', 10000);
    expect(end).toMatchObject({ interrupted: true });
    const complete = await client.waitFor((m) => m.type === 'turn_complete' && (m.turn as { outcome: string }).outcome === 'interrupted', 10000);
    const turn = complete.turn as { agent_text: string; heard_text: string };
    expect(turn.heard_text.length).toBeGreaterThan(0);
    expect(turn.heard_text.length).toBeLessThan(turn.agent_text.length);
    expect(turn.agent_text.startsWith(turn.heard_text.replace(/\s+/g, ' ').trim().slice(0, 10))).toBe(true);

    // no agent audio after the interruption was announced
    const endAt = client.received.find((r) => r.kind === 'json' && r.msg.type === 'agent_audio_end')!.at;
    const late = client.audio().filter((a) => a.at > endAt);
    const nextStart = client.received.find((r) => r.kind === 'json' && r.msg.type === 'agent_audio_start' && r.at > endAt);
    expect(late.filter((a) => !nextStart || a.at < nextStart.at)).toHaveLength(0);
    // audio stopped within a few frames of the barge-in speech being sent
    expect(endAt - bargeAt).toBeLessThan(2000);
    // the second utterance becomes the next turn
    await client.waitFor((m) => m.type === 'transcript_final' && m.text === SECOND, 15000);
    phase = 'done';
    await mic;
    client.close();
  }, 60000);
});

describe('browser protocol: validation and robustness', () => {
  it('answers malformed and unknown messages with an error and keeps the call going', async () => {
    const client = await session();
    client.sendRaw('{not json');
    client.send({ type: 'dance' });
    client.send({ type: 'text_input' });
    client.send({ type: 'update_settings', settings: { debounce_ms: -5 } });
    await client.waitFor((m) => m.type === 'error' && m.code === 'invalid_json');
    await client.waitFor((m) => m.type === 'error' && m.code === 'unknown_message_type');
    const errors = () => client.messages('error');
    await client.waitFor(() => errors().filter((e) => e.code === 'invalid_message').length >= 2);
    expect(errors().every((e) => e.recoverable === true)).toBe(true);
    expect(String(errors().find((e) => String(e.message).includes('debounce_ms'))?.message)).toContain('settings.debounce_ms');
    // a valid change is applied and answered with the settings in force
    client.send({ type: 'update_settings', settings: { debounce_ms: 600, min_interruption_ms: 150 } });
    const updated = await client.waitFor((m) => m.type === 'settings_updated');
    expect(updated.settings).toMatchObject({ debounce_ms: 600, min_interruption_ms: 150, vad_threshold: 0.5 });
    // still alive: a typed turn works
    client.send({ type: 'text_input', text: 'What time is it?' });
    const done = await client.waitFor((m) => m.type === 'turn_complete', 20000);
    expect((done.turn as { user_text: string }).user_text).toBe('What time is it?');
    client.close();
  }, 30000);

  it('rejects audio before start_session and odd-length audio with errors', async () => {
    const client = await VoiceClient.connect(url);
    client.sendRaw(Buffer.alloc(640));
    await client.waitFor((m) => m.type === 'error' && m.code === 'no_session');
    client.send({ type: 'start_session' });
    await client.waitFor((m) => m.type === 'session_ready');
    client.sendRaw(Buffer.alloc(641));
    await client.waitFor((m) => m.type === 'error' && m.code === 'invalid_audio');
    client.send({ type: 'start_session' });
    await client.waitFor((m) => m.type === 'error' && m.code === 'session_already_started');
    client.send({ type: 'ping', t: 5 });
    await client.waitFor((m) => m.type === 'pong' && m.t === 5);
    client.close();
  });

  it('closes with 1009 on a frame over 1 MiB', async () => {
    const client = await session();
    client.sendRaw(Buffer.alloc(1024 * 1024 + 2));
    expect(await client.waitClosed()).toBe(1009);
  });

  it('rejects an unknown agent and a bad sample rate clearly', async () => {
    const client = await VoiceClient.connect(url);
    client.send({ type: 'start_session', agent: 'nobody' });
    const e1 = await client.waitFor((m) => m.type === 'error');
    expect(e1.code).toBe('unknown_agent');
    expect(String(e1.message)).toContain('unknown agent "nobody"');
    client.send({ type: 'start_session', input_sample_rate: 12345 });
    const e2 = await client.waitFor((m) => m.type === 'error' && String(m.message).includes('input_sample_rate'));
    expect(e2.code).toBe('invalid_message');
    client.close();
  });

  it('resumes a session after the browser reconnects', async () => {
    const client = await session();
    const id = client.messages('session_ready')[0].session_id as string;
    client.close();
    await client.waitClosed();
    const again = await VoiceClient.connect(url);
    again.send({ type: 'start_session', session_id: id });
    const ready = await again.waitFor((m) => m.type === 'session_ready');
    expect(ready).toMatchObject({ session_id: id, resumed: true });
    again.send({ type: 'text_input', text: 'Are you still there?' });
    await again.waitFor((m) => m.type === 'turn_complete', 20000);
    const third = await VoiceClient.connect(url);
    third.send({ type: 'start_session', session_id: 'no-such-session' });
    await third.waitFor((m) => m.type === 'error' && m.code === 'session_not_found');
    // a resume while the old socket still looks alive takes the session over
    const fourth = await VoiceClient.connect(url);
    fourth.send({ type: 'start_session', session_id: id });
    await fourth.waitFor((m) => m.type === 'session_ready' && m.resumed === true);
    expect(await again.waitClosed()).toBe(4001);
    expect(fourth.messages('session_ready')[0].state).toBe('IDLE');
    fourth.send({ type: 'end_session' });
    expect(await fourth.waitClosed()).toBe(1000);
    third.close();
  }, 30000);

  it('pings and closes a client that never answers', async () => {
    const short = await start(testConfig({ heartbeatIntervalMs: 100, heartbeatTimeoutMs: 300 }));
    try {
      const client = await VoiceClient.connect(short.url);
      client.answerPings = false;
      client.send({ type: 'start_session' });
      await client.waitFor((m) => m.type === 'ping');
      expect(await client.waitClosed()).toBe(4000);
      // a client that answers stays
      const good = await VoiceClient.connect(short.url);
      await new Promise((r) => setTimeout(r, 800));
      expect(good.closeCode).toBeNull();
      good.close();
    } finally {
      await short.parley.close();
    }
  });
});
