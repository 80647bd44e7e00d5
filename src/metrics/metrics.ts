// Prometheus metrics (prom-client): provider health from the resilience layer, calls and turns from
// session timelines, spend from the budget ledger. Served on GET /metrics.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ProviderHealth } from '../resilience/provider-health.js';
import type { Timeline } from '../session/timeline.js';
import type { BudgetLedger } from '../usage/budget-ledger.js';
import type { BudgetLevel } from '../usage/budget.js';

const CIRCUIT_VALUE = { closed: 0, half_open: 1, open: 2 } as const;
const LEVEL_VALUE: Record<BudgetLevel, number> = { ok: 0, warn: 1, downgrade: 2, blocked: 3 };

export type MetricsSources = {
  health: ProviderHealth;
  ledger: BudgetLedger;
  activeSessions: () => number;
};

export class Metrics {
  readonly registry = new Registry();
  private readonly turns: Counter<'outcome'>;
  private readonly voiceToVoice: Histogram;
  private readonly costUsd: Counter<'agent'>;
  private readonly providerErrors: Counter<'code'>;
  private readonly textFallbacks: Counter;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'parley_process_' });
    new Gauge({ name: 'parley_active_sessions', help: 'Calls in progress', registers, collect() {
      this.set(sources.activeSessions());
    } });
    const providerEvents = new Counter({
      name: 'parley_provider_events_total',
      help: 'Provider attempts and outcomes (request, success, failure, rejected by an open circuit, retry, fallback)',
      labelNames: ['kind', 'provider', 'event'] as const,
      registers,
    });
    sources.health.onChange((change) => {
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
    this.turns = new Counter({ name: 'parley_turns_total', help: 'Finished turns by outcome', labelNames: ['outcome'] as const, registers });
    this.voiceToVoice = new Histogram({
      name: 'parley_voice_to_voice_seconds',
      help: 'From the end of the caller speech to the first agent audio sent',
      buckets: [0.3, 0.5, 0.75, 1, 1.25, 1.5, 2, 3, 5],
      registers,
    });
    this.costUsd = new Counter({ name: 'parley_cost_usd_total', help: 'Provider cost of calls, USD', labelNames: ['agent'] as const, registers });
    this.providerErrors = new Counter({ name: 'parley_call_errors_total', help: 'Errors reported to callers, by code', labelNames: ['code'] as const, registers });
    this.textFallbacks = new Counter({ name: 'parley_tts_text_fallbacks_total', help: 'Reply chunks sent as text because synthesis failed', registers });
  }

  /** Follows one call's timeline. */
  observe(timeline: Timeline): void {
    timeline.subscribe((e) => {
      if (e.type === 'turn.completed') {
        this.turns.inc({ outcome: e.turn.outcome });
        if (e.turn.latencies.voiceToVoiceMs !== null) this.voiceToVoice.observe(e.turn.latencies.voiceToVoiceMs / 1000);
      } else if (e.type === 'error') {
        this.providerErrors.inc({ code: e.code });
      } else if (e.type === 'agent.text_fallback') {
        this.textFallbacks.inc();
      }
    });
  }

  addCost(agent: string, usd: number): void {
    if (usd > 0) this.costUsd.inc({ agent }, usd);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
