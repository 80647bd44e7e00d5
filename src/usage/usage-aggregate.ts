// Sums usage by kind/provider/model/unit. A call records many small items (STT audio arrives
// frame by frame), so only running sums are kept, never the items themselves.
import type { DisplayAmount, DisplayCurrency } from './currency.js';
import { USD } from './currency.js';
import type { ItemCost } from './price-table.js';
import type { UsageItem, UsageKind, UsageUnit } from './usage-item.js';

export type UsageLine = {
  kind: UsageKind;
  provider: string;
  model: string;
  unit: UsageUnit;
  quantity: number;
  usd: number;
  priced: boolean;
};

export type UsageTotals = {
  sttSeconds: number;
  llmPromptTokens: number;
  llmCompletionTokens: number;
  ttsCharacters: number;
  telephonyMinutes: number;
};

export type UnpricedUsage = Omit<UsageLine, 'usd' | 'priced'>;

export type UsageSnapshot = {
  /** One line per kind/provider/model/unit, in the order first seen. */
  items: UsageLine[];
  totals: UsageTotals;
  costByKindUsd: Record<UsageKind, number>;
  costUsd: number;
  cost: DisplayAmount;
  /** Usage no price matched: counted as 0 in every cost above. */
  unpriced: UnpricedUsage[];
};

const TOTAL_FIELD: Record<UsageUnit, keyof UsageTotals> = {
  audio_seconds: 'sttSeconds',
  prompt_tokens: 'llmPromptTokens',
  completion_tokens: 'llmCompletionTokens',
  characters: 'ttsCharacters',
  minutes: 'telephonyMinutes',
};

export class UsageAggregate {
  private readonly lines = new Map<string, UsageLine>();
  private runningUsd = 0;

  get usd(): number {
    return this.runningUsd;
  }

  get isEmpty(): boolean {
    return this.lines.size === 0;
  }

  /** Adds one (validated) item with its cost. */
  add(item: UsageItem, cost: ItemCost): void {
    this.addLine({ ...lineKeyOf(item), quantity: item.quantity, usd: cost.usd, priced: cost.priced });
  }

  /** Adds every line of `other` (used to hand pending STT audio to the turn it led to). */
  addAll(other: UsageAggregate): void {
    for (const line of other.lines.values()) this.addLine(line);
  }

  /** The total quantity of one unit across every provider and model. */
  quantityOf(unit: UsageUnit): number {
    let sum = 0;
    for (const line of this.lines.values()) if (line.unit === unit) sum += line.quantity;
    return sum;
  }

  snapshot(currency: DisplayCurrency = USD): UsageSnapshot {
    const totals: UsageTotals = { sttSeconds: 0, llmPromptTokens: 0, llmCompletionTokens: 0, ttsCharacters: 0, telephonyMinutes: 0 };
    const costByKindUsd: Record<UsageKind, number> = { stt: 0, llm: 0, tts: 0, telephony: 0 };
    const items: UsageLine[] = [];
    const unpriced: UnpricedUsage[] = [];
    for (const line of this.lines.values()) {
      items.push({ ...line });
      totals[TOTAL_FIELD[line.unit]] += line.quantity;
      costByKindUsd[line.kind] += line.usd;
      if (!line.priced) {
        unpriced.push({ kind: line.kind, provider: line.provider, model: line.model, unit: line.unit, quantity: line.quantity });
      }
    }
    return { items, totals, costByKindUsd, costUsd: this.runningUsd, cost: currency.display(this.runningUsd), unpriced };
  }

  private addLine(line: UsageLine): void {
    const key = `${line.kind}\u0000${line.provider}\u0000${line.model}\u0000${line.unit}`;
    const existing = this.lines.get(key);
    if (existing) {
      existing.quantity += line.quantity;
      existing.usd += line.usd;
    } else {
      this.lines.set(key, { ...line });
    }
    this.runningUsd += line.usd;
  }
}

function lineKeyOf(item: UsageItem): Pick<UsageLine, 'kind' | 'provider' | 'model' | 'unit'> {
  return { kind: item.kind, provider: item.provider, model: item.model, unit: item.unit };
}
