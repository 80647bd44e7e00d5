// Usage and running cost of one call, per call and per turn.
//
// Attribution: LLM and TTS usage carries the turn it served. STT audio usually cannot: it is
// streamed before anyone knows which turn it will become. So STT audio recorded without a turnId
// is held as pending and handed to the next closeTurn(turnId): the audio that led to that turn.
// Usage of other kinds without a turnId (a greeting, telephony minutes) counts for the call only.
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { DisplayCurrency } from './currency.js';
import { USD } from './currency.js';
import { PriceTable } from './price-table.js';
import type { UsageSnapshot } from './usage-aggregate.js';
import { UsageAggregate } from './usage-aggregate.js';
import type { UsageItem, UsageSink } from './usage-item.js';
import { validateUsageItem } from './usage-item.js';

export type CallUsageOptions = {
  /** Default: a table of DEFAULT_PRICES. */
  prices?: PriceTable;
  /** Default: USD. */
  currency?: DisplayCurrency;
  /** Stamps turn closes and the call's elapsed time. Default: systemClock. */
  clock?: Clock;
  callId?: string;
  agent?: string;
};

export type TurnUsage = UsageSnapshot & {
  turnId: string;
  /** Clock time of closeTurn, or null while the turn has usage but was not closed. */
  closedAt: number | null;
};

export type CallUsageSummary = UsageSnapshot & {
  callId: string | null;
  agent: string | null;
  startedAt: number;
  elapsedMs: number;
  /** Turns with usage, in the order first seen. */
  turnIds: string[];
  /** STT audio recorded since the last closeTurn, not yet attributed to a turn. */
  pendingSttSeconds: number;
};

export type UsageRecordEvent = {
  item: UsageItem;
  usd: number;
  priced: boolean;
  /** The turn the item counts for now; null when pending (STT) or call-level only. */
  turnId: string | null;
  /** The call's running cost after this item. */
  callCostUsd: number;
};

type TurnState = { usage: UsageAggregate; closedAt: number | null };

export class CallUsage implements UsageSink {
  readonly callId: string | null;
  readonly agent: string | null;
  private readonly prices: PriceTable;
  private readonly currency: DisplayCurrency;
  private readonly clock: Clock;
  private readonly startedAt: number;
  private readonly call = new UsageAggregate();
  private pending = new UsageAggregate();
  private readonly turns = new Map<string, TurnState>();
  private readonly listeners = new Set<(event: UsageRecordEvent) => void>();

  constructor(options: CallUsageOptions = {}) {
    this.prices = options.prices ?? new PriceTable();
    this.currency = options.currency ?? USD;
    this.clock = options.clock ?? systemClock;
    this.callId = options.callId ?? null;
    this.agent = options.agent ?? null;
    this.startedAt = this.clock.now();
  }

  /** The call's running cost in USD. */
  get costUsd(): number {
    return this.call.usd;
  }

  /** Throws InvalidUsageError on a malformed item (nothing is counted then). */
  record(item: UsageItem): void {
    validateUsageItem(item);
    const cost = this.prices.cost(item);
    this.call.add(item, cost);
    const turnId = item.turnId ?? null;
    if (turnId !== null) this.turnState(turnId).usage.add(item, cost);
    else if (item.kind === 'stt') this.pending.add(item, cost);
    const event: UsageRecordEvent = { item: { ...item }, usd: cost.usd, priced: cost.priced, turnId, callCostUsd: this.call.usd };
    // State is complete before listeners run, so a listener reading summary() sees this item.
    for (const listener of [...this.listeners]) listener(event);
  }

  /**
   * Marks the end of the user audio that led to `turnId`: pending STT audio now counts for it.
   * Later usage recorded with this turnId (the reply's LLM tokens, TTS characters) still adds up.
   */
  closeTurn(turnId: string): TurnUsage {
    if (typeof turnId !== 'string' || turnId.length === 0) throw new TypeError('closeTurn needs a non-empty turnId');
    const state = this.turnState(turnId);
    state.usage.addAll(this.pending);
    this.pending = new UsageAggregate();
    state.closedAt = this.clock.now();
    return this.turnSnapshot(turnId, state);
  }

  /** Snapshot of one turn, or undefined for a turn with no usage and no close. */
  turn(turnId: string): TurnUsage | undefined {
    const state = this.turns.get(turnId);
    return state ? this.turnSnapshot(turnId, state) : undefined;
  }

  turnIds(): string[] {
    return [...this.turns.keys()];
  }

  summary(): CallUsageSummary {
    return {
      ...this.call.snapshot(this.currency),
      callId: this.callId,
      agent: this.agent,
      startedAt: this.startedAt,
      elapsedMs: this.clock.now() - this.startedAt,
      turnIds: this.turnIds(),
      pendingSttSeconds: this.pending.quantityOf('audio_seconds'),
    };
  }

  /** Follows every recorded item (budgets, live views); returns an unsubscribe function. */
  onRecord(listener: (event: UsageRecordEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private turnState(turnId: string): TurnState {
    let state = this.turns.get(turnId);
    if (!state) {
      state = { usage: new UsageAggregate(), closedAt: null };
      this.turns.set(turnId, state);
    }
    return state;
  }

  private turnSnapshot(turnId: string, state: TurnState): TurnUsage {
    return { ...state.usage.snapshot(this.currency), turnId, closedAt: state.closedAt };
  }
}
