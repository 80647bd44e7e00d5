import { it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { SimulatedLlm, SimulatedStt, SimulatedTts } from '../../src/providers/simulated/index.js';
import { Session } from '../../src/session/session.js';
import { ToolRegistry } from '../../src/tools/tool-registry.js';
import { EnergyVad } from '../../src/vad/energy-vad.js';
import { createLogger } from '../../src/log.js';
import { speak, silence } from '../helpers/speech.js';

const flush = () => new Promise<void>((r) => setImmediate(r));
it('explore', async () => {
  const clock = new VirtualClock(10_000);
  const frames: { at: number; dueAt: number }[] = [];
  const s = new Session({
    callId: 'c1', clock, log: createLogger('silent'), vad: new EnergyVad(),
    stt: new SimulatedStt({ clock, script: ['What is the weather like today', 'Stop please'], finalDelayMs: 140 }),
    llm: new SimulatedLlm({ clock, ttftMs: 300, tokensPerSecond: 50 }),
    tts: new SimulatedTts({ clock, ttfbMs: 100, realtimeFactor: 5 }),
    tools: new ToolRegistry(),
    agent: { name: 'a', systemPrompt: 'sys', greeting: null, turn: {}, vad: { threshold: 0.5, minSpeechMs: 64, minSilenceMs: 250 } },
    sampleRate: 16000,
    sendAudio: (f, dueAt) => frames.push({ at: clock.now(), dueAt }),
  });
  const ev: string[] = [];
  s.timeline.subscribe((e) => {
    if (e.type === 'llm.token') return;
    const { callId: _c, at, type, ...rest } = e;
    ev.push(`${at - 10_000} ${type} ${JSON.stringify(rest).slice(0, 160)}`);
  });
  s.start();
  const speech = speak('What is the weather like today');
  console.log('speech ms', speech.length / 16);
  const audio = new Int16Array(speech.length + 16000 * 6);
  audio.set(speech);
  for (let i = 0; i + 320 <= audio.length; i += 320) {
    clock.advance(20);
    s.pushAudio(audio.subarray(i, i + 320));
    await flush();
  }
  console.log(ev.join('\n'));
  console.log('frames', frames.length, frames[0], frames.at(-1));
  console.log(JSON.stringify(s.turns, null, 1));
  console.log(s.chatContext, s.state, clock.pendingTimers());
});
