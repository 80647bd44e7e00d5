// An agent's spending budget and the level its spend has reached in one window.
import { z } from 'zod';

/*
 * Configuration shape, all amounts in USD, every field optional:
 *   {
 *     dailyUsd: 5,                                   // soft budget per UTC day
 *     monthlyUsd: 100,                               // soft budget per UTC month
 *     hardLimitUsd: { daily: 8, monthly: 150 },      // no new calls past these
 *   }
 * Per window (day, month): warn at 80 % of the soft budget, downgrade (switch to the cheaper
 * tier) at 100 % of it, blocked at the hard limit. With only a hard limit, warn comes at 80 % of
 * the hard limit and there is no downgrade step. Without a hard limit an agent is never blocked.
 * An agent's level is the higher of its daily and monthly levels.
 */
const positiveUsd = z.number().positive();

export const budgetSchema = z
  .object({
    dailyUsd: positiveUsd.optional(),
    monthlyUsd: positiveUsd.optional(),
    hardLimitUsd: z.object({ daily: positiveUsd.optional(), monthly: positiveUsd.optional() }).strict().optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    // A hard limit below the soft budget would block before the cheaper tier was ever tried.
    if (b.hardLimitUsd?.daily !== undefined && b.dailyUsd !== undefined && b.hardLimitUsd.daily < b.dailyUsd) {
      ctx.addIssue({ code: 'custom', path: ['hardLimitUsd', 'daily'], message: 'must be at least dailyUsd' });
    }
    if (b.hardLimitUsd?.monthly !== undefined && b.monthlyUsd !== undefined && b.hardLimitUsd.monthly < b.monthlyUsd) {
      ctx.addIssue({ code: 'custom', path: ['hardLimitUsd', 'monthly'], message: 'must be at least monthlyUsd' });
    }
  });

/** Budgets by agent name. */
export const budgetsSchema = z.record(z.string().min(1), budgetSchema);

export type Budget = z.infer<typeof budgetSchema>;

export type BudgetLevel = 'ok' | 'warn' | 'downgrade' | 'blocked';

export const BUDGET_LEVELS: readonly BudgetLevel[] = ['ok', 'warn', 'downgrade', 'blocked'];

export const WARN_RATIO = 0.8;

/**
 * Spend is a sum of many small floating-point costs (0.1 added ten times is 0.9999999999999999),
 * so a threshold counts as reached within a billionth of a dollar.
 */
const EPSILON_USD = 1e-9;

export type WindowLevel = {
  level: BudgetLevel;
  /** Spend over the budget that drives warnings (soft, else hard); null without either. */
  ratio: number | null;
};

/** The level `spentUsd` reaches against one window's soft budget and hard limit. */
export function windowLevel(spentUsd: number, softUsd: number | undefined, hardUsd: number | undefined): WindowLevel {
  const reached = (threshold: number) => spentUsd >= threshold - EPSILON_USD;
  const warnBase = softUsd ?? hardUsd;
  const ratio = warnBase === undefined ? null : spentUsd / warnBase;
  if (hardUsd !== undefined && reached(hardUsd)) return { level: 'blocked', ratio };
  if (softUsd !== undefined && reached(softUsd)) return { level: 'downgrade', ratio };
  if (warnBase !== undefined && reached(warnBase * WARN_RATIO)) return { level: 'warn', ratio };
  return { level: 'ok', ratio };
}

export function higherLevel(a: BudgetLevel, b: BudgetLevel): BudgetLevel {
  return BUDGET_LEVELS.indexOf(a) >= BUDGET_LEVELS.indexOf(b) ? a : b;
}
