// Keypad input and call control on a whole Session, on a virtual clock with simulated providers:
// DTMF on the timeline and as a caller turn, the end of a call after the goodbye was heard, the
// wait for an announcement before a transfer, and a phone line's unplayed audio at a barge-in.
import { describe, expect, it } from 'vitest';
import { CallControls } from '../../src/calls/call-control.js';
import { VirtualClock } from '../../src/clock.js';
import { createLogger } from '../../src/log.js';
import { SimulatedLlm, SimulatedStt, SimulatedTts, type LlmScriptStep } from '../../src/providers/simulated/index.js';
import type { ChatMessage } from '../../src/providers/types.js';
import { Session } from '../../src/session/session.js';
import type { TimelineEvent } from '../../src/session/timeline.js';
import { callControlTools } from '../../src/tools/call-control-tools.js';
import { ToolRegistry } from '../../src/tools/tool-registry.js';
import { EnergyVad } from '../../src/vad/energy-vad.js';
import { silence } from '../helpers/speech.js';

const RATE = 16000;
const T0 = 10_000;
const LLM_TTFT = 300;
const TTS_TTFB = 100;
/** The simulated TTS speaks every character for 60 ms: three 20 ms frames. */
const TTS_MS_PER_CHAR = 60;
const GREETING = 'Hello! I am Parley. How can I help you today?';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

type CallOptions = {
  greeting?: string | null;
  respond?: (messages: ChatMessage[]) => LlmScriptStep[];
  tools?: ToolRegistry;
  unplayedMs?: () => number;
  dtmfTimeoutMs?: number;
};

class Call {
  readonly clock = new VirtualClock(T0);
  readonly frames: { at: number }[] = [];
  readonly events: TimelineEvent[] = [];
  readonly session: Session;
  private readonly quiet = silence(20, RATE);

  constructor(options: CallOptions = {}) {
    const clock = this.clock;
    this.session = new Session({
      callId: 'call-1',
      clock,
      log: createLogger('silent'),
      vad: new EnergyVad(),
      stt: new SimulatedStt({ clock, script: [], finalDelayMs: 100 }),
      llm: new SimulatedLlm({ clock, ttftMs: LLM_TTFT, tokensPerSecond: 50, respond: options.respond }),
      tts: new SimulatedTts({ clock, ttfbMs: TTS_TTFB, realtimeFactor: 5, msPerChar: TTS_MS_PER_CHAR }),
      tools: options.tools ?? new ToolRegistry(),
      agent: {
        name: 'assistant',
        systemPrompt: 'Be brief.',
        greeting: options.greeting ?? null,
        turn: { debounceOverrideMs: 400, speculativeHoldMs: 200, minInterruptionMs: 60, ...(options.dtmfTimeoutMs ? { dtmfTimeoutMs: options.dtmfTimeoutMs } : {}) },
        vad: { threshold: 0.5, minSpeechMs: 64, minSilenceMs: 250 },
      },
      sampleRate: RATE,
      sendAudio: () => this.frames.push({ at: clock.now() }),
      ...(options.unplayedMs ? { unplayedMs: options.unplayedMs } : {}),
    });
    this.session.timeline.subscribe((e) => this.events.push(e));
  }

  async step(): Promise<void> {
    this.clock.advance(20);
    this.session.pushAudio(this.quiet);
    await flush();
  }

  async idle(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += 20) await this.step();
  }

  async idleUntil(done: () => boolean, maxMs = 20_000): Promise<void> {
    for (let t = 0; !done(); t += 20) {
      if (t > maxMs) throw new Error(`condition not met within ${maxMs} ms of call time`);
      await this.step();
    }
  }

  of<T extends TimelineEvent['type']>(type: T): Extract<TimelineEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<TimelineEvent, { type: T }> => e.type === type);
  }

  first<T extends TimelineEvent['type']>(type: T): Extract<TimelineEvent, { type: T }> {
    const found = this.of(type)[0];
    if (!found) throw new Error(`no ${type} event`);
    return found;
  }
}

/** Words of `text` heard after `playedMs` at 60 ms per character: a word counts once half of it was played. */
function wordsHeard(text: string, playedMs: number): string {
  const heard: string[] = [];
  for (const m of text.matchAll(/\S+/g)) if (playedMs >= (m.index + m[0].length / 2) * TTS_MS_PER_CHAR) heard.push(m[0]);
  return heard.join(' ');
}

describe('Session: keypad input', () => {
  it('puts every key on the timeline and answers the entry as one "[keypad]" turn', async () => {
    const call = new Call();
    call.session.start();
    await call.idle(100);
    const firstKeyAt = call.clock.now();
    call.session.dtmf('1');
    await call.idle(200);
    call.session.dtmf('2');
    const lastKeyAt = call.clock.now();
    call.session.dtmf('#');
    expect(call.of('dtmf').map((e) => [e.digit, e.at])).toEqual([
      ['1', firstKeyAt],
      ['2', lastKeyAt],
      ['#', lastKeyAt],
    ]);
    expect(call.session.state).toBe('COMMITTED');
    await call.idleUntil(() => call.session.turns.length === 1);
    const turn = call.session.turns[0];
    expect(turn).toMatchObject({ userText: '[keypad] 12', outcome: 'completed' });
    // The caller's input ended with the # key: the reply's latencies count from it.
    expect(turn.marks.speechEndAt).toBe(lastKeyAt);
    expect(turn.latencies.endOfUtteranceDelayMs).toBe(0);
    expect(turn.latencies.voiceToVoiceMs).toBe(call.first('agent.audio_start').at - lastKeyAt);
    expect(turn.latencies.sttFinalDelayMs).toBeNull();
    expect(call.session.chatContext[0]).toEqual({ role: 'user', content: '[keypad] 12' });
  });

  it('ignores what is not a keypad key, and reads a-d as A-D', async () => {
    const call = new Call({ dtmfTimeoutMs: 500 });
    call.session.start();
    for (const bad of ['', 'E', '12', '+', ' ']) call.session.dtmf(bad);
    expect(call.of('dtmf')).toHaveLength(0);
    expect(call.session.state).toBe('IDLE');
    call.session.dtmf('d');
    expect(call.of('dtmf').map((e) => e.digit)).toEqual(['D']);
    await call.idleUntil(() => call.session.turns.length === 1);
    expect(call.session.turns[0].userText).toBe('[keypad] D');
  });

  it('a key cuts the greeting like speech, and a phone line unplayed audio is not counted as heard', async () => {
    const call = new Call({ greeting: GREETING, unplayedMs: () => 100 });
    call.session.start();
    await call.idle(600);
    expect(call.session.state).toBe('SPEAKING');
    // Greeting audio went out at +100, +120, ..., +600: 26 frames, 520 ms; the line still held 100 ms.
    expect(call.frames).toHaveLength(26);
    call.session.dtmf('0');
    const cut = call.first('agent.audio_end');
    expect(cut).toMatchObject({ interrupted: true, playedMs: 420 });
    await call.idleUntil(() => call.session.turns.length === 2);
    const [greeting, keypad] = call.session.turns;
    const firstChunk = call.first('tts.start').text;
    expect(greeting.heardText).toBe(wordsHeard(firstChunk, 420));
    // 520 ms would have counted "I" (half played at 450 ms) as heard as well.
    expect(wordsHeard(firstChunk, 520)).toBe('Hello! I');
    expect(greeting.heardText).toBe('Hello!');
    expect(keypad.userText).toBe('[keypad] 0');
    expect(call.session.chatContext.slice(0, 2)).toEqual([
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: '[keypad] 0' },
    ]);
  });

  it('never counts less than nothing as heard', async () => {
    const call = new Call({ greeting: GREETING, unplayedMs: () => 10_000 });
    call.session.start();
    await call.idle(600);
    call.session.interrupt();
    expect(call.first('agent.audio_end')).toMatchObject({ interrupted: true, playedMs: 0 });
    await call.idleUntil(() => call.session.turns.length === 1);
    expect(call.session.turns[0].heardText).toBe('');
  });
});

/** A model that calls `tool` after saying `before`, and says `after` once it has the result. */
function toolScript(before: string, tool: string, args: object, after: string) {
  return (messages: ChatMessage[]): LlmScriptStep[] =>
    messages[messages.length - 1].role === 'tool' ? [{ text: after }] : [{ text: before }, { toolCall: { name: tool, arguments: args } }];
}

describe('Session: ending the call after the reply', () => {
  it('end_call lets the whole goodbye play, words after the tool result included, then ends the call', async () => {
    const controls = new CallControls();
    const tools = new ToolRegistry();
    for (const tool of callControlTools(controls)) tools.register(tool);
    const call = new Call({ tools, respond: toolScript('Thanks for calling.', 'end_call', { reason: 'caller said goodbye' }, ' Goodbye!') });
    controls.register('call-1', { hangup: async (reason) => call.session.endAfterReply(reason), transfer: async () => {}, sendDtmf: async () => {} });
    call.session.start();
    await call.idle(40);
    call.session.sendText('That is all, bye');
    await call.idleUntil(() => call.session.hasEnded);

    expect(call.of('tool.result')).toMatchObject([{ name: 'end_call', ok: true }]);
    expect(call.of('tts.start').map((e) => e.text)).toEqual(['Thanks for calling.', 'Goodbye!']);
    const spokenMs = ('Thanks for calling.'.length + 'Goodbye!'.length) * TTS_MS_PER_CHAR;
    expect(call.frames).toHaveLength(spokenMs / 20);
    const audioEnd = call.first('agent.audio_end');
    expect(audioEnd.interrupted).toBe(false);
    const ended = call.first('call.ended');
    expect(ended).toMatchObject({ reason: 'caller said goodbye', at: audioEnd.at });
    expect(call.of('tool.result')[0].at).toBeLessThan(ended.at);
    // The turn is complete, and on the timeline, before the call ends.
    const types = call.events.map((e) => e.type);
    expect(types.indexOf('turn.completed')).toBeLessThan(types.indexOf('call.ended'));
    expect(types[types.length - 1]).toBe('call.ended');
    expect(call.session.turns[0]).toMatchObject({ outcome: 'completed', heardText: 'Thanks for calling. Goodbye!' });
  });

  it('ends at once when nothing is playing or coming', () => {
    const call = new Call();
    call.session.start();
    call.session.endAfterReply('hung up through the API');
    expect(call.session.hasEnded).toBe(true);
    expect(call.first('call.ended').reason).toBe('hung up through the API');
  });

  it('a caller talking over the goodbye does not keep the call alive: it ends at the cut', async () => {
    const call = new Call({ greeting: GREETING });
    call.session.start();
    await call.idle(300);
    call.session.endAfterReply('first reason');
    call.session.endAfterReply('second reason');
    expect(call.session.hasEnded).toBe(false);
    await call.idle(200);
    const cutAt = call.clock.now();
    call.session.interrupt();
    await flush();
    expect(call.session.hasEnded).toBe(true);
    expect(call.first('call.ended')).toMatchObject({ reason: 'first reason', at: cutAt });
    expect(call.first('agent.audio_end')).toMatchObject({ interrupted: true });
    expect(call.of('llm.start')).toHaveLength(0);
  });

  it('waits for the audio the far end still holds before hanging up', async () => {
    const call = new Call({ greeting: 'Goodbye!', unplayedMs: () => 120 });
    call.session.start();
    call.session.endAfterReply('agent ended the call');
    await call.idleUntil(() => call.session.hasEnded);
    const audioEnd = call.first('agent.audio_end');
    expect(call.first('call.ended').at).toBe(audioEnd.at + 120);
  });
});

describe('Session: afterReply', () => {
  it('resolves at once when the agent is silent', async () => {
    const call = new Call();
    call.session.start();
    let done = false;
    void call.session.afterReply().then(() => (done = true));
    await flush();
    expect(done).toBe(true);
  });

  it('resolves when the reply has been played out', async () => {
    const call = new Call({ greeting: GREETING });
    call.session.start();
    await call.idle(200);
    let doneAt: number | null = null;
    void call.session.afterReply().then(() => (doneAt = call.clock.now()));
    await call.idleUntil(() => call.session.turns.length === 1);
    await flush();
    expect(doneAt).toBe(call.first('agent.audio_end').at);
  });

  it('inside a tool call, resolves once the words before the call were played, and the transfer is noted', async () => {
    const controls = new CallControls();
    const tools = new ToolRegistry();
    for (const tool of callControlTools(controls)) tools.register(tool);
    const announcement = "I'm transferring you now.";
    const call = new Call({ tools, respond: toolScript(announcement, 'transfer_call', { target: '+1 (555) 123-4567' }, ' Bye.') });
    const transfers: { target: string; mode: string; at: number; framesSent: number }[] = [];
    controls.register('call-1', {
      hangup: async (reason) => call.session.endAfterReply(reason),
      transfer: async (target, mode) => {
        await call.session.afterReply();
        transfers.push({ target, mode, at: call.clock.now(), framesSent: call.frames.length });
        call.session.noteTransfer({ target, mode, ok: true });
      },
      sendDtmf: async () => {},
    });
    call.session.start();
    await call.idle(40);
    call.session.sendText('sales please');
    await call.idleUntil(() => call.session.turns.length === 1);

    expect(transfers).toHaveLength(1);
    const [transfer] = transfers;
    expect(transfer).toMatchObject({ target: '+15551234567', mode: 'blind' });
    // Every frame of the announcement, and not one more, went out before the transfer.
    expect(transfer.framesSent).toBe((announcement.length * TTS_MS_PER_CHAR) / 20);
    const firstAudio = call.first('agent.audio_start').at;
    expect(transfer.at).toBe(firstAudio + (transfer.framesSent - 1) * 20);
    expect(call.first('call.transfer')).toMatchObject({ target: '+15551234567', mode: 'blind', ok: true, at: transfer.at });
    expect(call.first('call.transfer')).not.toHaveProperty('error');
    expect(call.of('tool.result')).toMatchObject([{ name: 'transfer_call', ok: true }]);
    expect(call.of('tts.start').map((e) => e.text)).toEqual([announcement, 'Bye.']);
  });

  it('waits for the audio the far end still holds, and resolves when the call ends', async () => {
    const call = new Call({ greeting: GREETING, unplayedMs: () => 200 });
    call.session.start();
    let idleDoneAt: number | null = null;
    const quiet = new Call({ unplayedMs: () => 200 });
    quiet.session.start();
    void quiet.session.afterReply().then(() => (idleDoneAt = quiet.clock.now()));
    await quiet.idle(300);
    expect(idleDoneAt).toBe(T0 + 200);

    let done = false;
    void call.session.afterReply().then(() => (done = true));
    await call.idle(200);
    expect(done).toBe(false);
    call.session.end('caller hung up');
    await flush();
    expect(done).toBe(true);
    expect(call.clock.pendingTimers()).toBe(0);
  });

  it('records a failed transfer with its error', () => {
    const call = new Call();
    call.session.start();
    call.session.noteTransfer({ target: 'sip:desk@example.com', mode: 'warm', ok: false, error: 'busy' });
    expect(call.first('call.transfer')).toMatchObject({ target: 'sip:desk@example.com', mode: 'warm', ok: false, error: 'busy' });
  });
});
