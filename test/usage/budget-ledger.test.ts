import { describe, expect, it } from 'vitest';
import type { BudgetLevel, BudgetStatus } from '../../src/usage/index.js';
import { BudgetLedger, CallUsage, PriceTable, budgetSchema, budgetsSchema } from '../../src/usage/index.js';

/** A settable wall clock. */
function wall(iso: string) {
  let now = Date.parse(iso);
  return {
    now: () => now,
    set: (next: string) => {
      now = Date.parse(next);
    },
  };
}

type Change = [agent: string, from: BudgetLevel, to: BudgetLevel];

function recordChanges(ledger: BudgetLedger): { changes: Change[]; statuses: BudgetStatus[] } {
  const changes: Change[] = [];
  const statuses: BudgetStatus[] = [];
  ledger.onLevelChange((agent, from, to, status) => {
    changes.push([agent, from, to]);
    statuses.push(status);
  });
  return { changes, statuses };
}

describe('BudgetLedger thresholds', () => {
  it('warns at 80 %, downgrades at 100 %, blocks at the hard limit, each crossing announced once', () => {
    const clock = wall('2025-03-10T12:00:00Z');
    const ledger = new BudgetLedger({ wallNow: clock.now, budgets: { support: { dailyUsd: 10, hardLimitUsd: { daily: 15 } } } });
    const { changes, statuses } = recordChanges(ledger);
    const levels: BudgetLevel[] = [];
    for (const usd of [7.9, 0.1, 1, 0.99, 0.01, 4, 0.99, 0.01, 3]) levels.push(ledger.add('support', usd).level);
    expect(levels).toEqual(['ok', 'warn', 'warn', 'warn', 'downgrade', 'downgrade', 'downgrade', 'blocked', 'blocked']);
    expect(changes).toEqual([
      ['support', 'ok', 'warn'],
      ['support', 'warn', 'downgrade'],
      ['support', 'downgrade', 'blocked'],
    ]);
    expect(statuses[0].daily).toEqual({
      window: '2025-03-10',
      spentUsd: expect.closeTo(8, 9),
      limitUsd: 10,
      hardLimitUsd: 15,
      ratio: expect.closeTo(0.8, 9),
      level: 'warn',
      resetsAt: Date.parse('2025-03-11T00:00:00Z'),
    });
    expect(statuses[2].level).toBe('blocked');
    expect(ledger.status('support').level).toBe('blocked');
    expect(changes).toHaveLength(3);
  });

  it('reaches a threshold despite floating-point sums (0.1 × 8 is 80 % of $1)', () => {
    const ledger = new BudgetLedger({ wallNow: () => Date.parse('2025-03-10T12:00:00Z'), budgets: { a: { dailyUsd: 1 } } });
    const levels: BudgetLevel[] = [];
    for (let i = 0; i < 10; i++) levels.push(ledger.add('a', 0.1).level);
    expect(levels).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'warn', 'warn', 'downgrade']);
  });

  it('announces a jump over several thresholds as one change', () => {
    const ledger = new BudgetLedger({ wallNow: () => Date.parse('2025-03-10T12:00:00Z'), budgets: { a: { dailyUsd: 1, hardLimitUsd: { daily: 2 } } } });
    const { changes } = recordChanges(ledger);
    ledger.add('a', 5);
    expect(changes).toEqual([['a', 'ok', 'blocked']]);
  });

  it('with only a hard limit, warns at 80 % of it and has no downgrade step', () => {
    const ledger = new BudgetLedger({ wallNow: () => Date.parse('2025-03-10T12:00:00Z'), budgets: { a: { hardLimitUsd: { monthly: 50 } } } });
    expect(ledger.add('a', 39).level).toBe('ok');
    expect(ledger.add('a', 1).level).toBe('warn');
    expect(ledger.add('a', 9.99).level).toBe('warn');
    const status = ledger.add('a', 0.01);
    expect(status.level).toBe('blocked');
    expect(status.monthly).toMatchObject({ window: '2025-03', limitUsd: null, hardLimitUsd: 50, ratio: expect.closeTo(1, 9), level: 'blocked' });
    expect(status.daily).toMatchObject({ limitUsd: null, hardLimitUsd: null, ratio: null, level: 'ok' });
  });

  it('never blocks without a hard limit, and takes the higher of the daily and monthly levels', () => {
    const ledger = new BudgetLedger({ wallNow: () => Date.parse('2025-03-10T12:00:00Z'), budgets: { a: { dailyUsd: 100, monthlyUsd: 10 } } });
    const status = ledger.add('a', 1000);
    expect(status.level).toBe('downgrade');
    expect(status.daily.level).toBe('downgrade');
    expect(status.monthly.ratio).toBeCloseTo(100, 9);
    expect(ledger.canStartCall('a')).toEqual({ ok: true });
    expect(ledger.add('b', 1e6).level).toBe('ok'); // no budget at all
  });
});

describe('BudgetLedger windows', () => {
  it('rolls the day over at UTC midnight and announces the drop once', () => {
    const clock = wall('2025-03-10T23:59:59.999Z');
    const ledger = new BudgetLedger({ wallNow: clock.now, budgets: { a: { dailyUsd: 10, monthlyUsd: 100 } } });
    const { changes } = recordChanges(ledger);
    ledger.add('a', 10);
    expect(changes).toEqual([['a', 'ok', 'downgrade']]);
    clock.set('2025-03-11T00:00:00.000Z');
    const status = ledger.status('a');
    expect(status.level).toBe('ok');
    expect(status.daily).toMatchObject({ window: '2025-03-11', spentUsd: 0 });
    expect(status.monthly).toMatchObject({ window: '2025-03', spentUsd: 10, level: 'ok' });
    ledger.status('a');
    expect(changes).toEqual([
      ['a', 'ok', 'downgrade'],
      ['a', 'downgrade', 'ok'],
    ]);
    // The new day's crossings are announced again, once each.
    ledger.add('a', 8);
    ledger.add('a', 1);
    expect(changes.slice(2)).toEqual([['a', 'ok', 'warn']]);
  });

  it('keeps the monthly level across days and resets it at the start of the month', () => {
    const clock = wall('2025-01-05T10:00:00Z');
    const ledger = new BudgetLedger({ wallNow: clock.now, budgets: { a: { monthlyUsd: 100, dailyUsd: 50 } } });
    const { changes } = recordChanges(ledger);
    ledger.add('a', 45);
    clock.set('2025-01-20T10:00:00Z');
    ledger.add('a', 40); // 85 this month, 40 today
    expect(changes).toEqual([['a', 'ok', 'warn']]);
    clock.set('2025-01-31T23:59:59Z');
    const lastDay = ledger.status('a');
    expect(lastDay.monthly).toMatchObject({ spentUsd: 85, level: 'warn', resetsAt: Date.parse('2025-02-01T00:00:00Z') });
    expect(lastDay.daily.spentUsd).toBe(0);
    expect(changes).toHaveLength(1);
    clock.set('2025-02-01T00:00:00Z');
    expect(ledger.status('a').monthly).toMatchObject({ window: '2025-02', spentUsd: 0, level: 'ok' });
    expect(changes).toEqual([
      ['a', 'ok', 'warn'],
      ['a', 'warn', 'ok'],
    ]);
  });

  it('drops from downgrade to the monthly level when only the day rolls over', () => {
    const clock = wall('2025-06-30T20:00:00Z');
    const ledger = new BudgetLedger({ wallNow: clock.now, budgets: { a: { dailyUsd: 10, monthlyUsd: 12 } } });
    const { changes } = recordChanges(ledger);
    ledger.add('a', 10);
    clock.set('2025-06-30T23:00:00Z');
    ledger.add('a', 0); // still the same day
    clock.set('2025-07-01T00:00:01Z');
    ledger.add('a', 9.6); // new day and new month: 96 % of the daily budget only
    expect(changes).toEqual([
      ['a', 'ok', 'downgrade'],
      ['a', 'downgrade', 'warn'],
    ]);
  });

  it('refresh() announces roll-overs of idle agents', () => {
    const clock = wall('2025-03-10T12:00:00Z');
    const ledger = new BudgetLedger({ wallNow: clock.now, budgets: { a: { dailyUsd: 1 }, b: { dailyUsd: 1 } } });
    const { changes } = recordChanges(ledger);
    ledger.add('a', 1);
    ledger.add('b', 0.9);
    clock.set('2025-03-11T00:00:00Z');
    ledger.refresh();
    ledger.refresh();
    expect(changes).toEqual([
      ['a', 'ok', 'downgrade'],
      ['b', 'ok', 'warn'],
      ['a', 'downgrade', 'ok'],
      ['b', 'warn', 'ok'],
    ]);
  });

  it('reads the wall clock once per add, so spend at 23:59:59.999 is not rolled away by its own check', () => {
    const times = ['2025-03-10T23:59:59.999Z', '2025-03-11T00:00:00.000Z'].map((t) => Date.parse(t));
    let reads = 0;
    const ledger = new BudgetLedger({ wallNow: () => times[Math.min(reads++, times.length - 1)], budgets: { a: { dailyUsd: 10 } } });
    const status = ledger.add('a', 10);
    expect(status.daily).toMatchObject({ window: '2025-03-10', spentUsd: 10, level: 'downgrade' });
    expect(ledger.status('a').daily).toMatchObject({ window: '2025-03-11', spentUsd: 0, level: 'ok' });
  });

  it('does not wipe spend when the wall clock is set back', () => {
    const clock = wall('2025-03-10T12:00:00Z');
    const ledger = new BudgetLedger({ wallNow: clock.now, budgets: { a: { dailyUsd: 10 } } });
    ledger.add('a', 9);
    clock.set('2025-03-09T23:00:00Z');
    const status = ledger.add('a', 1);
    expect(status.daily).toMatchObject({ window: '2025-03-10', spentUsd: 10, level: 'downgrade' });
  });
});

describe('BudgetLedger.canStartCall', () => {
  it('refuses new calls at a hard limit with a reason, and allows them again in the next window', () => {
    const clock = wall('2025-03-10T12:00:00Z');
    const ledger = new BudgetLedger({ wallNow: clock.now, budgets: { support: { dailyUsd: 1, hardLimitUsd: { daily: 2, monthly: 2.5 } } } });
    ledger.add('support', 1.99);
    expect(ledger.canStartCall('support')).toEqual({ ok: true });
    ledger.add('support', 0.02);
    const refused = ledger.canStartCall('support');
    expect(refused.ok).toBe(false);
    if (refused.ok) throw new Error('unreachable');
    expect(refused.reason).toBe('agent "support" reached its daily hard limit of $2.00 ($2.01 spent in 2025-03-10)');
    expect(refused.status.level).toBe('blocked');

    clock.set('2025-03-11T08:00:00Z');
    expect(ledger.canStartCall('support')).toEqual({ ok: true });
    ledger.add('support', 0.5); // month now 2.51: past the monthly hard limit, day at 0.5
    const monthly = ledger.canStartCall('support');
    expect(monthly.ok).toBe(false);
    if (monthly.ok) throw new Error('unreachable');
    expect(monthly.reason).toMatch(/monthly hard limit of \$2\.50 \(\$2\.51 spent in 2025-03\)/);
    expect(monthly.reason).not.toMatch(/daily/);
    expect(ledger.canStartCall('someone-else')).toEqual({ ok: true });
  });

  it('follows a call’s running cost through CallUsage.onRecord', () => {
    const ledger = new BudgetLedger({ wallNow: () => Date.parse('2025-03-10T12:00:00Z'), budgets: { a: { dailyUsd: 0.04, hardLimitUsd: { daily: 0.05 } } } });
    const { changes } = recordChanges(ledger);
    const usage = new CallUsage({ prices: new PriceTable({ tts: { 'elevenlabs/*': { perMillionCharsUsd: 50 } } }), agent: 'a' });
    usage.onRecord((event) => ledger.add('a', event.usd));
    for (let i = 0; i < 10; i++) usage.record({ kind: 'tts', provider: 'elevenlabs', model: 'eleven_flash_v2_5', unit: 'characters', quantity: 100, turnId: `t${i}` });
    expect(changes).toEqual([
      ['a', 'ok', 'warn'],
      ['a', 'warn', 'downgrade'],
      ['a', 'downgrade', 'blocked'],
    ]);
    expect(ledger.canStartCall('a').ok).toBe(false);
    expect(ledger.status('a').daily.spentUsd).toBeCloseTo(usage.costUsd, 12);
  });
});

describe('BudgetLedger state', () => {
  it('round-trips through JSON without announcing crossings again', () => {
    const clock = wall('2025-03-10T12:00:00Z');
    const budgets = { a: { dailyUsd: 10, hardLimitUsd: { daily: 20 } }, b: { monthlyUsd: 100 } };
    const ledger = new BudgetLedger({ wallNow: clock.now, budgets });
    ledger.add('a', 12);
    ledger.add('b', 30);
    ledger.add('c', 1.25);
    const json = JSON.parse(JSON.stringify(ledger));
    expect(json).toEqual({
      version: 1,
      agents: {
        a: { day: '2025-03-10', daySpentUsd: 12, month: '2025-03', monthSpentUsd: 12, level: 'downgrade' },
        b: { day: '2025-03-10', daySpentUsd: 30, month: '2025-03', monthSpentUsd: 30, level: 'ok' },
        c: { day: '2025-03-10', daySpentUsd: 1.25, month: '2025-03', monthSpentUsd: 1.25, level: 'ok' },
      },
    });

    const restored = BudgetLedger.fromJSON(json, { wallNow: clock.now, budgets });
    const { changes } = recordChanges(restored);
    expect(restored.snapshot()).toEqual(ledger.snapshot());
    restored.add('a', 1); // still downgrade: nothing to announce
    restored.add('b', 50); // 80 of 100: a new crossing
    expect(changes).toEqual([['b', 'ok', 'warn']]);
    expect(restored.toJSON().agents.a.daySpentUsd).toBe(13);

    // Restored into a later day, the old day's spend is gone and the drop is announced.
    clock.set('2025-03-12T00:00:00Z');
    const later = BudgetLedger.fromJSON(json, { wallNow: clock.now, budgets });
    const laterChanges = recordChanges(later).changes;
    expect(later.status('a')).toMatchObject({ level: 'ok', daily: { window: '2025-03-12', spentUsd: 0 }, monthly: { spentUsd: 12 } });
    expect(laterChanges).toEqual([['a', 'downgrade', 'ok']]);
  });

  it('rejects malformed state', () => {
    const good = { version: 1, agents: { a: { day: '2025-03-10', daySpentUsd: 1, month: '2025-03', monthSpentUsd: 1, level: 'ok' } } };
    expect(() => BudgetLedger.fromJSON(good)).not.toThrow();
    const bad = (patch: Record<string, unknown>) => ({ ...good, agents: { a: { ...good.agents.a, ...patch } } });
    expect(() => BudgetLedger.fromJSON(bad({ daySpentUsd: -1 }))).toThrow();
    expect(() => BudgetLedger.fromJSON(bad({ day: '2025-02-30' }))).toThrow(/not a UTC day or month key/);
    expect(() => BudgetLedger.fromJSON(bad({ month: '2025-13' }))).toThrow();
    expect(() => BudgetLedger.fromJSON(bad({ level: 'panic' }))).toThrow();
    expect(() => BudgetLedger.fromJSON({ ...good, version: 2 })).toThrow();
    expect(() => BudgetLedger.fromJSON('nonsense')).toThrow();
  });

  it('snapshots agents with spend or a budget, not names merely asked about', () => {
    const ledger = new BudgetLedger({ wallNow: () => Date.parse('2025-03-10T12:00:00Z'), budgets: { a: { dailyUsd: 1 } } });
    ledger.add('b', 0.5);
    expect(ledger.status('nobody').level).toBe('ok');
    expect(ledger.canStartCall('nobody-either')).toEqual({ ok: true });
    const snapshot = ledger.snapshot();
    expect(Object.keys(snapshot)).toEqual(['a', 'b']);
    expect(snapshot.a).toMatchObject({ agent: 'a', level: 'ok', daily: { spentUsd: 0, limitUsd: 1, ratio: 0 } });
    expect(snapshot.b).toMatchObject({ agent: 'b', level: 'ok', daily: { spentUsd: 0.5, limitUsd: null, ratio: null } });
  });

  it('announces a level change caused by a budget change', () => {
    const ledger = new BudgetLedger({ wallNow: () => Date.parse('2025-03-10T12:00:00Z') });
    const { changes } = recordChanges(ledger);
    ledger.add('a', 5);
    ledger.setBudget('a', { dailyUsd: 5 });
    ledger.setBudget('a', { dailyUsd: 5 });
    ledger.setBudget('a', undefined);
    expect(changes).toEqual([
      ['a', 'ok', 'downgrade'],
      ['a', 'downgrade', 'ok'],
    ]);
    expect(ledger.budgetOf('a')).toBeUndefined();
  });

  it('rejects bad spend and bad budgets', () => {
    const ledger = new BudgetLedger({ wallNow: () => Date.parse('2025-03-10T12:00:00Z') });
    expect(() => ledger.add('a', -0.01)).toThrow(RangeError);
    expect(() => ledger.add('a', Number.NaN)).toThrow(RangeError);
    expect(() => ledger.add('a', Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(ledger.status('a').daily.spentUsd).toBe(0);
    expect(budgetSchema.safeParse({ dailyUsd: 10, hardLimitUsd: { daily: 5 } }).success).toBe(false);
    expect(budgetSchema.safeParse({ monthlyUsd: 10, hardLimitUsd: { monthly: 9.99 } }).success).toBe(false);
    expect(budgetSchema.safeParse({ dailyUsd: 0 }).success).toBe(false);
    expect(budgetSchema.safeParse({ dailyUsd: 5, weeklyUsd: 1 }).success).toBe(false);
    expect(budgetSchema.safeParse({ dailyUsd: 5, hardLimitUsd: { daily: 5 } }).success).toBe(true);
    expect(budgetsSchema.safeParse({ '': { dailyUsd: 1 } }).success).toBe(false);
    expect(() => new BudgetLedger({ budgets: { a: { dailyUsd: -1 } } })).toThrow();
  });
});
