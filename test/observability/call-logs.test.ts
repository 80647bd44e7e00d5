// The structured log of one real call: a Session on a virtual clock, logging through a child
// carrying call_id as main.ts builds it, through a spoken turn, a barge-in, a reply whose speech
// fails and a reply whose language model fails. Every line must name its call; every line about
// a turn must name the turn (turn_id).
import { beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { createLogger } from '../../src/log.js';
import { SimulatedLlm, SimulatedStt, SimulatedTts } from '../../src/providers/simulated/index.js';
import type { LlmChunk, LlmProvider, LlmRequest, TtsAudio, TtsProvider, TtsRequest } from '../../src/providers/types.js';
import { Session } from '../../src/session/session.js';
import type { TimelineEvent } from '../../src/session/timeline.js';
import { ToolRegistry } from '../../src/tools/tool-registry.js';
import { EnergyVad } from '../../src/vad/energy-vad.js';
import { silence, speak } from '../helpers/speech.js';

const RATE = 16000;
const FRAME = 320;
const CALL_ID = 'call-logs-1';
const QUESTION = 'What is the weather like today';
const STOP = 'Stop please';

type LogLine = Record<string, unknown> & { msg?: string };

/** Lines that are about one turn, by message; 'turn state' counts when a reply is in play. */
const TURN_MESSAGES = new Set(['turn ended', 'llm failed', 'tts failed; reply chunk sent as text', 'tts chunk failed', 'turn failed']);
const REPLY_STATES = new Set(['SPECULATIVE', 'COMMITTED', 'SPEAKING']);

/**
 * Lines about a turn that do not carry turn_id yet, in the order this call logs them. The fix is
 * outside this test (docs/observability.md, "Log fields", lists it): the turn core's state change
 * must carry the turn it concerns, and its own log lines must name it turn_id. Once it is in,
 * this list is empty; a new gap or a fixed one both fail here.
 */
const KNOWN_LINES_WITHOUT_TURN_ID: string[] = [];

function isAboutATurn(line: LogLine): boolean {
  if (typeof line.msg === 'string' && TURN_MESSAGES.has(line.msg)) return true;
  if (line.msg === 'turn state') return REPLY_STATES.has(String(line.from)) || REPLY_STATES.has(String(line.to));
  if (line.msg === 'provider event') return typeof (line.provider_event as { turnId?: unknown } | undefined)?.turnId === 'string';
  return false;
}

/** A provider stream whose first read fails. */
function failingStream<T>(message: string): AsyncIterable<T> {
  return { [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error(message)) }) };
}

/** The simulated engines, made to fail on demand. */
class SwitchableLlm implements LlmProvider {
  readonly name = 'switchable';
  readonly model = 'simulated';
  failNext = false;
  constructor(private readonly inner: LlmProvider) {}
  stream(request: LlmRequest): AsyncIterable<LlmChunk> {
    if (!this.failNext) return this.inner.stream(request);
    this.failNext = false;
    return failingStream('model overloaded');
  }
}

class SwitchableTts implements TtsProvider {
  readonly name = 'switchable';
  failing = false;
  constructor(private readonly inner: TtsProvider) {}
  get capabilities() {
    return this.inner.capabilities;
  }
  synthesize(request: TtsRequest): AsyncIterable<TtsAudio> {
    if (!this.failing) return this.inner.synthesize(request);
    return failingStream('voice unavailable');
  }
}

let question: Int16Array;
let stop: Int16Array;

function wholeFrames(samples: Int16Array): Int16Array {
  const out = new Int16Array(Math.ceil(samples.length / FRAME) * FRAME);
  out.set(samples);
  return out;
}

beforeAll(() => {
  question = wholeFrames(speak(QUESTION));
  stop = wholeFrames(speak(STOP));
});

describe('call logs', () => {
  it('every line carries call_id and every line about a turn carries its turn_id', async () => {
    const lines: LogLine[] = [];
    const log = createLogger('debug', {
      write(chunk: string) {
        for (const text of chunk.split('\n')) if (text.trim()) lines.push(JSON.parse(text) as LogLine);
      },
    });
    const clock = new VirtualClock(10_000);
    const llm = new SwitchableLlm(new SimulatedLlm({ clock, ttftMs: 300, tokensPerSecond: 50 }));
    const tts = new SwitchableTts(new SimulatedTts({ clock, ttfbMs: 100, realtimeFactor: 5, msPerChar: 60 }));
    const events: TimelineEvent[] = [];
    const session = new Session({
      callId: CALL_ID,
      clock,
      log: log.child({ call_id: CALL_ID }),
      vad: new EnergyVad(),
      stt: new SimulatedStt({ clock, script: [QUESTION, STOP], finalDelayMs: 140 }),
      llm,
      tts,
      tools: new ToolRegistry(),
      agent: {
        name: 'assistant',
        systemPrompt: 'Be brief.',
        greeting: null,
        turn: { debounceOverrideMs: 400, speculativeHoldMs: 200, minInterruptionMs: 60 },
        vad: { threshold: 0.5, minSpeechMs: 64, minSilenceMs: 250 },
      },
      sampleRate: RATE,
      sendAudio: () => {},
    });
    session.timeline.subscribe((e) => events.push(e));
    const quiet = silence(20, RATE);
    const step = async (frame: Int16Array = quiet): Promise<void> => {
      clock.advance(20);
      session.pushAudio(frame);
      await new Promise((resolve) => setImmediate(resolve));
    };
    const say = async (samples: Int16Array): Promise<void> => {
      for (let i = 0; i < samples.length; i += FRAME) await step(samples.subarray(i, i + FRAME));
    };
    const idleUntil = async (done: () => boolean, maxMs = 20_000): Promise<void> => {
      for (let t = 0; !done(); t += 20) {
        if (t > maxMs) throw new Error(`condition not met within ${maxMs} ms of call time`);
        await step();
      }
    };
    const count = (type: TimelineEvent['type']) => events.filter((e) => e.type === type).length;

    session.start();
    // A spoken question, cut short by the caller (barge-in), then the answer to the second words.
    await say(question);
    await idleUntil(() => count('agent.audio_start') === 1);
    await idleUntil(() => clock.now() > events.find((e) => e.type === 'agent.audio_start')!.at + 900);
    await say(stop);
    await idleUntil(() => session.turns.length === 2 && session.state === 'IDLE');
    // A typed message whose speech fails: the words go out as text.
    tts.failing = true;
    session.sendText('Tell me a story');
    await idleUntil(() => session.turns.length === 3 && session.state === 'IDLE');
    tts.failing = false;
    // A typed message whose language model fails.
    llm.failNext = true;
    session.sendText('And another one');
    await idleUntil(() => session.turns.length === 4 && session.state === 'IDLE');
    session.end('client ended the session');

    // The call went as planned, so the log below covers each of these paths.
    expect(session.turns.map((t) => t.outcome)).toEqual(['interrupted', 'completed', 'completed', 'failed']);
    expect(events.some((e) => e.type === 'agent.audio_end' && e.interrupted)).toBe(true);
    expect(count('agent.text_fallback')).toBeGreaterThan(0);

    expect(lines.length).toBeGreaterThan(10);
    const withoutCall = lines.filter((l) => l.call_id !== CALL_ID);
    expect(withoutCall).toEqual([]);

    const turnIds = new Set(session.turns.map((t) => t.turnId));
    const aboutTurns = lines.filter(isAboutATurn);
    const messages = new Set(aboutTurns.map((l) => l.msg));
    for (const msg of ['turn ended', 'turn state', 'llm failed', 'tts failed; reply chunk sent as text', 'tts chunk failed', 'turn failed']) {
      expect(messages, `a "${msg}" line was logged`).toContain(msg);
    }
    // The lines that name a turn name the right one.
    const turnOf = (msg: string) => lines.filter((l) => l.msg === msg).map((l) => l.turn_id);
    const ids = session.turns.map((t) => t.turnId);
    expect(turnOf('turn ended')).toEqual(ids);
    expect(turnOf('tts failed; reply chunk sent as text').every((id) => id === ids[2])).toBe(true);
    expect(turnOf('llm failed')).toEqual([ids[3]]);
    const withoutTurn = aboutTurns
      .filter((l) => typeof l.turn_id !== 'string' || !turnIds.has(l.turn_id))
      .map((l) => `${l.msg}${l.msg === 'turn state' ? ` ${String(l.from)}->${String(l.to)}` : ''}`);
    expect(withoutTurn).toEqual(KNOWN_LINES_WITHOUT_TURN_ID);
  });
});
