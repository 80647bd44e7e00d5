// Following a real Timeline for webhooks: which events come out, their payloads and wall times,
// tool arguments matched to results, call.analyzed right after call.ended, and the whole way to a
// receiver through the dispatcher.
import { afterEach, describe, expect, it } from 'vitest';
import { analyzeCall } from '../../src/analysis/call-analysis.js';
import { Timeline } from '../../src/session/timeline.js';
import { followCallForWebhooks } from '../../src/webhooks/call-webhook-events.js';
import type { WebhookBody, WebhookEvent } from '../../src/webhooks/webhook-events.js';
import { CALL_ID, callEnded, flowState, meteredUsage, started, toolCall, toolResult, turnDone, turnRecord } from '../analysis/timeline-builders.js';
import { createHarness, type Harness } from './dispatcher-harness.js';
import { TestReceiver } from './test-receiver.js';

const WALL_AT_ZERO = Date.UTC(2026, 2, 1, 9, 0, 0);
const wallTime = (at: number): number => WALL_AT_ZERO + at;

const firstTurn = turnRecord('t1', {
  userText: 'Book me for Tuesday',
  agentText: 'Booked for Tuesday.',
  heardText: 'Booked for',
  interrupted: true,
  outcome: 'interrupted',
  latencies: { sttFinalDelayMs: 80, endOfUtteranceDelayMs: 400, llmTtftMs: 310, ttsTtfbMs: 95, voiceToVoiceMs: 880 },
});

function playCall(timeline: Timeline): void {
  timeline.emit(started(0));
  timeline.emit({ type: 'llm.token', callId: CALL_ID, at: 900, turnId: 't1', text: 'Booked' });
  timeline.emit(toolCall(1000, 't1', 'tc1', 'book_appointment', '{"day":"Tuesday"}'));
  timeline.emit(toolCall(1001, 't1', 'tc2', 'note', 'not json'));
  timeline.emit(toolResult(1400, 't1', 'tc1', 'book_appointment', true, '{"confirmation":"B-17"}'));
  timeline.emit(toolResult(1401, 't1', 'tc2', 'note', false, 'unknown tool'));
  timeline.emit(turnDone(2000, firstTurn));
  timeline.emit(flowState(2001, 't1', 'done', { day: 'Tuesday' }, true));
  timeline.emit(callEnded(5000, 'conversation finished', meteredUsage));
}

describe('followCallForWebhooks', () => {
  it('maps a call to call.started, tool.called, turn.completed, call.ended and call.analyzed, then stops', () => {
    const timeline = new Timeline();
    const sent: WebhookEvent[] = [];
    followCallForWebhooks(timeline, (e) => sent.push(e), { wallTime });
    playCall(timeline);

    expect(sent.map((e) => e.type)).toEqual(['call.started', 'tool.called', 'tool.called', 'turn.completed', 'call.ended', 'call.analyzed']);
    expect(sent.every((e) => e.callId === CALL_ID)).toBe(true);
    expect(sent[0].data).toEqual({ agent: 'front-desk', started_at: '2026-03-01T09:00:00.000Z' });
    expect(sent[1].data).toEqual({
      turn_id: 't1',
      tool_call_id: 'tc1',
      name: 'book_appointment',
      arguments: { day: 'Tuesday' },
      ok: true,
      result: '{"confirmation":"B-17"}',
      at: '2026-03-01T09:00:01.400Z',
    });
    expect(sent[2].data).toMatchObject({ name: 'note', arguments: 'not json', ok: false, result: 'unknown tool' });
    expect(sent[3].data).toEqual({
      turn_id: 't1',
      user_text: 'Book me for Tuesday',
      agent_text: 'Booked for Tuesday.',
      heard_text: 'Booked for',
      interrupted: true,
      outcome: 'interrupted',
      ended_at: '2026-03-01T09:00:02.000Z',
      latencies: { stt_final_delay_ms: 80, end_of_utterance_delay_ms: 400, llm_ttft_ms: 310, tts_ttfb_ms: 95, voice_to_voice_ms: 880 },
    });
    expect(sent[4].data).toEqual({
      reason: 'conversation finished',
      ended_at: '2026-03-01T09:00:05.000Z',
      usage: {
        stt_seconds: 41.5,
        llm_prompt_tokens: 2300,
        llm_completion_tokens: 180,
        tts_characters: 412,
        telephony_minutes: 0,
        cost_usd: 0.0123,
        cost: { amount: 1.02, currency: 'INR', formatted: '₹1.02' },
      },
    });
    const analysis = sent[5].data as ReturnType<typeof analyzeCall>;
    expect(analysis).toMatchObject({ duration_ms: 5000, interruptions: 1, end_reason: 'conversation finished', flow: { node: 'done', ended: true } });
    expect(analysis.tools).toEqual([
      { name: 'book_appointment', ok: true, turn_id: 't1' },
      { name: 'note', ok: false, turn_id: 't1' },
    ]);

    // The call is over: later events (a resumed timeline, say) send nothing.
    timeline.emit(started(6000));
    timeline.emit(callEnded(7000, 'again'));
    expect(sent).toHaveLength(6);
  });

  it('analyses exactly what analyzeCall makes of the whole timeline', () => {
    const timeline = new Timeline();
    const all: Parameters<typeof analyzeCall>[0][number][] = [];
    timeline.subscribe((e) => all.push(e));
    const sent: WebhookEvent[] = [];
    followCallForWebhooks(timeline, (e) => sent.push(e), { wallTime });
    playCall(timeline);
    expect(sent.at(-1)?.data).toEqual(analyzeCall(all));
  });

  it('stops when told, and a throwing sink neither breaks the call nor the following', () => {
    const timeline = new Timeline();
    const sent: string[] = [];
    const stop = followCallForWebhooks(
      timeline,
      (e) => {
        sent.push(e.type);
        if (e.type === 'call.started') throw new Error('sink down');
      },
      { wallTime },
    );
    timeline.emit(started(0));
    timeline.emit(turnDone(100, firstTurn));
    stop();
    timeline.emit(callEnded(200, 'bye'));
    expect(sent).toEqual(['call.started', 'turn.completed']);
  });
});

describe('call webhooks end to end', () => {
  let h: Harness | undefined;
  let receiver: TestReceiver | undefined;
  afterEach(async () => {
    await h?.cleanup();
    await receiver?.close();
  });

  it('delivers the subscribed events of a call, signed, to a receiver', async () => {
    h = await createHarness('sqlite');
    const secret = 'whsec_end_to_end_secret';
    receiver = await TestReceiver.start(secret, () => h!.nowSec());
    const source = await h.agent('t1', 'front-desk', [{ url: `${receiver.url}/parley`, events: ['call.ended', 'call.analyzed'], secret }]);
    const dispatcher = h.dispatcher();
    const enqueued: Promise<void>[] = [];
    const timeline = new Timeline();
    followCallForWebhooks(timeline, (event) => enqueued.push(dispatcher.enqueue('t1', source, event)), { wallTime });
    playCall(timeline);
    await Promise.all(enqueued);
    await dispatcher.whenIdle();

    const bodies = receiver.requests.map((r) => JSON.parse(r.body) as WebhookBody);
    expect(bodies.map((b) => b.type).sort()).toEqual(['call.analyzed', 'call.ended']);
    expect(receiver.requests.every((r) => r.signatureValid)).toBe(true);
    const analyzed = bodies.find((b) => b.type === 'call.analyzed')!;
    expect(analyzed).toMatchObject({ call_id: CALL_ID, agent_id: 'front-desk', agent_version: 1 });
    expect((analyzed.data as { summary: string }).summary).toContain('Caller: "Book me for Tuesday".');
    const rows = (await h.repo.listWebhookDeliveries('t1', { callId: CALL_ID }, { limit: 10 })).items;
    expect(rows.map((r) => r.status)).toEqual(['delivered', 'delivered']);
  });
});
