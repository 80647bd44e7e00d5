// Metering decorators bill each concrete provider for what it was asked to do, with the turn it
// served; the tier switch sends each request to the premium or economy provider as the budget says.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { SimulatedLlm, SimulatedStt, SimulatedTts } from '../../src/providers/simulated/index.js';
import type { LlmProvider, TtsProvider } from '../../src/providers/types.js';
import { MeteredLlm, MeteredStt, MeteredTts, TierSwitchLlm, TierSwitchTts, type UsageItem } from '../../src/usage/index.js';

function sink(): { items: UsageItem[]; record: (i: UsageItem) => void } {
  const items: UsageItem[] = [];
  return { items, record: (i) => items.push(i) };
}

async function drain<T>(iterable: AsyncIterable<T>, clock: VirtualClock): Promise<T[]> {
  const out: T[] = [];
  const done = (async () => {
    for await (const x of iterable) out.push(x);
  })();
  let finished = false;
  done.then(
    () => (finished = true),
    () => (finished = true),
  );
  while (!finished) {
    clock.advance(10);
    await new Promise((r) => setImmediate(r));
  }
  await done;
  return out;
}

describe('metered providers', () => {
  it('bills STT audio seconds in whole-second pieces and the rest on close', () => {
    const clock = new VirtualClock();
    const s = sink();
    const stt = new MeteredStt(new SimulatedStt({ clock, script: [], finalDelayMs: 0 }), s, 'nova-x');
    const stream = stt.open({ sampleRate: 16000, signal: new AbortController().signal, onEvent: () => {} });
    for (let i = 0; i < 125; i++) stream.write(new Int16Array(320)); // 2.5 s in 20 ms frames
    expect(s.items.map((i) => i.quantity)).toEqual([1, 1]);
    stream.close();
    expect(s.items.map((i) => i.quantity)).toEqual([1, 1, 0.5]);
    expect(s.items[0]).toMatchObject({ kind: 'stt', provider: 'simulated', model: 'nova-x', unit: 'audio_seconds' });
  });

  it('bills LLM tokens from the usage chunk, for the request turn', async () => {
    const clock = new VirtualClock();
    const s = sink();
    const llm = new MeteredLlm(new SimulatedLlm({ clock, ttftMs: 10, tokensPerSecond: 100 }), s);
    const chunks = await drain(llm.stream({ messages: [{ role: 'user', content: 'Hi there' }], signal: new AbortController().signal, turnId: 'turn-3' }), clock);
    const usage = chunks.find((c) => c.type === 'usage');
    expect(usage).toBeDefined();
    expect(s.items).toEqual([
      { kind: 'llm', provider: 'simulated', model: 'simulated', turnId: 'turn-3', unit: 'prompt_tokens', quantity: usage!.type === 'usage' ? usage!.promptTokens : -1 },
      { kind: 'llm', provider: 'simulated', model: 'simulated', turnId: 'turn-3', unit: 'completion_tokens', quantity: usage!.type === 'usage' ? usage!.completionTokens : -1 },
    ]);
  });

  it('bills TTS characters once per synthesis, and nothing when it failed before any audio', async () => {
    const clock = new VirtualClock();
    const s = sink();
    const tts = new MeteredTts(new SimulatedTts({ clock, ttfbMs: 10, realtimeFactor: 10 }), s, 'voice-1');
    const audio = await drain(tts.synthesize({ text: 'Hello there.', sampleRate: 16000, signal: new AbortController().signal, turnId: 'turn-1' }), clock);
    expect(audio.length).toBeGreaterThan(1);
    expect(s.items).toEqual([{ kind: 'tts', provider: 'simulated', model: 'voice-1', unit: 'characters', quantity: 12, turnId: 'turn-1' }]);

    const failing: TtsProvider = {
      name: 'broken',
      capabilities: tts.capabilities,
      synthesize: async function* () {
        yield* [];
        throw new Error('refused');
      },
    };
    const s2 = sink();
    await expect(drain(new MeteredTts(failing, s2, 'm').synthesize({ text: 'x', sampleRate: 16000, signal: new AbortController().signal }), clock)).rejects.toThrow('refused');
    expect(s2.items).toEqual([]);
  });
});

describe('tier switch', () => {
  it('sends each request to the economy provider while the budget says so', () => {
    const named = (name: string): LlmProvider => ({ name, model: `${name}-model`, stream: () => (async function* () {})() });
    let economy = false;
    const llm = new TierSwitchLlm(named('premium'), named('cheap'), () => economy);
    expect([llm.name, llm.model]).toEqual(['premium', 'premium-model']);
    economy = true;
    expect([llm.name, llm.model]).toEqual(['cheap', 'cheap-model']);

    const clock = new VirtualClock();
    const a = new SimulatedTts({ clock, ttfbMs: 0, realtimeFactor: 1 });
    const b: TtsProvider = { name: 'local', capabilities: a.capabilities, synthesize: () => (async function* () {})() };
    const tts = new TierSwitchTts(a, b, () => economy);
    expect(tts.name).toBe('local');
    economy = false;
    expect(tts.name).toBe('simulated');
  });
});
