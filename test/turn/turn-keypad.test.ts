// Keypad input in the turn core, on the virtual clock: keys collect into one caller turn (ended by
// #, the maximum length or the inter-digit timeout), and a key stops a speaking agent exactly like
// speech does, keeping only the words the caller heard.
import { describe, expect, it } from 'vitest';
import { TurnHarness } from './turn-harness.js';

const key = (digit: string) => ({ type: 'user.dtmf' as const, digit });

/** Speech 0–1000 ms, reply committed at 1850 and speaking from then on (see turn-core.test.ts). */
function toSpeaking(h: TurnHarness, reply = 'Sure. I can book that table for you tonight at seven.') {
  h.utterance('book a table for two', 0, 1000);
  h.at(1650);
  const start = h.last('llm.start')!;
  h.llmReply(start.turnId, reply);
  h.at(1850);
  h.chunkAudio(start.turnId);
  h.send({ type: 'playback.started', turnId: start.turnId });
  expect(h.state).toBe('SPEAKING');
  return start.turnId;
}

describe('TurnCore keypad: collecting keys into one turn', () => {
  it('collects keys until # and answers them as "[keypad] 1234" at once, # left out', () => {
    const h = new TurnHarness();
    h.at(100, key('1'));
    expect(h.state).toBe('LISTENING');
    expect(h.of('state.changed')[0]).toMatchObject({ from: 'IDLE', to: 'LISTENING', reason: 'caller pressed a key' });
    h.at(400, key('2'));
    h.at(700, key('3'));
    h.at(900, key('4'));
    expect(h.of('llm.start')).toHaveLength(0);
    h.at(1100, key('#'));
    expect(h.states()).toEqual(['LISTENING', 'COMMITTED']);
    expect(h.last('state.changed')).toMatchObject({ reason: 'keypad #', at: 1100 });
    expect(h.last('llm.start')!.messages).toEqual([{ role: 'user', content: '[keypad] 1234' }]);
    expect(h.last('transcript.final')).toMatchObject({ text: '[keypad] 1234', confidence: 1, t: 1100 });
    expect(h.of('turn.committed')).toHaveLength(1);
  });

  it('ends the entry dtmfTimeoutMs after the last key, each key restarting the wait', () => {
    const h = new TurnHarness();
    h.at(0, key('7'));
    h.at(1500, key('8'));
    h.at(3000, key('9'));
    // 2000 ms after the first key, and after the second: still collecting.
    h.at(4999);
    expect(h.state).toBe('LISTENING');
    expect(h.of('llm.start')).toHaveLength(0);
    h.at(5000);
    expect(h.state).toBe('COMMITTED');
    expect(h.last('state.changed')).toMatchObject({ reason: 'keypad timeout', at: 5000 });
    expect(h.last('llm.start')!.messages).toEqual([{ role: 'user', content: '[keypad] 789' }]);
  });

  it('follows a changed dtmfTimeoutMs', () => {
    const h = new TurnHarness({ dtmfTimeoutMs: 800 });
    h.at(0, key('5'));
    h.at(799);
    expect(h.state).toBe('LISTENING');
    h.at(800);
    expect(h.state).toBe('COMMITTED');
    const turnId = h.last('llm.start')!.turnId;
    h.llmReply(turnId, 'Five.');
    h.chunkAudio(turnId);
    h.send({ type: 'playback.started', turnId });
    h.at(3000, { type: 'playback.finished', turnId, playedMs: 250 });
    h.send({ type: 'settings.update', settings: { dtmfTimeoutMs: 300 } });
    h.at(4000, key('6'));
    h.at(4299);
    expect(h.of('llm.start')).toHaveLength(1);
    h.at(4300);
    expect(h.of('llm.start')).toHaveLength(2);
  });

  it('ends the entry at dtmfMaxDigits keys without waiting', () => {
    const h = new TurnHarness({ dtmfMaxDigits: 4 });
    h.at(0, key('1'));
    h.at(100, key('*'));
    h.at(200, key('0'));
    expect(h.state).toBe('LISTENING');
    h.at(300, key('A'));
    expect(h.state).toBe('COMMITTED');
    expect(h.last('state.changed')).toMatchObject({ reason: 'keypad maximum length', at: 300 });
    expect(h.last('llm.start')!.messages).toEqual([{ role: 'user', content: '[keypad] 1*0A' }]);
    // No timer is left behind to end a second, empty entry.
    h.at(5000);
    expect(h.of('llm.start')).toHaveLength(1);
  });

  it('takes a # pressed alone as an entry of its own', () => {
    const h = new TurnHarness();
    h.at(100, key('#'));
    expect(h.state).toBe('COMMITTED');
    expect(h.last('llm.start')!.messages).toEqual([{ role: 'user', content: '[keypad] #' }]);
  });

  it('ignores a key that is not on a phone keypad, with a warning', () => {
    const h = new TurnHarness();
    h.at(100, key('x'));
    h.at(200, key('12'));
    expect(h.state).toBe('IDLE');
    expect(h.of('log').map((e) => e.level)).toEqual(['warn', 'warn']);
    expect(h.of('timer.set')).toHaveLength(0);
  });

  it('does not let the end of speech start a reply while keys are being typed, and answers both together', () => {
    const h = new TurnHarness();
    h.utterance('my account number is', 0, 1000);
    // VAD end at 1250, final at 1350; the debounce would be due at 1650.
    h.at(1400, key('4'));
    h.at(1600, key('2'));
    h.at(2500);
    expect(h.state).toBe('LISTENING');
    expect(h.of('llm.start')).toHaveLength(0);
    h.at(2600, key('#'));
    expect(h.state).toBe('COMMITTED');
    expect(h.last('llm.start')!.messages).toEqual([{ role: 'user', content: 'my account number is [keypad] 42' }]);
  });

  it('waits for the caller to stop speaking when the entry ends mid-speech', () => {
    const h = new TurnHarness();
    h.at(0, key('9'));
    h.at(564, { type: 'vad.speech_start', at: 500 });
    h.at(2000); // the entry timed out while the caller talks
    expect(h.state).toBe('LISTENING');
    expect(h.of('llm.start')).toHaveLength(0);
    h.at(2700, { type: 'vad.speech_end', at: 2450 });
    h.at(2800, { type: 'stt.final', text: 'that is all', confidence: 0.9, startMs: 500, endMs: 2450 });
    h.at(3100); // the debounce: 400 ms after the VAD end
    expect(h.state).toBe('SPECULATIVE');
    expect(h.last('llm.start')!.messages).toEqual([{ role: 'user', content: '[keypad] 9 that is all' }]);
  });
});

describe('TurnCore keypad: a key stops the agent', () => {
  it('cuts a speaking reply at once, even under the minimum interruption, and keeps only the heard words', () => {
    const h = new TurnHarness({ minInterruptionMs: 300 });
    const reply = 'Sure. I can book that table for you tonight at seven.';
    const turnId = toSpeaking(h, reply);
    h.at(2500, key('1'));
    expect(h.state).toBe('LISTENING');
    expect(h.last('state.changed')).toMatchObject({ from: 'SPEAKING', to: 'LISTENING', reason: 'caller pressed a key', at: 2500 });
    expect(h.last('llm.cancel')).toMatchObject({ turnId, reason: 'caller pressed a key' });
    expect(h.last('tts.cancel')).toMatchObject({ turnId });
    expect(h.last('output.clear')).toMatchObject({ turnId, t: 2500 });
    // 50 ms per character: 1000 ms heard is "Sure. I can book tha".
    h.send({ type: 'playback.cleared', turnId, playedMs: 1000 });
    const ended = h.last('turn.ended')!;
    expect(ended).toMatchObject({ turnId, outcome: 'interrupted', interrupted: true, heardText: 'Sure. I can book' });
    h.at(4500);
    expect(h.state).toBe('COMMITTED');
    expect(h.last('llm.start')!.messages).toEqual([
      { role: 'user', content: 'book a table for two' },
      { role: 'assistant', content: 'Sure. I can book' },
      { role: 'user', content: '[keypad] 1' },
    ]);
  });

  it('answers a # that cut the agent only once the heard words are in the context', () => {
    const h = new TurnHarness();
    const turnId = toSpeaking(h);
    h.at(2100, key('#'));
    expect(h.of('llm.start')).toHaveLength(1);
    h.send({ type: 'playback.cleared', turnId, playedMs: 250 });
    expect(h.of('llm.start')).toHaveLength(2);
    expect(h.last('llm.start')!.messages).toEqual([
      { role: 'user', content: 'book a table for two' },
      { role: 'assistant', content: 'Sure.' },
      { role: 'user', content: '[keypad] #' },
    ]);
  });

  it('drops a reply that was not heard yet, and the keys of both entries make one turn', () => {
    const h = new TurnHarness();
    h.at(0, key('1'));
    h.at(2000);
    expect(h.state).toBe('COMMITTED');
    const first = h.last('llm.start')!.turnId;
    h.at(2100, key('2'));
    expect(h.last('turn.ended')).toMatchObject({ turnId: first, outcome: 'canceled' });
    expect(h.last('output.clear')).toMatchObject({ turnId: first });
    h.at(2200, key('#'));
    expect(h.last('llm.start')!.messages).toEqual([{ role: 'user', content: '[keypad] 1 [keypad] 2' }]);
  });

  it('cancels a speculative reply to speech and keeps the words for the keypad turn', () => {
    const h = new TurnHarness();
    h.utterance('press what', 0, 1000);
    h.at(1650);
    expect(h.state).toBe('SPECULATIVE');
    h.at(1700, key('3'));
    expect(h.last('speculative.canceled')).toMatchObject({ reason: 'caller pressed a key' });
    h.at(3700);
    expect(h.last('llm.start')!.messages).toEqual([{ role: 'user', content: 'press what [keypad] 3' }]);
  });

  it('typed input right after keys takes them along, ahead of the typed words', () => {
    const h = new TurnHarness();
    h.at(0, key('8'));
    h.at(300, { type: 'user.text', text: 'is my pin' });
    expect(h.last('llm.start')!.messages).toEqual([{ role: 'user', content: '[keypad] 8 is my pin' }]);
    h.at(5000);
    expect(h.of('llm.start')).toHaveLength(1);
  });

  it('replays exactly: the same keys at the same times give the same effects', () => {
    const run = () => {
      const h = new TurnHarness();
      const turnId = toSpeaking(h);
      h.at(2300, key('4'));
      h.send({ type: 'playback.cleared', turnId, playedMs: 400 });
      h.at(2600, key('5'));
      h.at(4600);
      return h.effects;
    };
    expect(run()).toEqual(run());
  });
});

describe('TurnCore: text before a tool call', () => {
  it('goes to TTS when the call comes, not held until the tool is done', () => {
    const h = new TurnHarness();
    h.at(100, { type: 'user.text', text: 'put me through to sales' });
    const turnId = h.last('llm.start')!.turnId;
    h.send({ type: 'llm.text', turnId, text: "I'm transferring you now." });
    // A sentence end at the very end of the text waits for what follows.
    expect(h.of('tts.speak')).toHaveLength(0);
    h.send({ type: 'llm.tool_call', turnId, call: { id: 'c1', name: 'transfer_call', arguments: '{"target":"+15551234567"}' } });
    expect(h.of('tts.speak').map((s) => s.text)).toEqual(["I'm transferring you now."]);
    h.send({ type: 'tool.result', turnId, toolCallId: 'c1', content: '{"ok":true}' });
    h.send({ type: 'llm.text', turnId, text: ' Goodbye!' });
    h.send({ type: 'llm.done', turnId });
    expect(h.of('tts.speak').map((s) => s.text)).toEqual(["I'm transferring you now.", 'Goodbye!']);
  });

  it('held while SPECULATIVE, it goes to TTS at the commit, before the tool may run', () => {
    const h = new TurnHarness();
    h.utterance('what time is it', 0, 1000);
    h.at(1650);
    const turnId = h.last('llm.start')!.turnId;
    h.send({ type: 'llm.text', turnId, text: 'Let me look.' });
    h.send({ type: 'llm.tool_call', turnId, call: { id: 'c1', name: 'get_current_time', arguments: '{}' } });
    expect(h.of('tts.speak')).toHaveLength(0);
    h.at(1850);
    const committed = h.effects.findIndex((e) => e.type === 'turn.committed');
    const spoken = h.effects.findIndex((e) => e.type === 'tts.speak');
    expect(committed).toBeGreaterThanOrEqual(0);
    expect(spoken).toBeGreaterThan(committed);
    expect(h.of('tts.speak').map((s) => s.text)).toEqual(['Let me look.']);
  });
});
