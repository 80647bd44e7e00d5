// Prometheus metrics (prom-client): provider health from the resilience layer, calls and turns from
// session timelines, spend from the budget ledger, event-loop lag, and optional sources (store
// write queue, event bus, webhooks). Served on GET /metrics; docs/observability.md lists them all.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { ProviderHealth } from '../resilience/provider-health.js';
import type { Timeline } from '../session/timeline.js';
import type { BudgetLedger } from '../usage/budget-ledger.js';
import type { BudgetLevel } from '../usage/budget.js';
import { callStatusOf } from '../calls/call-status.js';
import { EventLoopLag } from './event-loop-lag.js';
import { registerSourceMetrics, type OptionalSources } from './source-gauges.js';
import { TurnMetrics } from './turn-metrics.js';

const CIRCUIT_VALUE = { closed: 0, half_open: 1, open: 2 } as const;
const LEVEL_VALUE: Record<BudgetLevel, number> = { ok: 0, warn: 1, downgrade: 2, blocked: 3 };

export type MetricsSources = OptionalSources & {
  health: ProviderHealth;
  ledger: BudgetLedger;
  /** Sessions held by the registry (live calls and calls waiting to be resumed). */
  activeSessions: () => number;
  /** Calls in progress for parley_active_calls; default: activeSessions. */
  activeCalls?: () => number;
  /** The `status` label of parley_calls_total from a call.ended reason; default callStatusOf. */
  callStatus?: (reason: string) => string;
  /** How often the event-loop lag monitor samples, ms (default 10); false: no monitor. */
  eventLoopResolutionMs?: number | false;
};

export class Metrics {
  readonly registry = new Registry();
  private readonly turns: TurnMetrics;
  private readonly calls: Counter<'status'>;
  private readonly interruptions: Counter;
  private readonly speculativeCancels: Counter<'reason'>;
  private readonly costUsd: Counter<'agent'>;
  private readonly callErrors: Counter<'code'>;
  private readonly textFallbacks: Counter;
  private readonly lag: EventLoopLag | null;
  private readonly stopHealth: () => void;
  private readonly callStatus: (reason: string) => string;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    this.callStatus = sources.callStatus ?? callStatusOf;
    collectDefaultMetrics({ register: this.registry, prefix: 'parley_process_' });
    const activeCalls = sources.activeCalls ?? sources.activeSessions;
    new Gauge({ name: 'parley_active_sessions', help: 'Sessions held: calls in progress and calls waiting to be resumed', registers, collect() {
      this.set(sources.activeSessions());
    } });
    new Gauge({ name: 'parley_active_calls', help: 'Calls in progress', registers, collect() {
      this.set(activeCalls());
    } });
    const providerEvents = new Counter({
      name: 'parley_provider_events_total',
      help: 'Provider attempts and outcomes (request, success, failure, rejected by an open circuit, retry, fallback)',
      labelNames: ['kind', 'provider', 'event'] as const,
      registers,
    });
    this.stopHealth = sources.health.onChange((change) => {
      if (change.what !== 'state') providerEvents.inc({ kind: change.entry.kind, provider: change.entry.provider, event: change.what });
    });
    new Gauge({
      name: 'parley_provider_circuit_state',
      help: 'Circuit breaker state per provider: 0 closed, 1 half-open, 2 open',
      labelNames: ['kind', 'provider'] as const,
      registers,
      collect() {
        for (const p of sources.health.snapshot().providers) this.set({ kind: p.kind, provider: p.provider }, CIRCUIT_VALUE[p.circuit.state]);
      },
    });
    new Gauge({
      name: 'parley_provider_latency_seconds',
      help: 'Latest time to first chunk per provider',
      labelNames: ['kind', 'provider'] as const,
      registers,
      collect() {
        for (const p of sources.health.snapshot().providers) {
          if (p.lastLatencyMs !== null) this.set({ kind: p.kind, provider: p.provider }, p.lastLatencyMs / 1000);
        }
      },
    });
    new Gauge({
      name: 'parley_budget_level',
      help: 'Budget level per agent: 0 ok, 1 warn (80 %), 2 downgraded to the cheaper tier, 3 blocked',
      labelNames: ['agent'] as const,
      registers,
      collect() {
        for (const [agent, status] of Object.entries(sources.ledger.snapshot())) this.set({ agent }, LEVEL_VALUE[status.level]);
      },
    });
    this.turns = new TurnMetrics(this.registry);
    this.calls = new Counter({ name: 'parley_calls_total', help: 'Ended calls by status (completed, failed, abandoned)', labelNames: ['status'] as const, registers });
    this.interruptions = new Counter({ name: 'parley_interruptions_total', help: 'Agent replies cut short by the caller (barge-in)', registers });
    this.speculativeCancels = new Counter({
      name: 'parley_speculative_cancels_total',
      help: 'Speculative replies dropped before they were committed, by reason',
      labelNames: ['reason'] as const,
      registers,
    });
    this.costUsd = new Counter({ name: 'parley_cost_usd_total', help: 'Provider cost of calls, USD', labelNames: ['agent'] as const, registers });
    this.callErrors = new Counter({ name: 'parley_call_errors_total', help: 'Errors reported to callers, by code', labelNames: ['code'] as const, registers });
    this.textFallbacks = new Counter({ name: 'parley_tts_text_fallbacks_total', help: 'Reply chunks sent as text because synthesis failed', registers });

    const resolution = sources.eventLoopResolutionMs ?? 10;
    const lag = resolution === false ? null : new EventLoopLag(resolution);
    this.lag = lag;
    if (lag) {
      new Gauge({
        name: 'parley_event_loop_lag_seconds',
        help: 'How late the event loop ran timers since the previous scrape: p50, p99 and max of the window',
        labelNames: ['stat'] as const,
        registers,
        collect() {
          this.reset();
          const window = lag.takeWindow();
          if (!window) return;
          this.set({ stat: 'p50' }, window.p50);
          this.set({ stat: 'p99' }, window.p99);
          this.set({ stat: 'max' }, window.max);
        },
      });
    }
    registerSourceMetrics(this.registry, sources);
  }

  /** Follows one call's timeline; returns the function that stops following it. */
  observe(timeline: Timeline): () => void {
    return timeline.subscribe((e) => {
      switch (e.type) {
        case 'turn.completed':
          this.turns.record(e.turn);
          break;
        case 'agent.audio_end':
          if (e.interrupted) this.interruptions.inc();
          break;
        case 'speculative.canceled':
          this.speculativeCancels.inc({ reason: e.reason });
          break;
        case 'call.ended':
          this.calls.inc({ status: this.callStatus(e.reason) });
          break;
        case 'error':
          this.callErrors.inc({ code: e.code });
          break;
        case 'agent.text_fallback':
          this.textFallbacks.inc();
          break;
      }
    });
  }

  addCost(agent: string, usd: number): void {
    if (usd > 0) this.costUsd.inc({ agent }, usd);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Stops the event-loop monitor and the provider-health listener. */
  close(): void {
    this.lag?.close();
    this.stopHealth();
  }
}
