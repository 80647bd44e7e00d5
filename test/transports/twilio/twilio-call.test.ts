// A whole phone call through Twilio Media Streams: a real Session (simulated providers on a virtual
// clock) behind PhoneBridge and the Twilio routes on 127.0.0.1, and the simulator's Twilio stream
// client as the caller, speaking real speech (flite) on the same clock. Each 20 ms of call time,
// both sides' messages are delivered before time moves on, so times on either side compare.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock.js';
import { createLogger } from '../../../src/log.js';
import { SimulatedLlm, SimulatedStt, SimulatedTts } from '../../../src/providers/simulated/index.js';
import { Session } from '../../../src/session/session.js';
import type { TimelineEvent } from '../../../src/session/timeline.js';
import { ToolRegistry } from '../../../src/tools/tool-registry.js';
import { PhoneBridge } from '../../../src/transports/phone/phone-bridge.js';
import type { PhoneCallAcceptor, PhoneCallInfo, PhoneLeg, PhoneLegEvents } from '../../../src/transports/phone/phone-leg.js';
import type { TwilioMediaLeg } from '../../../src/transports/twilio/twilio-media-leg.js';
import { EnergyVad } from '../../../src/vad/energy-vad.js';
import { TwilioMediaStreamClient } from '../../../sim/twilio/media-stream-client.js';
import { speak } from '../../helpers/speech.js';
import { startTwilioServer, until, type TwilioTestServer } from './twilio-harness.js';

const TOKEN = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const SESSION_RATE = 16000;
const QUESTION = 'What is the weather like today';
const STOP = 'Stop please';
const GREETING = 'Hello, thanks for calling.';

/** Starts a real Session for each call, the way the composition root does. */
class SessionAcceptor implements PhoneCallAcceptor {
  session: Session | null = null;
  leg: TwilioMediaLeg | null = null;
  info: PhoneCallInfo | null = null;
  readonly events: TimelineEvent[] = [];

  constructor(private readonly clock: VirtualClock) {}

  async accept(info: PhoneCallInfo, leg: PhoneLeg): Promise<{ callId: string; events: PhoneLegEvents }> {
    const clock = this.clock;
    const log = createLogger('silent');
    const bridge = new PhoneBridge(leg, { sessionSampleRate: SESSION_RATE, log });
    const session = new Session({
      callId: 'twilio-call-1',
      clock,
      log,
      vad: new EnergyVad(),
      stt: new SimulatedStt({ clock, script: [QUESTION, STOP], finalDelayMs: 140 }),
      llm: new SimulatedLlm({ clock, ttftMs: 300, tokensPerSecond: 50 }),
      tts: new SimulatedTts({ clock, ttfbMs: 100, realtimeFactor: 5, msPerChar: 60 }),
      tools: new ToolRegistry(),
      agent: {
        name: 'assistant',
        systemPrompt: 'Be brief.',
        greeting: GREETING,
        turn: { debounceOverrideMs: 400, speculativeHoldMs: 200, minInterruptionMs: 60 },
        vad: { threshold: 0.5, minSpeechMs: 64, minSilenceMs: 250 },
      },
      sampleRate: SESSION_RATE,
      sendAudio: bridge.sendAudio,
      unplayedMs: () => leg.unplayedMs(),
    });
    session.timeline.subscribe((e) => this.events.push(e));
    this.session = session;
    this.leg = leg as TwilioMediaLeg;
    this.info = info;
    const events = bridge.attach(session);
    session.start({ inputSampleRate: 8000, outputSampleRate: 8000 });
    return { callId: 'twilio-call-1', events };
  }

  of<T extends TimelineEvent['type']>(type: T): Extract<TimelineEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<TimelineEvent, { type: T }> => e.type === type);
  }
}

let question: Int16Array;
let stop: Int16Array;
beforeAll(() => {
  question = speak(QUESTION, 'flite', 8000);
  stop = speak(STOP, 'flite', 8000);
});

let server: TwilioTestServer | null = null;
afterAll(async () => {
  await server?.close();
});

describe('a Twilio call with an agent', () => {
  it('greets, hears the caller, takes keys, is barged in on with an immediate clear, and ends when the caller hangs up', async () => {
    const clock = new VirtualClock(10_000);
    const acceptor = new SessionAcceptor(clock);
    server = await startTwilioServer({ acceptor, clock, authToken: TOKEN });
    const caller = new TwilioMediaStreamClient({
      url: `${server.wsUrl}/twilio/media`,
      authToken: TOKEN,
      clock,
      customParameters: { callSid: 'CA-param', from: '+15551230000', to: '+15559870000', direction: 'inbound' },
    });
    await caller.connect();
    await until(() => acceptor.leg !== null, 'the call accepted');
    const leg = acceptor.leg!;

    /** Waits until every message either side sent has arrived and nothing new is being sent. */
    const settle = async () => {
      let last = '';
      let stable = 0;
      const started = performance.now();
      while (stable < 3) {
        await new Promise((resolve) => setImmediate(resolve));
        const key = `${leg.stats.messagesIn}/${caller.counts.messagesOut} ${caller.counts.messagesIn}/${leg.stats.messagesOut}`;
        const delivered = leg.stats.messagesIn === caller.counts.messagesOut && caller.counts.messagesIn === leg.stats.messagesOut;
        stable = delivered && key === last ? stable + 1 : 0;
        last = key;
        if (performance.now() - started > 5000) throw new Error(`messages not delivered: ${key}`);
      }
    };
    const stepUntil = async (done: () => boolean, what: string, maxMs = 20_000) => {
      for (let t = 0; !done(); t += 20) {
        if (t > maxMs) throw new Error(`${what}: not within ${maxMs} ms of call time`);
        clock.advance(20);
        await settle();
      }
    };
    const idle = (ms: number) => {
      const end = clock.now() + ms;
      return stepUntil(() => clock.now() >= end, 'idle');
    };
    await settle();
    expect(acceptor.info).toMatchObject({ transport: 'twilio', direction: 'inbound', from: '+15551230000', to: '+15559870000', externalId: caller.callSid });

    // The greeting: agent audio arrives as media, with marks the caller's playout returns.
    await stepUntil(() => acceptor.of('agent.audio_end').length === 1, 'greeting spoken');
    await idle(300);
    const greetingFrames = caller.counts.mediaIn;
    expect(greetingFrames).toBe(GREETING.length * 3);
    expect(Math.max(...caller.heard().map(Math.abs))).toBeGreaterThan(2000);
    expect(leg.stats.marksOut).toBeGreaterThanOrEqual(greetingFrames / 5);
    expect(leg.stats.marksIn).toBe(leg.stats.marksOut);
    expect(leg.unplayedMs()).toBe(0);

    // The caller asks; the agent answers.
    caller.play(question);
    await stepUntil(() => acceptor.of('agent.audio_start').length === 2, 'the reply starts');
    expect(acceptor.of('stt.final').map((e) => e.text)).toEqual([QUESTION]);

    // The caller talks over the reply: Parley clears Twilio's buffer in the same 20 ms.
    await idle(600);
    expect(acceptor.session!.state).toBe('SPEAKING');
    const reply = acceptor.of('agent.audio_start')[1];
    caller.play(stop);
    await stepUntil(() => acceptor.of('agent.audio_end').some((e) => e.interrupted), 'barge-in');
    const cut = acceptor.of('agent.audio_end').find((e) => e.interrupted)!;
    expect(cut.turnId).toBe(reply.turnId);
    await stepUntil(() => acceptor.session!.turns.length === 3, 'the second reply done');
    await idle(300);

    const clears = caller.events.filter((e) => e.type === 'clear');
    expect(clears).toHaveLength(1);
    expect(leg.stats.clears).toBe(1);
    expect(clears[0].at - cut.at).toBeGreaterThanOrEqual(0);
    expect(clears[0].at - cut.at).toBeLessThanOrEqual(20);
    // Not a frame of the cut reply after the clear: the next media is the next reply's.
    const clearIndex = caller.events.indexOf(clears[0]);
    const nextStart = acceptor.of('agent.audio_start')[2];
    const nextMedia = caller.events.slice(clearIndex + 1).find((e) => e.type === 'media')!;
    expect(nextMedia.at).toBe(nextStart.at);
    // What the caller heard of the cut reply is what was sent minus what Twilio still held.
    const replyFrames = caller.events.slice(0, clearIndex).filter((e) => e.type === 'media' && e.at >= reply.at).length;
    expect(cut.playedMs).toBeLessThanOrEqual(replyFrames * 20);
    expect(cut.playedMs).toBeGreaterThanOrEqual(replyFrames * 20 - 140);
    expect(acceptor.session!.turns[1]).toMatchObject({ userText: QUESTION, outcome: 'interrupted' });
    expect(acceptor.session!.turns[2]).toMatchObject({ userText: STOP, outcome: 'completed' });

    // Keys pressed on the phone reach the session's timeline, in order.
    caller.pressDigit('4');
    await idle(100);
    caller.pressDigit('2');
    caller.pressDigit('#');
    await idle(100);
    expect(acceptor.of('dtmf').map((e) => e.digit)).toEqual(['4', '2', '#']);
    expect(leg.stats.dtmfIn).toBe(3);

    // The caller hangs up: the session ends with the line.
    await caller.hangup();
    await until(() => acceptor.session!.hasEnded, 'session ended');
    expect(acceptor.of('call.ended')[0].reason).toBe('caller hung up');
    expect(caller.counts.invalidIn).toBe(0);
    expect(leg.stats.ignored).toBe(0);
  });
});
