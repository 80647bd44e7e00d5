// The Prometheus metrics: call, turn and barge-in counts from a timeline, latency histograms,
// provider health, event-loop lag over a scrape window, and the optional sources read at scrape.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryEventBus } from '../../src/bus/memory-bus.js';
import { VirtualClock } from '../../src/clock.js';
import { callStatusOf } from '../../src/calls/call-status.js';
import { Metrics, type MetricsSources } from '../../src/metrics/metrics.js';
import { ProviderHealth } from '../../src/resilience/provider-health.js';
import { Timeline, type TimelineEvent } from '../../src/session/timeline.js';
import { emptyMarks, type TurnLatencies, type TurnRecord } from '../../src/session/turn-metrics.js';
import { BudgetLedger } from '../../src/usage/budget-ledger.js';

type Sample = { labels: Record<string, string | number>; value: number; metricName?: string };

const open: Metrics[] = [];

function build(extra: Partial<MetricsSources> = {}): { metrics: Metrics; health: ProviderHealth; clock: VirtualClock; timeline: Timeline } {
  const clock = new VirtualClock(1_000);
  const health = new ProviderHealth({ clock, breaker: { failureThreshold: 2, openMs: 10_000 } });
  const metrics = new Metrics({ health, ledger: new BudgetLedger(), activeSessions: () => 3, eventLoopResolutionMs: false, ...extra });
  open.push(metrics);
  const timeline = new Timeline();
  metrics.observe(timeline);
  return { metrics, health, clock, timeline };
}

afterEach(() => {
  for (const m of open.splice(0)) m.close();
});

async function samples(metrics: Metrics, name: string): Promise<Sample[]> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  return (await metric.get()).values as Sample[];
}

async function value(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const found = (await samples(metrics, name)).find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v) && (s.metricName === undefined || s.metricName === name));
  return found?.value;
}

async function histogram(metrics: Metrics, name: string): Promise<{ count: number; sum: number; buckets: Map<number, number> }> {
  const all = await samples(metrics, name);
  const buckets = new Map<number, number>();
  for (const s of all) if (s.metricName === `${name}_bucket` && s.labels.le !== '+Inf') buckets.set(Number(s.labels.le), s.value);
  return {
    count: all.find((s) => s.metricName === `${name}_count`)?.value ?? 0,
    sum: all.find((s) => s.metricName === `${name}_sum`)?.value ?? 0,
    buckets,
  };
}

const at = { callId: 'call-1', at: 0 };

function turn(outcome: TurnRecord['outcome'], latencies: Partial<TurnLatencies>): TimelineEvent {
  const record: TurnRecord = {
    turnId: `turn-${Math.random()}`,
    userText: 'hello',
    agentText: 'hi',
    heardText: 'hi',
    interrupted: outcome === 'interrupted',
    outcome,
    speculativeCancels: 0,
    debounceMs: 400,
    marks: emptyMarks(),
    latencies: { sttFinalDelayMs: null, endOfUtteranceDelayMs: null, llmTtftMs: null, ttsTtfbMs: null, voiceToVoiceMs: null, ...latencies },
    providerIssues: [],
    usage: null,
  };
  return { ...at, type: 'turn.completed', turn: record };
}

describe('call status', () => {
  it('maps the reasons the server gives, and guesses the rest by their words', () => {
    expect(callStatusOf('client ended the session')).toBe('completed');
    expect(callStatusOf('conversation finished')).toBe('completed');
    expect(callStatusOf('handed over to a person')).toBe('completed');
    expect(callStatusOf('client did not reconnect')).toBe('abandoned');
    expect(callStatusOf('server shutting down')).toBe('abandoned');
    expect(callStatusOf('provider error: every TTS failed')).toBe('failed');
    expect(callStatusOf('budget exceeded')).toBe('failed');
    expect(callStatusOf('caller hung up')).toBe('completed');
  });
});

describe('Metrics', () => {
  it('counts active and ended calls, by status', async () => {
    let live = 2;
    const { metrics, timeline } = build({ activeCalls: () => live });
    timeline.emit({ ...at, type: 'call.ended', reason: 'client ended the session', usage: null });
    timeline.emit({ ...at, type: 'call.ended', reason: 'client did not reconnect', usage: null });
    timeline.emit({ ...at, type: 'call.ended', reason: 'conversation finished', usage: null });
    expect(await value(metrics, 'parley_calls_total', { status: 'completed' })).toBe(2);
    expect(await value(metrics, 'parley_calls_total', { status: 'abandoned' })).toBe(1);
    expect(await value(metrics, 'parley_calls_total', { status: 'failed' })).toBeUndefined();
    expect(await value(metrics, 'parley_active_calls')).toBe(2);
    live = 5;
    expect(await value(metrics, 'parley_active_calls')).toBe(5);
    expect(await value(metrics, 'parley_active_sessions')).toBe(3);
  });

  it('takes the status from the function it is given', async () => {
    const { metrics, timeline } = build({ callStatus: (reason) => (reason.startsWith('x') ? 'odd' : 'even') });
    timeline.emit({ ...at, type: 'call.ended', reason: 'x1', usage: null });
    expect(await value(metrics, 'parley_calls_total', { status: 'odd' })).toBe(1);
  });

  it('puts each latency of a finished turn in its histogram, in seconds, and skips steps never reached', async () => {
    const { metrics, timeline } = build();
    timeline.emit(turn('completed', { sttFinalDelayMs: 140, endOfUtteranceDelayMs: 450, llmTtftMs: 300, ttsTtfbMs: 100, voiceToVoiceMs: 900 }));
    timeline.emit(turn('completed', { sttFinalDelayMs: 160, endOfUtteranceDelayMs: 650, llmTtftMs: 2500, ttsTtfbMs: 120, voiceToVoiceMs: 3200 }));
    // A typed turn: no speech, so only the model and synthesis steps.
    timeline.emit(turn('interrupted', { llmTtftMs: 200, ttsTtfbMs: 80 }));

    const eou = await histogram(metrics, 'parley_turn_end_of_utterance_seconds');
    expect(eou.count).toBe(2);
    expect(eou.sum).toBeCloseTo(1.1, 9);
    expect(eou.buckets.get(0.5)).toBe(1);
    expect(eou.buckets.get(0.8)).toBe(2);
    const stt = await histogram(metrics, 'parley_turn_stt_final_delay_seconds');
    expect(stt.count).toBe(2);
    expect(stt.sum).toBeCloseTo(0.3, 9);
    const ttft = await histogram(metrics, 'parley_turn_llm_ttft_seconds');
    expect(ttft.count).toBe(3);
    expect(ttft.sum).toBeCloseTo(3.0, 9);
    expect(ttft.buckets.get(0.2)).toBe(1);
    expect(ttft.buckets.get(2)).toBe(2);
    expect(ttft.buckets.get(3)).toBe(3);
    const ttfb = await histogram(metrics, 'parley_turn_tts_ttfb_seconds');
    expect(ttfb.count).toBe(3);
    expect(ttfb.sum).toBeCloseTo(0.3, 9);
    const v2v = await histogram(metrics, 'parley_voice_to_voice_seconds');
    expect(v2v.count).toBe(2);
    expect(v2v.buckets.get(1)).toBe(1);
    expect(v2v.buckets.get(5)).toBe(2);
    expect(await value(metrics, 'parley_turns_total', { outcome: 'completed' })).toBe(2);
    expect(await value(metrics, 'parley_turns_total', { outcome: 'interrupted' })).toBe(1);
  });

  it('counts barge-ins, speculative cancels, caller errors and text fallbacks', async () => {
    const { metrics, timeline } = build();
    timeline.emit({ ...at, type: 'agent.audio_end', turnId: 't1', interrupted: true, playedMs: 500 });
    timeline.emit({ ...at, type: 'agent.audio_end', turnId: 't2', interrupted: false, playedMs: 900 });
    timeline.emit({ ...at, type: 'agent.audio_end', turnId: 't3', interrupted: true, playedMs: 100 });
    timeline.emit({ ...at, type: 'speculative.canceled', turnId: 't4', reason: 'caller resumed speaking' });
    timeline.emit({ ...at, type: 'speculative.canceled', turnId: 't5', reason: 'caller resumed speaking' });
    timeline.emit({ ...at, type: 'speculative.canceled', turnId: 't6', reason: 'more words arrived' });
    timeline.emit({ ...at, type: 'error', code: 'provider_error', message: 'x', recoverable: true });
    timeline.emit({ ...at, type: 'agent.text_fallback', turnId: 't7', chunkId: 0, text: 'hi' });
    expect(await value(metrics, 'parley_interruptions_total')).toBe(2);
    expect(await value(metrics, 'parley_speculative_cancels_total', { reason: 'caller resumed speaking' })).toBe(2);
    expect(await value(metrics, 'parley_speculative_cancels_total', { reason: 'more words arrived' })).toBe(1);
    expect(await value(metrics, 'parley_call_errors_total', { code: 'provider_error' })).toBe(1);
    expect(await value(metrics, 'parley_tts_text_fallbacks_total')).toBe(1);
  });

  it('stops counting a timeline once told to', async () => {
    const { metrics } = build();
    const timeline = new Timeline();
    const stop = metrics.observe(timeline);
    timeline.emit({ ...at, type: 'agent.audio_end', turnId: 't1', interrupted: true, playedMs: 5 });
    stop();
    timeline.emit({ ...at, type: 'agent.audio_end', turnId: 't2', interrupted: true, playedMs: 5 });
    expect(await value(metrics, 'parley_interruptions_total')).toBe(1);
  });

  it('reports provider failures and open circuits', async () => {
    const { metrics, health } = build();
    for (let i = 0; i < 2; i++) health.begin('llm', 'openai')!.fail(new Error('503'));
    expect(health.begin('llm', 'openai')).toBeNull();
    health.begin('tts', 'cartesia')!.succeed();
    expect(await value(metrics, 'parley_provider_events_total', { kind: 'llm', provider: 'openai', event: 'failure' })).toBe(2);
    expect(await value(metrics, 'parley_provider_events_total', { kind: 'llm', provider: 'openai', event: 'rejected' })).toBe(1);
    expect(await value(metrics, 'parley_provider_circuit_state', { kind: 'llm', provider: 'openai' })).toBe(2);
    expect(await value(metrics, 'parley_provider_circuit_state', { kind: 'tts', provider: 'cartesia' })).toBe(0);
  });

  it('adds cost per agent', async () => {
    const { metrics } = build();
    metrics.addCost('support', 0.25);
    metrics.addCost('support', 0.5);
    metrics.addCost('support', 0);
    expect(await value(metrics, 'parley_cost_usd_total', { agent: 'support' })).toBeCloseTo(0.75, 9);
  });

  it('renders the exposition text with every metric family', async () => {
    const { metrics, timeline } = build();
    timeline.emit({ ...at, type: 'call.ended', reason: 'conversation finished', usage: null });
    const { contentType, body } = await metrics.render();
    expect(contentType).toMatch(/^text\/plain/);
    expect(body).toContain('parley_calls_total{status="completed"} 1');
    expect(body).toContain('parley_active_sessions 3');
    for (const name of ['parley_turn_end_of_utterance_seconds', 'parley_turn_stt_final_delay_seconds', 'parley_turn_llm_ttft_seconds', 'parley_turn_tts_ttfb_seconds', 'parley_voice_to_voice_seconds']) {
      expect(body).toContain(`# TYPE ${name} histogram`);
    }
    expect(body).toContain('# TYPE parley_interruptions_total counter');
    expect(body).toContain('# TYPE parley_speculative_cancels_total counter');
    expect(body).toContain('parley_process_nodejs_eventloop_lag_seconds');
    // Optional sources that were not given leave no metric behind.
    expect(body).not.toContain('parley_bus_queued');
    expect(body).not.toContain('parley_webhook_deliveries');
    expect(body).not.toContain('parley_store_write_queue_depth');
  });

  it('stops listening to provider health once closed', async () => {
    const { metrics, health } = build();
    health.begin('stt', 'deepgram')!.succeed();
    metrics.close();
    health.begin('stt', 'deepgram')!.succeed();
    expect(await value(metrics, 'parley_provider_events_total', { kind: 'stt', provider: 'deepgram', event: 'success' })).toBe(1);
  });
});

describe('Metrics: event-loop lag', () => {
  it('reports how late the loop ran in the window since the last scrape, then starts a new window', async () => {
    const { metrics } = build({ eventLoopResolutionMs: 5 });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await sleep(30);
    await samples(metrics, 'parley_event_loop_lag_seconds'); // starts a window
    await sleep(20);
    const until = performance.now() + 200;
    while (performance.now() < until) {
      // the loop is blocked for 200 ms
    }
    await sleep(20);
    const blocked = await samples(metrics, 'parley_event_loop_lag_seconds');
    const stat = (all: Sample[], s: string) => all.find((x) => x.labels.stat === s)?.value;
    expect(stat(blocked, 'max')).toBeGreaterThanOrEqual(0.15);
    expect(stat(blocked, 'p99')).toBeGreaterThanOrEqual(0.15);
    expect(stat(blocked, 'p50')).toBeLessThanOrEqual(stat(blocked, 'max')!);
    // The next window does not hold the blocked stretch any more.
    await sleep(30);
    const after = await samples(metrics, 'parley_event_loop_lag_seconds');
    expect(stat(after, 'max')).toBeLessThan(0.15);
  });
});

describe('Metrics: optional sources', () => {
  it('reads the store queue, the bus and webhook deliveries at scrape time', async () => {
    const bus = new MemoryEventBus<{ n: number }>();
    let queue = { queued: 12, spilled: 4 };
    let webhooks = { pending: 3, failed: 1 };
    const { metrics } = build({ storeQueue: () => queue, bus: () => bus.stats(), webhooks: async () => webhooks });
    bus.publish('c1', { n: 1 });
    bus.publish('c1', { n: 2 });
    expect(await value(metrics, 'parley_store_write_queue_depth')).toBe(12);
    expect(await value(metrics, 'parley_store_spilled_entries')).toBe(4);
    expect(await value(metrics, 'parley_bus_queued')).toBe(0);
    expect(await value(metrics, 'parley_bus_published_total')).toBe(2);
    expect(await value(metrics, 'parley_bus_dropped_total')).toBe(0);
    expect(await value(metrics, 'parley_webhook_deliveries', { status: 'pending' })).toBe(3);
    expect(await value(metrics, 'parley_webhook_deliveries', { status: 'failed' })).toBe(1);

    queue = { queued: 0, spilled: 0 };
    webhooks = { pending: 0, failed: 2 };
    await bus.close();
    bus.publish('c1', { n: 3 }); // refused by a closed bus
    expect(await value(metrics, 'parley_store_write_queue_depth')).toBe(0);
    expect(await value(metrics, 'parley_bus_dropped_total')).toBe(1);
    expect(await value(metrics, 'parley_bus_published_total')).toBe(2);
    expect(await value(metrics, 'parley_webhook_deliveries', { status: 'failed' })).toBe(2);
  });

  it('leaves a failing source out of the scrape and counts the failure', async () => {
    const { metrics } = build({
      storeQueue: () => {
        throw new Error('closed');
      },
      webhooks: async () => {
        throw new Error('database down');
      },
    });
    const { body } = await metrics.render();
    expect(body).toContain('parley_active_calls 3');
    expect(body).not.toMatch(/^parley_store_write_queue_depth /m);
    expect(body).not.toMatch(/^parley_webhook_deliveries\{/m);
    expect(body).toMatch(/^parley_metrics_source_errors_total\{source="webhooks"\} 1$/m);
    expect(body).toMatch(/^parley_metrics_source_errors_total\{source="store_queue"\} 2$/m);
  });
});
