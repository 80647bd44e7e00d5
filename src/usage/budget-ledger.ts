// Spend per agent per UTC day and UTC month, checked against each agent's budget.
//
// Pure logic: wall time comes from an injected wallNow() and there are no timers. A window rolls
// over the first time an agent is touched (add, status, canStartCall, snapshot, refresh) after
// UTC midnight or the first of the month; call refresh() periodically to hear about roll-overs
// of idle agents. The state is in memory and serialisable (toJSON / fromJSON) for persistence.
import { z } from 'zod';
import type { Budget, BudgetLevel } from './budget.js';
import { budgetSchema, higherLevel, windowLevel } from './budget.js';
import { utcDay, utcMonth, windowOfKey } from './utc-window.js';

export type BudgetLedgerOptions = {
  /** Budgets by agent; agents without one are tracked but never leave 'ok'. */
  budgets?: Record<string, Budget>;
  /** Wall time in ms since the epoch. Default: Date.now. */
  wallNow?: () => number;
};

export type BudgetWindowStatus = {
  /** The window: 'YYYY-MM-DD' (daily) or 'YYYY-MM' (monthly), UTC. */
  window: string;
  spentUsd: number;
  /** The soft budget (downgrade at 100 %), or null. */
  limitUsd: number | null;
  hardLimitUsd: number | null;
  /** spentUsd over the soft budget (over the hard limit when there is no soft one), or null. */
  ratio: number | null;
  level: BudgetLevel;
  /** When this window ends, ms since the epoch. */
  resetsAt: number;
};

export type BudgetStatus = {
  agent: string;
  /** The higher of the daily and monthly levels. */
  level: BudgetLevel;
  daily: BudgetWindowStatus;
  monthly: BudgetWindowStatus;
};

export type StartCallDecision = { ok: true } | { ok: false; reason: string; status: BudgetStatus };

export type LevelChangeListener = (agent: string, from: BudgetLevel, to: BudgetLevel, status: BudgetStatus) => void;

const agentStateSchema = z
  .object({
    day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    daySpentUsd: z.number().min(0),
    month: z.string().regex(/^\d{4}-\d{2}$/),
    monthSpentUsd: z.number().min(0),
    /** The last level reported, so a restart does not announce crossings twice. */
    level: z.enum(['ok', 'warn', 'downgrade', 'blocked']),
  })
  .strict();

export const budgetLedgerStateSchema = z
  .object({
    version: z.literal(1),
    agents: z.record(z.string().min(1), agentStateSchema),
  })
  .strict();

export type BudgetLedgerState = z.infer<typeof budgetLedgerStateSchema>;
type AgentState = z.infer<typeof agentStateSchema>;

export class BudgetLedger {
  private readonly wallNow: () => number;
  private readonly budgets = new Map<string, Budget>();
  private readonly agents = new Map<string, AgentState>();
  private readonly listeners = new Set<LevelChangeListener>();

  constructor(options: BudgetLedgerOptions = {}) {
    this.wallNow = options.wallNow ?? Date.now;
    for (const [agent, budget] of Object.entries(options.budgets ?? {})) this.budgets.set(agent, budgetSchema.parse(budget));
  }

  /** Restores a ledger saved with toJSON(); throws a ZodError on a malformed state. */
  static fromJSON(state: unknown, options: BudgetLedgerOptions = {}): BudgetLedger {
    const parsed = budgetLedgerStateSchema.parse(state);
    const ledger = new BudgetLedger(options);
    for (const [agent, agentState] of Object.entries(parsed.agents)) {
      windowOfKey(agentState.day);
      windowOfKey(agentState.month);
      ledger.agents.set(agent, { ...agentState });
    }
    return ledger;
  }

  toJSON(): BudgetLedgerState {
    const agents: Record<string, AgentState> = {};
    for (const [agent, state] of this.agents) agents[agent] = { ...state };
    return { version: 1, agents };
  }

  /** Sets (or with undefined, removes) an agent's budget; a level change is announced at once. */
  setBudget(agent: string, budget: Budget | undefined): BudgetStatus {
    if (budget === undefined) this.budgets.delete(agent);
    else this.budgets.set(agent, budgetSchema.parse(budget));
    return this.evaluate(agent);
  }

  budgetOf(agent: string): Budget | undefined {
    return this.budgets.get(agent);
  }

  /** Adds spend to the agent's current day and month. */
  add(agent: string, usd: number): BudgetStatus {
    if (typeof usd !== 'number' || !Number.isFinite(usd) || usd < 0) {
      throw new RangeError(`spend must be a finite number of USD >= 0, got ${String(usd)}`);
    }
    // One reading of the wall clock, so spend added just before midnight is not rolled away.
    const now = this.wallNow();
    const state = this.stateOf(agent, now);
    state.daySpentUsd += usd;
    state.monthSpentUsd += usd;
    return this.evaluate(agent, now);
  }

  status(agent: string): BudgetStatus {
    return this.evaluate(agent);
  }

  /** Refused once the agent reached a hard limit in the current day or month. */
  canStartCall(agent: string): StartCallDecision {
    const status = this.evaluate(agent);
    if (status.level !== 'blocked') return { ok: true };
    const reasons: string[] = [];
    if (status.daily.level === 'blocked') reasons.push(limitReason('daily', status.daily));
    if (status.monthly.level === 'blocked') reasons.push(limitReason('monthly', status.monthly));
    return { ok: false, reason: `agent "${agent}" ${reasons.join('; ')}`, status };
  }

  /** Every agent with spend or a budget, windows rolled over to now (for /health). */
  snapshot(): Record<string, BudgetStatus> {
    const out: Record<string, BudgetStatus> = {};
    for (const agent of this.knownAgents()) out[agent] = this.evaluate(agent);
    return out;
  }

  /** Rolls every agent's windows over to now, announcing any level change. */
  refresh(): void {
    for (const agent of this.knownAgents()) this.evaluate(agent);
  }

  /**
   * Called once per level change: a crossing (ok→warn, warn→downgrade, …; a jump over several
   * thresholds is one change) or a drop when a window rolls over. Returns an unsubscribe function.
   */
  onLevelChange(listener: LevelChangeListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private knownAgents(): string[] {
    return [...new Set([...this.agents.keys(), ...this.budgets.keys()])].sort();
  }

  /** The agent's state with its windows rolled over to the current wall time. */
  private stateOf(agent: string, now: number): AgentState {
    let state = this.agents.get(agent);
    if (!state) {
      state = freshState(now);
      this.agents.set(agent, state);
      return state;
    }
    const day = utcDay(now).key;
    const month = utcMonth(now).key;
    // Keys order as strings. Only move forward: a wall clock set back must not wipe spend.
    if (day > state.day) {
      state.day = day;
      state.daySpentUsd = 0;
    }
    if (month > state.month) {
      state.month = month;
      state.monthSpentUsd = 0;
    }
    return state;
  }

  private evaluate(agent: string, now: number = this.wallNow()): BudgetStatus {
    // An agent that never spent is at 'ok' by definition; it gets state only on its first add,
    // so status checks for arbitrary names do not grow the ledger.
    const state = this.agents.has(agent) ? this.stateOf(agent, now) : freshState(now);
    const budget = this.budgets.get(agent) ?? {};
    const daily = windowStatus(state.day, state.daySpentUsd, budget.dailyUsd, budget.hardLimitUsd?.daily);
    const monthly = windowStatus(state.month, state.monthSpentUsd, budget.monthlyUsd, budget.hardLimitUsd?.monthly);
    const status: BudgetStatus = { agent, level: higherLevel(daily.level, monthly.level), daily, monthly };
    const from = state.level;
    if (status.level !== from) {
      // Stored before listeners run: a listener calling back in sees no change to announce again.
      state.level = status.level;
      for (const listener of [...this.listeners]) listener(agent, from, status.level, status);
    }
    return status;
  }
}

function freshState(now: number): AgentState {
  return { day: utcDay(now).key, daySpentUsd: 0, month: utcMonth(now).key, monthSpentUsd: 0, level: 'ok' };
}

function windowStatus(key: string, spentUsd: number, softUsd: number | undefined, hardUsd: number | undefined): BudgetWindowStatus {
  const { level, ratio } = windowLevel(spentUsd, softUsd, hardUsd);
  return {
    window: key,
    spentUsd,
    limitUsd: softUsd ?? null,
    hardLimitUsd: hardUsd ?? null,
    ratio,
    level,
    resetsAt: windowOfKey(key).endsAt,
  };
}

function limitReason(which: 'daily' | 'monthly', window: BudgetWindowStatus): string {
  return `reached its ${which} hard limit of $${window.hardLimitUsd?.toFixed(2)} ($${window.spentUsd.toFixed(2)} spent in ${window.window})`;
}
