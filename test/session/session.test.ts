// The whole Session on a virtual clock: real speech in, frame by frame in real time, simulated
// providers on the same clock, and the timeline, the turn records and the paced audio out checked.
import { beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { createLogger } from '../../src/log.js';
import { SimulatedLlm, SimulatedStt, SimulatedTts } from '../../src/providers/simulated/index.js';
import type { ChatMessage, LlmChunk, LlmProvider, LlmRequest } from '../../src/providers/types.js';
import { Session } from '../../src/session/session.js';
import type { TimelineEvent } from '../../src/session/timeline.js';
import { ToolRegistry } from '../../src/tools/tool-registry.js';
import { EnergyVad } from '../../src/vad/energy-vad.js';
import { silence, speak } from '../helpers/speech.js';

const RATE = 16000;
const FRAME = 320;
const T0 = 10_000;
const STT_FINAL_DELAY = 140;
const LLM_TTFT = 300;
const LLM_TOKENS_PER_SECOND = 50;
const TTS_TTFB = 100;
const DEBOUNCE = 400;
const SPECULATIVE_HOLD = 200;
/** The simulated TTS speaks every character (spaces included) for 60 ms: three 20 ms frames. */
const TTS_MS_PER_CHAR = 60;

const QUESTION = 'What is the weather like today';
const STOP = 'Stop please';

let question: Int16Array;
let stop: Int16Array;

beforeAll(() => {
  question = wholeFrames(speak(QUESTION));
  stop = wholeFrames(speak(STOP));
});

function wholeFrames(samples: Int16Array): Int16Array {
  const out = new Int16Array(Math.ceil(samples.length / FRAME) * FRAME);
  out.set(samples);
  return out;
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Keeps what the LLM was asked, so a test can see the context a reply was based on. */
class RecordingLlm implements LlmProvider {
  readonly name = 'recording';
  readonly model = 'recording';
  readonly requests: ChatMessage[][] = [];
  constructor(private readonly inner: LlmProvider) {}
  stream(request: LlmRequest): AsyncIterable<LlmChunk> {
    this.requests.push(structuredClone(request.messages));
    return this.inner.stream(request);
  }
}

type SentFrame = { at: number; dueAt: number; frame: Int16Array };

/** One call, driven like a microphone: every 20 ms of clock, one 20 ms frame of caller audio. */
class Call {
  readonly clock = new VirtualClock(T0);
  readonly frames: SentFrame[] = [];
  readonly events: TimelineEvent[] = [];
  readonly llm: RecordingLlm;
  readonly session: Session;
  private readonly quiet = silence(20, RATE);

  constructor(options: { greeting?: string | null; script?: string[] } = {}) {
    const clock = this.clock;
    this.llm = new RecordingLlm(new SimulatedLlm({ clock, ttftMs: LLM_TTFT, tokensPerSecond: LLM_TOKENS_PER_SECOND }));
    this.session = new Session({
      callId: 'call-1',
      clock,
      log: createLogger('silent'),
      vad: new EnergyVad(),
      stt: new SimulatedStt({ clock, script: options.script ?? [QUESTION, STOP], finalDelayMs: STT_FINAL_DELAY }),
      llm: this.llm,
      tts: new SimulatedTts({ clock, ttfbMs: TTS_TTFB, realtimeFactor: 5, msPerChar: TTS_MS_PER_CHAR }),
      tools: new ToolRegistry(),
      agent: {
        name: 'assistant',
        systemPrompt: 'Be brief.',
        greeting: options.greeting ?? null,
        turn: { debounceOverrideMs: DEBOUNCE, speculativeHoldMs: SPECULATIVE_HOLD, minInterruptionMs: 60 },
        vad: { threshold: 0.5, minSpeechMs: 64, minSilenceMs: 250 },
      },
      sampleRate: RATE,
      sendAudio: (frame, dueAt) => this.frames.push({ at: clock.now(), dueAt, frame }),
    });
    this.session.timeline.subscribe((e) => this.events.push(e));
  }

  /** 20 ms pass; the frame the caller spoke in them arrives; async work catches up. */
  async step(frame: Int16Array = this.quiet): Promise<void> {
    this.clock.advance(20);
    this.session.pushAudio(frame);
    await flush();
  }

  async say(samples: Int16Array): Promise<void> {
    for (let i = 0; i < samples.length; i += FRAME) await this.step(samples.subarray(i, i + FRAME));
  }

  async idle(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += 20) await this.step();
  }

  /** Silence until `done()` holds; fails rather than spinning forever. */
  async idleUntil(done: () => boolean, maxMs = 20_000): Promise<void> {
    for (let t = 0; !done(); t += 20) {
      if (t > maxMs) throw new Error(`condition not met within ${maxMs} ms of call time`);
      await this.step();
    }
  }

  of<T extends TimelineEvent['type']>(type: T): Extract<TimelineEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<TimelineEvent, { type: T }> => e.type === type);
  }

  first<T extends TimelineEvent['type']>(type: T, where: (e: Extract<TimelineEvent, { type: T }>) => boolean = () => true) {
    const found = this.of(type).find(where);
    if (!found) throw new Error(`no ${type} event`);
    return found;
  }

  /** The turn-level story of the call, without per-token and per-partial detail. */
  milestones(): string[] {
    const out: string[] = [];
    for (const e of this.events) {
      if (e.type === 'turn.state') out.push(`state ${e.from}->${e.to}`);
      else if (e.type === 'tts.start') out.push(`tts.start ${e.chunkId}`);
      else if (e.type === 'agent.audio_end') out.push(`agent.audio_end${e.interrupted ? ' interrupted' : ''}`);
      else if (e.type === 'turn.completed') out.push(`turn.completed ${e.turn.outcome}`);
      else if (!['llm.token', 'agent.text', 'stt.partial', 'llm.usage'].includes(e.type)) out.push(e.type);
    }
    return out;
  }

  /** Total agent audio the simulated TTS makes for a turn, from the chunks it was asked to speak. */
  speechMsOf(turnId: string): number {
    const chars = this.of('tts.start')
      .filter((e) => e.turnId === turnId)
      .reduce((n, e) => n + e.text.trim().replace(/\s+/g, ' ').length, 0);
    return chars * TTS_MS_PER_CHAR;
  }
}

/** Words of `text` a listener heard after `playedMs`: a word counts once half of it was played. */
function wordsHeard(text: string, playedMs: number): string {
  const heard: string[] = [];
  for (const m of text.matchAll(/\S+/g)) {
    const middleMs = (m.index + m[0].length / 2) * TTS_MS_PER_CHAR;
    if (playedMs >= middleMs) heard.push(m[0]);
  }
  return heard.join(' ');
}

function expectPacedFrames(frames: SentFrame[]): void {
  for (let i = 0; i < frames.length; i++) {
    expect(frames[i].at).toBe(frames[i].dueAt);
    expect(frames[i].frame.length).toBe(FRAME);
    if (i > 0) expect(frames[i].at - frames[i - 1].at).toBe(20);
  }
}

describe('Session: one spoken turn', () => {
  it('goes LISTENING -> SPECULATIVE -> COMMITTED -> SPEAKING -> IDLE with the expected timeline', async () => {
    const call = new Call();
    call.session.start();
    await call.say(question);
    await call.idleUntil(() => call.session.turns.length === 1);
    await call.idle(200);

    expect(call.milestones()).toEqual([
      'call.started',
      'vad.speech_start',
      'state IDLE->LISTENING',
      'vad.speech_end',
      'stt.final',
      'state LISTENING->SPECULATIVE',
      'llm.start',
      'state SPECULATIVE->COMMITTED',
      'tts.start 0',
      'agent.audio_start',
      'state COMMITTED->SPEAKING',
      'tts.start 1',
      'agent.audio_end',
      'turn.completed completed',
      'state SPEAKING->IDLE',
    ]);
    expect(call.first('stt.final').text).toBe(QUESTION);
    expect(call.session.state).toBe('IDLE');

    // Times on the virtual clock follow from the configured delays exactly.
    const speechEnd = call.first('vad.speech_end');
    const decided = speechEnd.at;
    expect(decided % 20).toBe(0);
    expect(call.first('stt.final').at).toBe(decided + STT_FINAL_DELAY); // the VAD end asked the STT to finalize
    const llmStart = call.first('llm.start');
    expect(llmStart.at).toBe(decided + DEBOUNCE);
    expect(call.first('turn.state', (e) => e.to === 'COMMITTED').at).toBe(llmStart.at + SPECULATIVE_HOLD);
    const firstToken = call.first('llm.token');
    expect(firstToken.at).toBe(llmStart.at + LLM_TTFT);
    const ttsStart = call.first('tts.start');
    const audioStart = call.first('agent.audio_start');
    expect(audioStart.at).toBe(ttsStart.at + TTS_TTFB);
    expect(call.first('turn.state', (e) => e.to === 'SPEAKING').at).toBe(audioStart.at);

    // The reply is spoken whole, paced at 20 ms, starting when the first audio was ready.
    const turnId = llmStart.turnId;
    const replyMs = call.speechMsOf(turnId);
    expect(call.frames).toHaveLength(replyMs / 20);
    expect(call.frames[0].at).toBe(audioStart.at);
    expectPacedFrames(call.frames);
    const audioEnd = call.first('agent.audio_end');
    expect(audioEnd).toMatchObject({ turnId, interrupted: false, playedMs: replyMs });
    expect(audioEnd.at).toBe(audioStart.at + replyMs);

    const turn = call.session.turns[0];
    const reply = `You said: "${QUESTION}". That is interesting. Tell me more.`;
    expect(turn).toMatchObject({ turnId, userText: QUESTION, agentText: reply, heardText: reply, interrupted: false, outcome: 'completed' });
    expect(call.first('turn.completed').turn).toBe(turn);
    expect(turn.marks).toMatchObject({
      speechEndAt: speechEnd.endAt,
      speechEndDetectedAt: decided,
      sttFinalAt: decided + STT_FINAL_DELAY,
      llmStartAt: llmStart.at,
      llmFirstTokenAt: firstToken.at,
      committedAt: llmStart.at + SPECULATIVE_HOLD,
      firstChunkAt: ttsStart.at,
      ttsRequestAt: ttsStart.at,
      ttsFirstAudioAt: audioStart.at,
      firstAudioSentAt: audioStart.at,
      endedAt: audioEnd.at,
    });
    expect(turn.latencies).toEqual({
      sttFinalDelayMs: decided + STT_FINAL_DELAY - speechEnd.endAt,
      endOfUtteranceDelayMs: llmStart.at - speechEnd.endAt,
      llmTtftMs: LLM_TTFT,
      ttsTtfbMs: TTS_TTFB,
      voiceToVoiceMs: audioStart.at - speechEnd.endAt,
    });
    // Caller audio arrived in real time, so audio time maps one to one onto the clock.
    expect(speechEnd.endAt).toBeGreaterThan(call.first('vad.speech_start').onsetAt);
    expect(decided - speechEnd.endAt).toBeGreaterThanOrEqual(250);
    expect(decided - speechEnd.endAt).toBeLessThan(250 + 20 * 2);

    expect(call.session.chatContext).toEqual([
      { role: 'user', content: QUESTION },
      { role: 'assistant', content: reply },
    ]);
    expect(call.llm.requests).toEqual([
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: QUESTION },
      ],
    ]);
    // Idle means idle: no timer of the turn, the providers or the playout is left behind.
    expect(call.clock.pendingTimers()).toBe(0);
  });

  it('replays exactly: the same audio gives the same timeline at the same instants', async () => {
    const run = async () => {
      const call = new Call();
      call.session.start();
      await call.say(question);
      await call.idleUntil(() => call.session.turns.length === 1);
      return { events: call.events.map((e) => JSON.stringify(e)), frames: call.frames.map((f) => f.at) };
    };
    const a = await run();
    const b = await run();
    expect(b.events).toEqual(a.events);
    expect(b.frames).toEqual(a.frames);
  });
});

describe('Session: greeting', () => {
  it('speaks the greeting as a committed turn when the call starts', async () => {
    const greeting = 'Hello! I am Parley. How can I help?';
    const call = new Call({ greeting });
    call.session.start();
    expect(call.session.state).toBe('COMMITTED');
    await call.idleUntil(() => call.session.turns.length === 1);
    await call.idle(100);

    expect(call.milestones().filter((m) => !m.startsWith('tts.start'))).toEqual([
      'call.started',
      'state IDLE->COMMITTED',
      'agent.audio_start',
      'state COMMITTED->SPEAKING',
      'agent.audio_end',
      'turn.completed completed',
      'state SPEAKING->IDLE',
    ]);
    expect(call.first('turn.state').reason).toBe('greeting');
    expect(call.of('tts.start').map((e) => e.text).join(' ')).toBe(greeting);
    expect(call.first('tts.start').at).toBe(T0);
    expect(call.first('agent.audio_start').at).toBe(T0 + TTS_TTFB);
    // Each chunk is synthesized on its own: the space between two chunks is not spoken.
    const ms = call.speechMsOf(call.first('tts.start').turnId);
    expect(ms).toBe((greeting.length - (call.of('tts.start').length - 1)) * TTS_MS_PER_CHAR);
    expect(call.frames).toHaveLength(ms / 20);
    expectPacedFrames(call.frames);
    expect(call.first('agent.audio_end')).toMatchObject({ interrupted: false, playedMs: ms, at: T0 + TTS_TTFB + ms });

    const turn = call.session.turns[0];
    expect(turn).toMatchObject({ userText: '', agentText: greeting, heardText: greeting, outcome: 'completed' });
    expect(turn.latencies).toMatchObject({ llmTtftMs: null, ttsTtfbMs: TTS_TTFB, voiceToVoiceMs: null });
    expect(call.llm.requests).toEqual([]);
    expect(call.session.chatContext).toEqual([{ role: 'assistant', content: greeting }]);
  });
});

describe('Session: barge-in', () => {
  it('stops the agent at once and keeps only the words the caller heard', async () => {
    const call = new Call();
    call.session.start();
    await call.say(question);
    await call.idleUntil(() => call.of('agent.audio_start').length === 1);
    await call.idle(900);
    expect(call.session.state).toBe('SPEAKING');
    const firstReply = call.first('llm.start').turnId;

    await call.say(stop);
    await call.idleUntil(() => call.session.turns.length === 2);
    await call.idle(200);

    const cut = call.first('agent.audio_end');
    expect(cut.turnId).toBe(firstReply);
    expect(cut.interrupted).toBe(true);
    // The caller's speech started after the first frame of the reply and before it was over.
    const secondOnset = call.of('vad.speech_start')[1];
    expect(cut.at).toBeGreaterThan(secondOnset.onsetAt);
    expect(cut.at - secondOnset.onsetAt).toBeLessThanOrEqual(64 + 40);

    // Not a frame of the first reply after the cut: the next one is the second reply's first.
    const framesBefore = call.frames.filter((f) => f.at <= cut.at);
    expect(framesBefore).toHaveLength(cut.playedMs / 20);
    const secondStart = call.of('agent.audio_start')[1];
    expect(secondStart.turnId).not.toBe(firstReply);
    const next = call.frames[framesBefore.length];
    expect(next.at).toBe(secondStart.at);

    const [first, second] = call.session.turns;
    expect(first.outcome).toBe('interrupted');
    expect(first.interrupted).toBe(true);
    const replyWords = first.agentText.split(' ');
    const heardWords = first.heardText.split(' ');
    expect(heardWords.length).toBeGreaterThan(0);
    expect(heardWords.length).toBeLessThan(replyWords.length);
    expect(replyWords.slice(0, heardWords.length)).toEqual(heardWords);
    const firstChunk = call.first('tts.start', (e) => e.turnId === firstReply && e.chunkId === 0).text;
    expect(cut.playedMs).toBeLessThan(firstChunk.length * TTS_MS_PER_CHAR);
    expect(first.heardText).toBe(wordsHeard(firstChunk, cut.playedMs));

    expect(second).toMatchObject({ userText: STOP, outcome: 'completed' });
    // The second reply was asked for with only the heard words of the first in the context.
    expect(call.llm.requests[1]).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: QUESTION },
      { role: 'assistant', content: first.heardText },
      { role: 'user', content: STOP },
    ]);
    expect(call.session.chatContext).toEqual([
      { role: 'user', content: QUESTION },
      { role: 'assistant', content: first.heardText },
      { role: 'user', content: STOP },
      { role: 'assistant', content: second.heardText },
    ]);

    expect(call.milestones()).toEqual([
      'call.started',
      'vad.speech_start',
      'state IDLE->LISTENING',
      'vad.speech_end',
      'stt.final',
      'state LISTENING->SPECULATIVE',
      'llm.start',
      'state SPECULATIVE->COMMITTED',
      'tts.start 0',
      'agent.audio_start',
      'state COMMITTED->SPEAKING',
      'tts.start 1',
      // barge-in
      'vad.speech_start',
      'llm.cancel',
      'state SPEAKING->LISTENING',
      'agent.audio_end interrupted',
      'turn.completed interrupted',
      'vad.speech_end',
      'stt.final',
      'state LISTENING->SPECULATIVE',
      'llm.start',
      'state SPECULATIVE->COMMITTED',
      'tts.start 0',
      'agent.audio_start',
      'state COMMITTED->SPEAKING',
      'tts.start 1',
      'agent.audio_end',
      'turn.completed completed',
      'state SPEAKING->IDLE',
    ]);
  });
});

describe('Session: typed input', () => {
  it('answers a typed message as a committed turn, without speech timings', async () => {
    const call = new Call();
    call.session.start();
    await call.idle(100);
    const typedAt = call.clock.now();
    call.session.sendText('  Tell me a joke ');
    expect(call.session.state).toBe('COMMITTED');
    await call.idleUntil(() => call.session.turns.length === 1);
    await call.idle(100);

    expect(call.milestones().filter((m) => !m.startsWith('tts.start'))).toEqual([
      'call.started',
      'stt.final',
      'state IDLE->COMMITTED',
      'llm.start',
      'agent.audio_start',
      'state COMMITTED->SPEAKING',
      'agent.audio_end',
      'turn.completed completed',
      'state SPEAKING->IDLE',
    ]);
    expect(call.first('stt.final')).toMatchObject({ text: 'Tell me a joke', confidence: 1 });
    expect(call.first('llm.start').at).toBe(typedAt);
    expect(call.first('llm.token').at).toBe(typedAt + LLM_TTFT);

    const turn = call.session.turns[0];
    const reply = 'You said: "Tell me a joke". That is interesting. Tell me more.';
    expect(turn).toMatchObject({ userText: 'Tell me a joke', agentText: reply, heardText: reply, outcome: 'completed' });
    expect(turn.marks.committedAt).toBe(typedAt);
    expect(turn.latencies).toEqual({
      sttFinalDelayMs: null,
      endOfUtteranceDelayMs: null,
      llmTtftMs: LLM_TTFT,
      ttsTtfbMs: TTS_TTFB,
      voiceToVoiceMs: null,
    });
    expect(call.frames).toHaveLength(call.speechMsOf(turn.turnId) / 20);
    expectPacedFrames(call.frames);
    expect(call.session.chatContext).toEqual([
      { role: 'user', content: 'Tell me a joke' },
      { role: 'assistant', content: reply },
    ]);
  });

  it('typing over the agent interrupts it and answers the typed words', async () => {
    const call = new Call({ greeting: 'Hello! I am Parley. How can I help you today?' });
    call.session.start();
    await call.idle(600);
    expect(call.session.state).toBe('SPEAKING');
    // Greeting audio went out at +100, +120, ..., +600: 26 frames.
    expect(call.frames).toHaveLength(26);
    call.session.sendText('Book a table');
    expect(call.first('agent.audio_end')).toMatchObject({ interrupted: true, playedMs: 520 });
    await call.idleUntil(() => call.session.turns.length === 2);
    const [greeting, typed] = call.session.turns;
    expect(greeting.outcome).toBe('interrupted');
    const firstChunk = call.first('tts.start').text;
    expect(firstChunk.length * TTS_MS_PER_CHAR).toBeGreaterThan(520);
    expect(greeting.heardText).toBe(wordsHeard(firstChunk, 520));
    expect(greeting.heardText).toBe('Hello! I');
    expect(typed).toMatchObject({ userText: 'Book a table', outcome: 'completed' });
    expect(call.session.chatContext).toEqual([
      { role: 'assistant', content: 'Hello! I' },
      { role: 'user', content: 'Book a table' },
      { role: 'assistant', content: typed.heardText },
    ]);
    // The reply to the typed words must be based on that same context, heard greeting words included.
    expect(call.llm.requests[0].slice(1)).toEqual([
      { role: 'assistant', content: 'Hello! I' },
      { role: 'user', content: 'Book a table' },
    ]);
  });
});

describe('Session: end()', () => {
  it('stops all output and timers at once, and ignores everything after', async () => {
    const call = new Call();
    call.session.start();
    await call.idle(40);
    call.session.sendText('Tell me a story');
    await call.idleUntil(() => call.of('agent.audio_start').length === 1);
    await call.idle(300);
    const sent = call.frames.length;
    expect(sent).toBeGreaterThan(0);

    call.session.end('caller hung up');
    expect(call.session.hasEnded).toBe(true);
    const last = call.events[call.events.length - 1];
    expect(last).toMatchObject({ type: 'call.ended', reason: 'caller hung up' });
    const eventsAtEnd = call.events.length;

    await flush();
    expect(call.clock.pendingTimers()).toBe(0);
    await call.say(question);
    call.session.sendText('Are you there?');
    call.session.interrupt();
    await call.idle(3000);

    expect(call.frames).toHaveLength(sent);
    expect(call.events).toHaveLength(eventsAtEnd);
    expect(call.clock.pendingTimers()).toBe(0);
    call.session.end('again');
    expect(call.events).toHaveLength(eventsAtEnd);
  });
});
