// followFlow on a real Session with a flow agent, on a virtual clock: an end node ends the call; a
// hand-off node hands the caller over when a hand-over is given (a phone call with a transfer
// target), and ends the call when there is none or when the hand-over fails.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { followFlow, type FlowFollowOptions } from '../../src/flows/flow-follower.js';
import { FlowLlm, parseFlow } from '../../src/flows/index.js';
import { createLogger } from '../../src/log.js';
import { SimulatedStt, SimulatedTts } from '../../src/providers/simulated/index.js';
import { Session } from '../../src/session/session.js';
import type { TimelineEvent } from '../../src/session/timeline.js';
import { ToolRegistry } from '../../src/tools/tool-registry.js';
import { EnergyVad } from '../../src/vad/energy-vad.js';
import { silence } from '../helpers/speech.js';

const FLOW = `
name: desk
start: menu
intents:
  human: [a person, talk to someone]
  bye: [goodbye, that is all]
nodes:
  menu:
    say: How can I help?
    listen:
      intents:
        human: person
        bye: done
  person:
    say: Connecting you now.
    end: true
    handoff: true
  done:
    say: Goodbye.
    end: true
`;

async function run(text: string, options: FlowFollowOptions): Promise<{ ended: string | null; events: TimelineEvent[] }> {
  const clock = new VirtualClock(1000);
  const flow = new FlowLlm(parseFlow(FLOW, 'desk.yaml'), { timeZone: 'UTC' });
  const session = new Session({
    callId: 'c1',
    clock,
    log: createLogger('silent'),
    vad: new EnergyVad(),
    stt: new SimulatedStt({ clock, script: [], finalDelayMs: 100 }),
    llm: flow,
    tts: new SimulatedTts({ clock, ttfbMs: 50, realtimeFactor: 5, msPerChar: 20 }),
    tools: new ToolRegistry(),
    agent: { name: 'desk', systemPrompt: '', greeting: flow.greeting, turn: {}, vad: { threshold: 0.5, minSpeechMs: 64, minSilenceMs: 250 } },
    sampleRate: 16000,
    sendAudio: () => {},
  });
  const events: TimelineEvent[] = [];
  let ended: string | null = null;
  session.timeline.subscribe((e) => {
    events.push(e);
    if (e.type === 'call.ended') ended = e.reason;
  });
  followFlow(session, flow, clock, options);
  session.start();
  const quiet = silence(20, 16000);
  const step = async () => {
    clock.advance(20);
    session.pushAudio(quiet);
    await new Promise((r) => setImmediate(r));
  };
  for (let t = 0; t < 5000 && !events.some((e) => e.type === 'agent.audio_end'); t += 20) await step();
  session.sendText(text);
  for (let t = 0; t < 10_000 && ended === null && !events.some((e) => e.type === 'flow.state' && e.ended); t += 20) await step();
  for (let t = 0; t < 200; t += 20) await step();
  return { ended, events };
}

describe('followFlow', () => {
  it('ends the call at an end node', async () => {
    const { ended } = await run('goodbye', {});
    expect(ended).toBe('conversation finished');
  });

  it('without a hand-over, a hand-off node ends the call as handed over', async () => {
    const { ended } = await run('I want to talk to someone', {});
    expect(ended).toBe('handed over to a person');
  });

  it('with a hand-over, a hand-off node hands the caller over and leaves the call to it', async () => {
    let handedOver = 0;
    const { ended, events } = await run('I want to talk to someone', { handOver: async () => (handedOver++, true) });
    expect(handedOver).toBe(1);
    // The transfer (the line) ends the call, not the flow.
    expect(ended).toBeNull();
    expect(events.some((e) => e.type === 'flow.state' && e.handoff)).toBe(true);
  });

  it('a hand-over that fails or throws ends the call as before', async () => {
    expect((await run('talk to someone', { handOver: async () => false })).ended).toBe('handed over to a person');
    expect(
      (
        await run('talk to someone', {
          handOver: async () => {
            throw new Error('the desk is busy');
          },
        })
      ).ended,
    ).toBe('handed over to a person');
  });
});
