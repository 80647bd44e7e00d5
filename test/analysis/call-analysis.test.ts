// The post-call analysis over hand-built timelines: counts, words, latency medians, tools, provider
// trouble, flow outcome, cost and the extractive summary; deterministic whatever the event order.
import { describe, expect, it } from 'vitest';
import { analyzeCall } from '../../src/analysis/call-analysis.js';
import { countWords, excerpt, median } from '../../src/analysis/text-stats.js';
import type { TimelineEvent } from '../../src/session/timeline.js';
import { CALL_ID, callEnded, flowState, meteredUsage, started, toolCall, toolResult, turnDone, turnRecord } from './timeline-builders.js';

const bookingCall = (): TimelineEvent[] => [
  started(1000),
  { type: 'llm.token', callId: CALL_ID, at: 1500, turnId: 't0', text: 'Hello' },
  turnDone(
    4000,
    turnRecord('t1', {
      userText: "Hi, I'd like to book a cleaning on Tuesday.",
      agentText: 'Sure, what time suits you?',
      heardText: 'Sure, what time suits you?',
      latencies: { voiceToVoiceMs: 900, llmTtftMs: 300, ttsTtfbMs: 120 },
    }),
  ),
  flowState(4001, 't1', 'ask_time', { service: 'cleaning', day: 'Tuesday' }),
  turnDone(5000, turnRecord('t2', { userText: 'At three', outcome: 'canceled', latencies: { llmTtftMs: 9999 } })),
  { type: 'provider.event', callId: CALL_ID, at: 5500, event: { type: 'retry', kind: 'llm', provider: 'openai', attempt: 1, delayMs: 200, reason: 'HTTP 429', turnId: 't3' } },
  { type: 'provider.event', callId: CALL_ID, at: 5600, event: { type: 'fallback', kind: 'tts', from: 'cartesia', to: 'espeak-ng', reason: 'timeout', turnId: 't3' } },
  toolCall(6000, 't3', 'tc1', 'book_appointment', '{"day":"Tuesday","time":"15:00"}'),
  toolResult(6400, 't3', 'tc1', 'book_appointment', true, '{"confirmation":"B-17"}'),
  turnDone(
    8000,
    turnRecord('t3', {
      userText: 'At three in the afternoon please',
      agentText: 'You are booked for Tuesday at three. Your confirmation is B-17.',
      heardText: 'You are booked for Tuesday at three.',
      interrupted: true,
      outcome: 'interrupted',
      latencies: { voiceToVoiceMs: 1500, llmTtftMs: 500, ttsTtfbMs: 200 },
    }),
  ),
  { type: 'error', callId: CALL_ID, at: 8100, code: 'provider_error', message: 'speech synthesis: timeout', recoverable: true },
  flowState(8001, 't3', 'goodbye', { service: 'cleaning', day: 'Tuesday', time: '15:00' }, true),
  turnDone(9000, turnRecord('t4', { userText: 'Thanks, bye!', agentText: 'Goodbye!', heardText: 'Goodbye!', latencies: { voiceToVoiceMs: 700, llmTtftMs: 250 } })),
  callEnded(73_400, 'conversation finished', meteredUsage),
];

describe('analyzeCall', () => {
  it('reads a booking call: turns, words, interruptions, latency medians, tools, provider trouble, flow, cost', () => {
    const a = analyzeCall(bookingCall());
    expect(a).toMatchObject({
      call_id: CALL_ID,
      agent: 'front-desk',
      duration_ms: 72_400,
      ended: true,
      end_reason: 'conversation finished',
      turns: { total: 4, completed: 2, interrupted: 1, canceled: 1, failed: 0 },
      interruptions: 1,
      // The canceled turn's words are not counted: the caller's words reappear in the next turn.
      words: { caller: 9 + 6 + 2, agent: 5 + 11 + 1, agent_heard: 5 + 7 + 1 },
      latency: {
        voice_to_voice: { median_ms: 900, samples: 3 },
        llm_ttft: { median_ms: 400, samples: 4 },
        tts_ttfb: { median_ms: 160, samples: 2 },
      },
      tools: [{ name: 'book_appointment', ok: true, turn_id: 't3' }],
      tools_total: 1,
      provider_issues: ['tts: cartesia failed (timeout); fell back to espeak-ng'],
      provider_issues_total: 1,
      provider_retries: 1,
      errors: [{ code: 'provider_error', message: 'speech synthesis: timeout', recoverable: true }],
      errors_total: 1,
      flow: { node: 'goodbye', slots: { service: 'cleaning', day: 'Tuesday', time: '15:00' }, ended: true, handoff: false },
      usage: { stt_seconds: 41.5, llm_prompt_tokens: 2300, llm_completion_tokens: 180, tts_characters: 412, telephony_minutes: 0 },
      cost: { usd: 0.0123, amount: 1.02, currency: 'INR', formatted: '₹1.02' },
    });
    expect(a.summary).toBe(
      'Caller: "Hi, I\'d like to book a cleaning on Tuesday.". Tools: book_appointment (ok). Flow finished at node "goodbye". ' +
        'Agent\'s last reply: "Goodbye!". Call ended (conversation finished) after 3 turns (1 interruption), 1m 12s.',
    );
  });

  it('gives the same analysis whatever order the events arrive in', () => {
    const events = bookingCall();
    const shuffled = [...events].reverse();
    expect(analyzeCall(shuffled)).toEqual(analyzeCall(events));
    expect(JSON.stringify(analyzeCall(events))).toBe(JSON.stringify(analyzeCall(bookingCall())));
  });

  it('reads a call where the caller never spoke and nothing was metered', () => {
    const a = analyzeCall([started(0), callEnded(4000, 'caller hung up')]);
    expect(a).toMatchObject({
      duration_ms: 4000,
      turns: { total: 0, completed: 0, interrupted: 0, canceled: 0, failed: 0 },
      words: { caller: 0, agent: 0, agent_heard: 0 },
      latency: { voice_to_voice: { median_ms: null, samples: 0 } },
      tools: [],
      flow: null,
      usage: null,
      cost: null,
    });
    expect(a.summary).toBe('The caller said nothing. Call ended (caller hung up) after 0 turns, 4s.');
  });

  it('reports a handoff, failed tools and turns, and a call still in progress', () => {
    const a = analyzeCall([
      turnDone(2000, turnRecord('t1', { userText: 'I want to talk to a human about my bill', agentText: 'Let me check.', outcome: 'failed' })),
      toolResult(2500, 't1', 'x1', 'lookup_bill', false, 'timeout'),
      toolResult(2600, 't1', 'x2', 'lookup_bill', true, '{}'),
      toolResult(2700, 't1', 'x3', 'transfer', false, 'busy'),
      flowState(3000, 't1', 'transfer', {}, true, true),
    ]);
    expect(a).toMatchObject({ agent: null, ended: false, end_reason: null, duration_ms: 1000, turns: { total: 1, failed: 1 } });
    expect(a.summary).toBe(
      'Caller: "I want to talk to a human about my bill". Tools: lookup_bill ×2 (1 of 2 ok), transfer (failed). ' +
        'Handed over to a person at flow node "transfer". Agent\'s last reply: "Let me check.". Call still in progress after 1 turn, 1s.',
    );
  });

  it('keeps long lists bounded and quotes long requests as excerpts', () => {
    const events: TimelineEvent[] = [started(0), turnDone(10, turnRecord('t1', { userText: 'word '.repeat(80).trim() }))];
    for (let i = 0; i < 60; i++) events.push(toolResult(20 + i, 't1', `c${i}`, 'search', true, ''));
    const a = analyzeCall(events);
    expect(a.tools).toHaveLength(50);
    expect(a.tools_total).toBe(60);
    expect(a.summary).toMatch(/^Caller: "(word ){20,}word…"\. Tools: search ×60 \(ok\)\./);
  });
});

describe('analysis text helpers', () => {
  it('counts words, not punctuation', () => {
    expect(countWords("I'd like 2 tickets — for Tuesday, please!")).toBe(7);
    expect(countWords('  ... ')).toBe(0);
    expect(countWords('नमस्ते दुनिया')).toBe(2);
  });

  it('takes medians of odd and even counts', () => {
    expect(median([])).toBeNull();
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('cuts excerpts at a word boundary', () => {
    expect(excerpt('short text', 20)).toBe('short text');
    expect(excerpt('the quick brown fox jumps over the lazy dog', 20)).toBe('the quick brown fox…');
  });
});
