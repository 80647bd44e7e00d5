// Whole calls through the engine using only the vendor adapters, against the vendor simulators on
// loopback: Deepgram live STT, OpenAI chat, and each TTS vendor; then the fault drills. Real flite
// speech is streamed in real time (the VAD and the turn timing are part of what is tested).
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { simulatedConfig } from '../../src/config-simulated.js';
import { createLogger } from '../../src/log.js';
import { createParley, type Parley } from '../../src/main.js';
import { ScriptTranscriber } from '../../sim/script-transcriber.js';
import { startSimServer, type SimServer } from '../../sim/sim-server.js';
import { silence, speak } from '../helpers/speech.js';
import { VoiceClient } from '../helpers/voice-client.js';

const FIRST = 'Hello, I would like to book a table for dinner.';
const SECOND = 'Can you hear me over there?';

type Wire = { type: string; [k: string]: unknown };
type TurnWire = { user_text: string; agent_text: string; outcome: string; provider_issues: string[]; usage: Record<string, number> & { cost: { formatted: string } } };

let sim: SimServer;
let first: Int16Array;
let parley: Parley | null = null;

beforeAll(async () => {
  first = speak(FIRST);
  sim = await startSimServer({
    script: [FIRST, SECOND],
    latencies: { sttFinalDelayMs: 60, sttEndpointingMs: 300, llmTtftMs: 60, llmTokensPerSecond: 200, ttsTtfbMs: 40, ttsRealtimeFactor: 8 },
  });
});

afterAll(async () => {
  await sim?.close();
});

afterEach(async () => {
  sim.control.clearFaults();
  await parley?.close();
  parley = null;
});

function vendorConfig(tts: string[], extra: (c: Config) => void = () => {}): Config {
  const config = simulatedConfig();
  config.server.port = 0;
  config.agent.greeting = null;
  config.vad.engine = 'silero';
  config.providers.stt = ['deepgram'];
  config.providers.llm = ['openai'];
  config.providers.tts = tts as Config['providers']['tts'];
  config.providers.deepgram.baseUrl = sim.httpUrl;
  config.providers.openai.baseUrl = `${sim.httpUrl}/v1`;
  config.providers.elevenlabs.baseUrl = sim.wsUrl;
  config.providers.cartesia.baseUrl = sim.wsUrl;
  config.resilience.retry = { maxAttempts: 2, baseDelayMs: 20, maxDelayMs: 100, jitter: 0 };
  extra(config);
  return config;
}

async function start(config: Config): Promise<string> {
  const k = sim.control.keys;
  parley = await createParley(config, {
    log: createLogger('silent'),
    env: { DEEPGRAM_API_KEY: k.deepgram, OPENAI_API_KEY: k.openai, ELEVENLABS_API_KEY: k.elevenlabs, CARTESIA_API_KEY: k.cartesia },
  });
  await parley.app.listen({ host: '127.0.0.1', port: 0 });
  return `127.0.0.1:${(parley.app.server.address() as AddressInfo).port}`;
}

async function call(host: string, agent?: string): Promise<VoiceClient> {
  const client = await VoiceClient.connect(`ws://${host}/ws/voice`);
  client.send({ type: 'start_session', input_sample_rate: 16000, output_sample_rate: 16000, ...(agent ? { agent } : {}) });
  await client.waitFor((m) => m.type === 'session_ready' || m.type === 'error');
  return client;
}

/** Streams `audio` then silence until `until` resolves. `during` runs once `atMs` of audio was sent. */
async function talk(client: VoiceClient, audio: Int16Array, until: Promise<unknown>, during?: { atMs: number; run: () => void }): Promise<void> {
  let done = false;
  void until.finally(() => (done = true)).catch(() => {});
  if (during) {
    const cut = Math.round((during.atMs * 16000) / 1000);
    await client.stream(audio.subarray(0, cut));
    during.run();
    await client.stream(audio.subarray(cut));
  } else {
    await client.stream(audio);
  }
  while (!done && client.closeCode === null) await client.stream(silence(100));
}

async function oneTurn(client: VoiceClient, during?: { atMs: number; run: () => void }): Promise<TurnWire> {
  const complete = client.waitFor((m) => m.type === 'turn_complete', 40000);
  await talk(client, first, complete, during);
  return (await complete).turn as TurnWire;
}

function audioBytes(client: VoiceClient): number {
  return client.audio().reduce((n, a) => n + a.bytes, 0);
}

describe('a whole call over the vendor adapters and simulators', () => {
  for (const tts of ['elevenlabs', 'cartesia', 'deepgram']) {
    it(`Deepgram STT -> OpenAI chat -> ${tts} TTS: transcript, reply, audio and cost`, async () => {
      const host = await start(vendorConfig([tts]));
      const client = await call(host);
      expect(client.messages('session_ready')[0].engines).toMatchObject({ stt: 'deepgram', llm: 'openai', tts });
      const turn = await oneTurn(client);
      expect(client.messages('transcript_final')[0]).toMatchObject({ text: FIRST });
      expect(turn.user_text).toBe(FIRST);
      expect(turn.agent_text).toBe(`You said: "${FIRST}". That is interesting. Tell me more.`);
      expect(turn.outcome).toBe('completed');
      expect(turn.provider_issues).toEqual([]);
      // about 60 ms of simulated voice per character, at 16 kHz PCM16
      expect(audioBytes(client) / 32).toBeGreaterThan(turn.agent_text.length * 60 * 0.8);
      expect(turn.usage.stt_seconds).toBeGreaterThan(2);
      expect(turn.usage.llm_prompt_tokens).toBeGreaterThan(0);
      expect(turn.usage.llm_completion_tokens).toBeGreaterThan(0);
      // every sentence is synthesized (without the spaces between them)
      expect(turn.usage.tts_characters).toBeGreaterThan(turn.agent_text.length - 5);
      expect(turn.usage.tts_characters).toBeLessThanOrEqual(turn.agent_text.length);
      expect(turn.usage.cost_usd).toBeGreaterThan(0);
      const health = (await (await fetch(`http://${host}/health`)).json()) as { providers: Array<{ kind: string; provider: string; requests: number }> };
      expect(health.providers.map((p) => `${p.kind}:${p.provider}`)).toEqual(expect.arrayContaining(['stt:deepgram', 'llm:openai', `tts:${tts}`]));
      client.close();
      await client.waitClosed();
    }, 60000);
  }
});

describe('fault drills', () => {
  it('kills the STT connection mid-utterance and loses no word of it', async () => {
    // Make a partial hearing visible: a segment shorter than its line is heard only in part.
    const words = FIRST.split(' ').length;
    const saved = sim.control.transcriber;
    sim.control.transcriber = new ScriptTranscriber({ script: [FIRST, SECOND], msPerWord: ((first.length / 16) * 0.75) / words });
    try {
      const host = await start(vendorConfig(['elevenlabs']));
      const before = sim.control.connections.length;
      const client = await call(host);
      const turn = await oneTurn(client, {
        atMs: 1500,
        run: () => sim.control.kill(sim.control.last('deepgram', '/v1/listen')!),
      });
      expect(client.messages('error').some((m) => m.code === 'stt_reconnecting' && m.recoverable === true)).toBe(true);
      expect(sim.control.connections.slice(before).filter((c) => c.path === '/v1/listen').length).toBe(2);
      expect(turn.user_text).toBe(FIRST);
      expect(turn.outcome).toBe('completed');
      client.close();
    } finally {
      sim.control.transcriber = saved;
    }
  }, 60000);

  it('sends the reply as text when every TTS fails, and the call goes on', async () => {
    const host = await start(vendorConfig(['elevenlabs']));
    sim.control.addFault({ vendor: 'elevenlabs', fault: { type: 'status', status: 500 } });
    const client = await call(host);
    const turn = await oneTurn(client);
    const fallback = client.messages('agent_text_fallback').map((m) => m.text as string);
    expect(fallback.join(' ')).toBe(turn.agent_text.trim());
    expect(audioBytes(client)).toBe(0);
    expect(turn.outcome).toBe('completed');
    expect(client.messages('error').some((m) => m.recoverable === true && String(m.message).includes('speech synthesis'))).toBe(true);
    // still answering: a typed message gets a reply
    client.send({ type: 'text_input', text: 'Are you still there?' });
    await client.waitFor((m) => m.type === 'turn_complete' && (m.turn as TurnWire).user_text === 'Are you still there?', 20000);
    client.close();
  }, 60000);

  it('falls back from ElevenLabs to Cartesia on a bad key, and says so on the turn', async () => {
    const host = await start(vendorConfig(['elevenlabs', 'cartesia']));
    sim.control.addFault({ vendor: 'elevenlabs', fault: { type: 'status', status: 401 } });
    const before = sim.control.connections.length;
    const client = await call(host);
    const turn = await oneTurn(client);
    expect(audioBytes(client)).toBeGreaterThan(0);
    expect(turn.provider_issues.some((i) => i.includes('elevenlabs') && i.includes('cartesia'))).toBe(true);
    // a 401 is never retried
    expect(sim.control.connections.slice(before).filter((c) => c.vendor === 'elevenlabs').length).toBe(0);
    client.close();
  }, 60000);

  it('speaks an apology when the LLM keeps failing, and marks the turn', async () => {
    const host = await start(vendorConfig(['cartesia']));
    sim.control.addFault({ vendor: 'openai', fault: { type: 'status', status: 500 } });
    const client = await call(host);
    const turn = await oneTurn(client);
    expect(turn.agent_text).toContain('having trouble');
    expect(turn.provider_issues.some((i) => i.startsWith('llm: every provider failed'))).toBe(true);
    expect(audioBytes(client)).toBeGreaterThan(0);
    client.close();
  }, 60000);

  it('switches to the cheaper tier once the agent spent its budget', async () => {
    const host = await start(
      vendorConfig(['elevenlabs'], (c) => {
        c.providers.economy = { tts: ['cartesia'] };
        c.budgets = { assistant: { dailyUsd: 0.0000001 } };
      }),
    );
    const client = await call(host);
    const done = (text: string) => client.waitFor((m) => m.type === 'turn_complete' && (m.turn as TurnWire).user_text === text, 20000);
    client.send({ type: 'text_input', text: 'Hello there.' });
    await done('Hello there.');
    const elevenLabsCalls = () => sim.control.connections.filter((c) => c.vendor === 'elevenlabs').length;
    const afterFirst = elevenLabsCalls();
    expect(afterFirst).toBeGreaterThan(0);
    const secondAt = performance.now();
    client.send({ type: 'text_input', text: 'And now?' });
    await done('And now?');
    expect(elevenLabsCalls()).toBe(afterFirst);
    const cartesiaContexts = sim.control.connections.filter((c) => c.vendor === 'cartesia').flatMap((c) => c.events.filter((e) => e.type === 'context' && e.at > secondAt));
    expect(cartesiaContexts.length).toBeGreaterThan(0);
    const health = (await (await fetch(`http://${host}/health`)).json()) as { budgets: Record<string, { level: string }> };
    expect(health.budgets.assistant.level).toBe('downgrade');
    client.close();
  }, 60000);

  it('refuses a new call once the agent hit its hard budget limit', async () => {
    const host = await start(
      vendorConfig(['cartesia'], (c) => {
        c.budgets = { assistant: { hardLimitUsd: { daily: 0.000001 } } };
      }),
    );
    const client = await call(host);
    await oneTurn(client);
    client.close();
    await client.waitClosed();
    const refused = await call(host);
    const error = refused.messages('error')[0] as Wire;
    expect(error).toMatchObject({ code: 'budget_exceeded', recoverable: false });
    const metrics = await (await fetch(`http://${host}/metrics`)).text();
    expect(metrics).toMatch(/parley_budget_level\{agent="assistant"\} 3/);
    expect(metrics).toMatch(/parley_provider_events_total\{kind="stt",provider="deepgram",event="request"\} \d/);
    refused.close();
  }, 60000);
});
