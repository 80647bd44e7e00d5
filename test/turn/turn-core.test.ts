import { describe, expect, it } from 'vitest';
import { TurnHarness } from './turn-harness.js';

/** Speech 0–1000 ms; VAD end decided at 1250; final at 1350; debounce (400) due at 1650. */
function toSpeculative(h: TurnHarness, text = 'book a table for two') {
  h.utterance(text, 0, 1000);
  h.at(1650);
  return h.last('llm.start')!;
}

function toSpeaking(h: TurnHarness, reply = 'Sure. I can book that table for you tonight at seven.') {
  const start = toSpeculative(h);
  h.llmReply(start.turnId, reply);
  h.at(1850); // hold of 200 ms passes: COMMITTED
  h.chunkAudio(start.turnId);
  h.send({ type: 'playback.started', turnId: start.turnId });
  return start.turnId;
}

describe('TurnCore: the happy path', () => {
  it('listens, speculates, commits, speaks, and returns to idle with both sides in the context', () => {
    const h = new TurnHarness();
    const turnId = toSpeaking(h);
    expect(h.states()).toEqual(['LISTENING', 'SPECULATIVE', 'COMMITTED', 'SPEAKING']);
    h.at(5000, { type: 'playback.finished', turnId, playedMs: 3000 });
    expect(h.state).toBe('IDLE');
    expect(h.core.chatContext).toEqual([
      { role: 'user', content: 'book a table for two' },
      { role: 'assistant', content: 'Sure. I can book that table for you tonight at seven.' },
    ]);
    const ended = h.last('turn.ended')!;
    expect(ended).toMatchObject({ turnId, outcome: 'completed', interrupted: false, heardText: 'Sure. I can book that table for you tonight at seven.' });
  });

  it('starts the debounce at the VAD speech end and speculates exactly debounce ms later', () => {
    const h = new TurnHarness();
    const start = toSpeculative(h);
    const set = h.of('timer.set').find((e) => e.name === 'debounce')!;
    expect(set.t).toBe(1250);
    expect(set.at).toBe(1650);
    expect(h.of('state.changed').find((e) => e.to === 'SPECULATIVE')!.at).toBe(1650);
    expect(start.messages).toEqual([{ role: 'user', content: 'book a table for two' }]);
  });

  it('holds LLM output while SPECULATIVE and releases it to TTS on COMMITTED', () => {
    const h = new TurnHarness();
    const start = toSpeculative(h);
    h.at(1700, { type: 'llm.text', turnId: start.turnId, text: 'Of course I can help. ' });
    h.send({ type: 'llm.text', turnId: start.turnId, text: 'Let me check the tables for you now. One' });
    expect(h.of('tts.speak')).toHaveLength(0);
    expect(h.of('agent.text')).toHaveLength(0);
    h.at(1849);
    expect(h.state).toBe('SPECULATIVE');
    h.at(1850);
    expect(h.state).toBe('COMMITTED');
    expect(h.of('turn.committed')).toHaveLength(1);
    const speak = h.of('tts.speak');
    expect(speak.length).toBeGreaterThan(0);
    expect(speak.every((s) => s.t === 1850)).toBe(true);
    expect(speak.map((x) => x.text)).toEqual(['Of course I can help.']);
  });

  it('waits for the final when the debounce comes due with only a partial, then speculates at once', () => {
    const h = new TurnHarness();
    h.at(64, { type: 'vad.speech_start', at: 0 });
    h.at(500, { type: 'stt.partial', text: 'what time', startMs: 0, endMs: 500 });
    h.at(1250, { type: 'vad.speech_end', at: 1000 });
    expect(h.of('stt.finalize')).toHaveLength(1);
    h.at(1650);
    expect(h.state).toBe('LISTENING');
    h.at(2000, { type: 'stt.final', text: 'what time is it', confidence: 0.8, startMs: 0, endMs: 1000 });
    expect(h.state).toBe('SPECULATIVE');
    expect(h.last('llm.start')!.t).toBe(2000);
  });

  it('goes back to IDLE after speech that produced no words', () => {
    const h = new TurnHarness();
    h.at(64, { type: 'vad.speech_start', at: 0 });
    h.at(550, { type: 'vad.speech_end', at: 300 });
    h.at(950);
    expect(h.state).toBe('IDLE');
    expect(h.of('llm.start')).toHaveLength(0);
  });
});

describe('TurnCore: debounce cancellation', () => {
  it('new speech cancels the pending debounce', () => {
    const h = new TurnHarness();
    h.utterance('I would like', 0, 1000);
    h.at(1500, { type: 'vad.speech_start', at: 1450 });
    expect(h.last('timer.cancel')).toMatchObject({ name: 'debounce', t: 1500 });
    h.at(3000);
    expect(h.state).toBe('LISTENING');
    expect(h.of('llm.start')).toHaveLength(0);
  });

  it('a partial for new audio cancels the debounce; a late partial for old audio does not', () => {
    const h = new TurnHarness();
    h.utterance('I would like', 0, 1000);
    // STT lag: a partial about audio before the speech end.
    h.at(1400, { type: 'stt.partial', text: 'I would like a', startMs: 0, endMs: 990 });
    expect(h.of('timer.cancel')).toHaveLength(0);
    // Words the VAD missed, after the speech end.
    h.at(1500, { type: 'stt.partial', text: 'I would like a table', startMs: 0, endMs: 1400 });
    expect(h.last('timer.cancel')).toMatchObject({ name: 'debounce' });
    h.at(3000);
    expect(h.state).toBe('LISTENING');
  });
});

describe('TurnCore: speculative execution', () => {
  it('cancels the LLM silently when the caller speaks in SPECULATIVE and keeps the whole transcript', () => {
    const h = new TurnHarness();
    const first = toSpeculative(h, 'book a table');
    h.at(1700, { type: 'llm.text', turnId: first.turnId, text: 'Sure, for how many people?' });
    h.at(1760, { type: 'vad.speech_start', at: 1700 });
    expect(h.state).toBe('LISTENING');
    expect(h.last('llm.cancel')).toMatchObject({ turnId: first.turnId });
    expect(h.last('speculative.canceled')).toMatchObject({ turnId: first.turnId });
    // nothing of the cancelled reply reached TTS or the caller
    expect(h.of('tts.speak')).toHaveLength(0);
    expect(h.of('agent.text')).toHaveLength(0);
    h.at(2500, { type: 'stt.partial', text: 'for four', startMs: 1700, endMs: 2500 });
    h.at(3250, { type: 'vad.speech_end', at: 3000 });
    h.at(3350, { type: 'stt.final', text: 'for four people', confidence: 0.9, startMs: 1700, endMs: 3000 });
    h.at(3650);
    const second = h.last('llm.start')!;
    expect(second.turnId).not.toBe(first.turnId);
    expect(second.messages).toEqual([{ role: 'user', content: 'book a table for four people' }]);
    expect(h.core.chatContext).toEqual([]);
  });

  it('ignores output of a cancelled speculative LLM', () => {
    const h = new TurnHarness();
    const first = toSpeculative(h);
    h.at(1700, { type: 'vad.speech_start', at: 1680 });
    h.send({ type: 'llm.text', turnId: first.turnId, text: 'late tokens. ' });
    h.send({ type: 'llm.done', turnId: first.turnId });
    expect(h.of('tts.speak')).toHaveLength(0);
    expect(h.state).toBe('LISTENING');
  });

  it('commits at once when the hold is zero', () => {
    const h = new TurnHarness({ speculativeHoldMs: 0 });
    toSpeculative(h);
    expect(h.states()).toEqual(['LISTENING', 'SPECULATIVE', 'COMMITTED']);
  });
});

describe('TurnCore: cancellation detector', () => {
  it('a correction marker in a partial cancels a committed reply before it is heard', () => {
    const h = new TurnHarness();
    const start = toSpeculative(h, 'book it for Tuesday');
    h.at(1850);
    expect(h.state).toBe('COMMITTED');
    h.at(1900, { type: 'stt.partial', text: 'wait', startMs: 1200, endMs: 1400 });
    expect(h.state).toBe('LISTENING');
    expect(h.last('llm.cancel')).toMatchObject({ turnId: start.turnId, reason: 'correction marker "wait"' });
    expect(h.last('tts.cancel')).toMatchObject({ turnId: start.turnId });
    expect(h.last('turn.ended')).toMatchObject({ outcome: 'canceled', heardText: '' });
    expect(h.core.chatContext).toEqual([]);
  });

  it('new audio activity while COMMITTED cancels the reply and the next reply answers everything', () => {
    const h = new TurnHarness();
    toSpeculative(h, 'book it for Tuesday');
    h.at(1850);
    h.at(1950, { type: 'vad.speech_start', at: 1900 });
    expect(h.state).toBe('LISTENING');
    h.at(2300, { type: 'stt.partial', text: 'no', startMs: 1900, endMs: 2300 });
    h.at(2850, { type: 'vad.speech_end', at: 2600 });
    h.at(2950, { type: 'stt.final', text: 'no, Wednesday', confidence: 0.9, startMs: 1900, endMs: 2600 });
    h.at(3250);
    expect(h.last('llm.start')!.messages).toEqual([{ role: 'user', content: 'book it for Tuesday no, Wednesday' }]);
  });

  it('keeps a tool round that already ran when the caller cancels the reply before hearing it, and answers only the new words', () => {
    const h = new TurnHarness();
    const start = toSpeculative(h, 'yes please book it');
    h.at(1850);
    expect(h.state).toBe('COMMITTED');
    const booked = { id: 'c1', name: 'book_appointment', arguments: '{"date":"2026-12-02"}' };
    const pending = { id: 'c2', name: 'get_current_time', arguments: '{}' };
    h.send({ type: 'llm.tool_call', turnId: start.turnId, call: booked });
    h.send({ type: 'tool.result', turnId: start.turnId, toolCallId: 'c1', content: '{"ok":true,"id":7}' });
    // A second call whose result has not come back when the caller speaks.
    h.send({ type: 'llm.tool_call', turnId: start.turnId, call: pending });
    h.at(1950, { type: 'vad.speech_start', at: 1900 });
    expect(h.state).toBe('LISTENING');
    expect(h.last('turn.ended')).toMatchObject({ outcome: 'canceled', heardText: '' });
    // The booking happened: the context says so, without the call that has no result.
    expect(h.core.chatContext).toEqual([
      { role: 'user', content: 'yes please book it' },
      { role: 'assistant', content: '', toolCalls: [booked] },
      { role: 'tool', toolCallId: 'c1', content: '{"ok":true,"id":7}' },
    ]);
    h.at(2850, { type: 'vad.speech_end', at: 2600 });
    h.at(2950, { type: 'stt.final', text: 'and one more thing', confidence: 0.9, startMs: 1900, endMs: 2600 });
    h.at(3250);
    // The next reply answers the new words, with the tool round behind them (not run again).
    expect(h.last('llm.start')!.messages.slice(-1)).toEqual([{ role: 'user', content: 'and one more thing' }]);
    expect(h.last('llm.start')!.messages).toHaveLength(4);
  });

  it('keeps a tool round that ran when the reply then fails', () => {
    const h = new TurnHarness();
    const start = toSpeculative(h, 'book it');
    h.at(1850);
    const call = { id: 'c1', name: 'book_appointment', arguments: '{}' };
    h.send({ type: 'llm.tool_call', turnId: start.turnId, call });
    h.send({ type: 'tool.result', turnId: start.turnId, toolCallId: 'c1', content: '{"ok":true}' });
    h.send({ type: 'llm.error', turnId: start.turnId, message: 'model went away' });
    expect(h.last('turn.ended')).toMatchObject({ outcome: 'failed' });
    expect(h.core.chatContext.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
  });

  it('a correction marker while SPEAKING interrupts at once, below the minimum interruption duration', () => {
    const h = new TurnHarness({ minInterruptionMs: 500 });
    const turnId = toSpeaking(h);
    h.at(2000, { type: 'stt.partial', text: 'actually', startMs: 1950, endMs: 2000 });
    expect(h.state).toBe('LISTENING');
    expect(h.last('output.clear')).toMatchObject({ turnId });
  });

  it('does not treat "know" or "nobody" as a correction', () => {
    const h = new TurnHarness();
    toSpeculative(h);
    h.at(1850);
    h.at(1900, { type: 'stt.final', text: 'I know', confidence: 0.9, startMs: 100, endMs: 900 });
    expect(h.state).toBe('COMMITTED');
  });
});

describe('TurnCore: barge-in and the heard-words rule', () => {
  it('barge-in mid-sentence cancels LLM and TTS, clears audio and keeps only the heard words', () => {
    const h = new TurnHarness();
    const reply = 'Sure. I can book that table for you tonight at seven.';
    const turnId = toSpeaking(h, reply);
    // speech onset at 2400, VAD decides at 2464 (>= 60 ms minimum): immediate
    h.at(2464, { type: 'vad.speech_start', at: 2400 });
    expect(h.state).toBe('LISTENING');
    expect(h.last('llm.cancel')).toMatchObject({ turnId });
    expect(h.last('tts.cancel')).toMatchObject({ turnId });
    expect(h.last('output.clear')).toMatchObject({ turnId, t: 2464 });
    // chunks at 50 ms per char: "Sure. I can book that table for you tonight at seven." is one chunk (55 chars = 2750 ms)
    // the caller heard 1000 ms = the first 20 chars: "Sure. I can book tha"
    h.send({ type: 'playback.cleared', turnId, playedMs: 1000 });
    const ended = h.last('turn.ended')!;
    expect(ended).toMatchObject({ outcome: 'interrupted', interrupted: true });
    expect(reply.startsWith(ended.heardText)).toBe(true);
    expect(ended.heardText.length).toBeGreaterThan(0);
    expect(ended.heardText.length).toBeLessThan(reply.length);
    expect(h.core.chatContext).toEqual([
      { role: 'user', content: 'book a table for two' },
      { role: 'assistant', content: ended.heardText },
    ]);
  });

  it('counts only synthesized words when the cut chunk was still being synthesized', () => {
    const h = new TurnHarness();
    const reply = 'Sure thing. I can book that table for you tonight at seven, and I will send you a confirmation.';
    const start = toSpeculative(h);
    h.llmReply(start.turnId, reply);
    h.at(1850);
    const speaks = h.of('tts.speak').filter((e) => e.turnId === start.turnId);
    expect(speaks.length).toBe(2);
    // chunk 0 done at 50 ms/char; chunk 1 has only 500 ms of audio so far (no word timings)
    h.send({ type: 'tts.audio', turnId: start.turnId, chunkId: 0, durationMs: speaks[0].text.length * 50 });
    h.send({ type: 'tts.done', turnId: start.turnId, chunkId: 0 });
    h.send({ type: 'tts.audio', turnId: start.turnId, chunkId: 1, durationMs: 500 });
    h.send({ type: 'playback.started', turnId: start.turnId });
    h.at(2500, { type: 'vad.speech_start', at: 2430 });
    // everything synthesized so far was played
    h.send({ type: 'playback.cleared', turnId: start.turnId, playedMs: speaks[0].text.length * 50 + 500 });
    const heard = h.last('turn.ended')!.heardText;
    // chunk 0 whole, then about 10 characters of chunk 1 (500 ms at the reply's 50 ms/char)
    expect(heard.startsWith(speaks[0].text)).toBe(true);
    const rest = heard.slice(speaks[0].text.length).trim();
    expect(speaks[1].text.startsWith(rest)).toBe(true);
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.length).toBeLessThanOrEqual(12);
  });

  it('barge-in right at the first frame keeps nothing of the reply', () => {
    const h = new TurnHarness();
    const turnId = toSpeaking(h);
    h.at(1900, { type: 'vad.speech_start', at: 1830 });
    h.send({ type: 'playback.cleared', turnId, playedMs: 0 });
    expect(h.core.chatContext).toEqual([{ role: 'user', content: 'book a table for two' }]);
    expect(h.last('turn.ended')!.heardText).toBe('');
  });

  it('barge-in at the very end keeps the whole reply', () => {
    const h = new TurnHarness();
    const reply = 'Sure. I can book that table for you tonight at seven.';
    const turnId = toSpeaking(h, reply);
    h.at(4800, { type: 'vad.speech_start', at: 4700 });
    h.send({ type: 'playback.cleared', turnId, playedMs: reply.length * 50 });
    expect(h.core.chatContext[1]).toEqual({ role: 'assistant', content: reply });
  });

  it('waits for the minimum interruption duration and ignores shorter sounds', () => {
    const h = new TurnHarness({ minInterruptionMs: 300 });
    toSpeaking(h);
    h.at(2064, { type: 'vad.speech_start', at: 2000 });
    expect(h.state).toBe('SPEAKING');
    expect(h.last('timer.set')).toMatchObject({ name: 'bargein', at: 2300 });
    h.at(2200, { type: 'vad.speech_end', at: 2150 }); // a cough
    h.at(3000);
    expect(h.state).toBe('SPEAKING');
    h.at(3064, { type: 'vad.speech_start', at: 3000 });
    h.at(3299);
    expect(h.state).toBe('SPEAKING');
    h.at(3300);
    expect(h.state).toBe('LISTENING');
  });

  it('the words of the barge-in start the next turn, and the old ones are gone', () => {
    const h = new TurnHarness();
    const turnId = toSpeaking(h);
    h.at(2464, { type: 'vad.speech_start', at: 2400 });
    h.send({ type: 'playback.cleared', turnId, playedMs: 500 });
    h.at(2800, { type: 'stt.partial', text: 'make it', startMs: 2400, endMs: 2800 });
    h.at(3250, { type: 'vad.speech_end', at: 3000 });
    h.at(3350, { type: 'stt.final', text: 'make it three', confidence: 0.9, startMs: 2400, endMs: 3000 });
    h.at(3650);
    const next = h.last('llm.start')!;
    expect(next.messages[next.messages.length - 1]).toEqual({ role: 'user', content: 'make it three' });
    expect(next.messages[0]).toEqual({ role: 'user', content: 'book a table for two' });
  });

  it('a client interrupt while SPEAKING ends in IDLE when the caller is silent', () => {
    const h = new TurnHarness();
    const turnId = toSpeaking(h);
    h.at(2500, { type: 'user.interrupt' });
    expect(h.last('output.clear')).toMatchObject({ turnId });
    expect(h.state).toBe('LISTENING');
    h.send({ type: 'playback.cleared', turnId, playedMs: 600 });
    h.at(2900);
    expect(h.state).toBe('IDLE');
  });

  it('while a reply is in flight, partials show only the new words', () => {
    const h = new TurnHarness({ minInterruptionMs: 1000 });
    toSpeaking(h);
    h.at(2500, { type: 'stt.partial', text: 'hmm okay', startMs: 2400, endMs: 2500 });
    expect(h.last('transcript.partial')!.text).toBe('hmm okay');
  });
});

describe('TurnCore: other sources of turns', () => {
  it('typed input commits at once without speculation', () => {
    const h = new TurnHarness();
    h.at(100, { type: 'user.text', text: 'what are your hours?' });
    expect(h.states()).toEqual(['COMMITTED']);
    expect(h.last('llm.start')!.messages).toEqual([{ role: 'user', content: 'what are your hours?' }]);
    expect(h.of('turn.committed')).toHaveLength(1);
  });

  it('the greeting is spoken and remembered only once heard', () => {
    const h = new TurnHarness();
    h.send({ type: 'agent.say', text: 'Hello! How can I help you today?', reason: 'greeting' });
    expect(h.state).toBe('COMMITTED');
    const speaks = h.of('tts.speak');
    expect(speaks.map((s) => s.text).join(' ')).toBe('Hello! How can I help you today?');
    expect(h.of('llm.start')).toHaveLength(0);
    const turnId = speaks[0].turnId;
    h.send({ type: 'playback.started', turnId });
    h.at(2000, { type: 'playback.finished', turnId, playedMs: 1900 });
    expect(h.core.chatContext).toEqual([{ role: 'assistant', content: 'Hello! How can I help you today?' }]);
  });

  it('an LLM failure before any audio ends the turn as failed and returns to IDLE', () => {
    const h = new TurnHarness();
    const start = toSpeculative(h);
    h.at(1700, { type: 'llm.error', turnId: start.turnId, message: 'boom' });
    expect(h.state).toBe('IDLE');
    expect(h.last('turn.ended')).toMatchObject({ outcome: 'failed' });
    h.at(5000);
    expect(h.state).toBe('IDLE');
  });

  it('a reply with no speech (tool calls only) ends the turn', () => {
    const h = new TurnHarness();
    const start = toSpeculative(h);
    h.send({ type: 'llm.tool_call', turnId: start.turnId, call: { id: 'c1', name: 'get_current_time', arguments: '{}' } });
    h.at(1850);
    h.send({ type: 'tool.result', turnId: start.turnId, toolCallId: 'c1', content: '{"iso":"x"}' });
    h.send({ type: 'llm.done', turnId: start.turnId });
    expect(h.state).toBe('IDLE');
    expect(h.core.chatContext.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
  });
});

describe('TurnCore: adaptive debounce', () => {
  it('raises the debounce by 100 ms after a window of 10 turns with 4 cancels', () => {
    const h = new TurnHarness();
    let t = 0;
    for (let i = 0; i < 10; i++) {
      h.utterance(`utterance ${i}`, t, t + 1000);
      h.at(t + 1650);
      const start = h.last('llm.start')!;
      if (i < 4) {
        h.at(t + 1700, { type: 'vad.speech_start', at: t + 1690 }); // speculative cancel
        h.at(t + 2050, { type: 'vad.speech_end', at: t + 1800 });
        h.at(t + 2150, { type: 'stt.final', text: 'more', confidence: 0.9 });
        h.at(t + 2450); // debounce -> SPECULATIVE again
        const again = h.last('llm.start')!;
        h.llmReply(again.turnId, 'Okay then, noted.');
        h.at(t + 2650);
        h.send({ type: 'llm.error', turnId: again.turnId, message: 'x' });
      } else {
        h.llmReply(start.turnId, 'Okay then, noted.');
        h.at(t + 1850);
        h.chunkAudio(start.turnId);
        h.send({ type: 'playback.started', turnId: start.turnId });
        h.at(t + 2500, { type: 'playback.finished', turnId: start.turnId, playedMs: 600 });
      }
      t += 5000;
    }
    // 14 attempts: windows of 10 -> first window = 4 cancels + 6 commits = 40% -> 500
    expect(h.core.debounceMs).toBe(500);
    expect(h.of('debounce.adapted')[0]).toMatchObject({ fromMs: 400, toMs: 500 });
  });

  it('uses the manual override and does not adapt', () => {
    const h = new TurnHarness({ debounceOverrideMs: 900 });
    h.utterance('hello', 0, 1000);
    expect(h.last('timer.set')).toMatchObject({ name: 'debounce', at: 1250 + 900 });
  });
});

describe('TurnCore: determinism', () => {
  it('replaying the same inputs at the same times gives the same effects', () => {
    const run = () => {
      const h = new TurnHarness();
      const turnId = toSpeaking(h);
      h.at(2464, { type: 'vad.speech_start', at: 2400 });
      h.send({ type: 'playback.cleared', turnId, playedMs: 700 });
      return JSON.stringify(h.effects);
    };
    expect(run()).toBe(run());
  });
});
