// /v1/metrics/summary: calls per UTC day and agent (counts by status, duration, turns, cost) and
// the totals over the rows.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CallSummary } from '../../store/repository.js';
import { commonErrors } from './doc-schemas.js';
import { snakeRow } from './json-case.js';
import { isoTimeParam } from './query-params.js';
import { defineRoute } from './route-spec.js';
import type { V1Deps } from './v1-deps.js';

const rowDoc = z.object({
  day: z.string(),
  agent_id: z.string(),
  calls: z.number(),
  completed: z.number(),
  failed: z.number(),
  abandoned: z.number(),
  active: z.number(),
  total_duration_ms: z.number(),
  turns: z.number(),
  cost_usd: z.number(),
});

export function summaryTotals(rows: CallSummary[]): Record<string, number> {
  const sum = (pick: (r: CallSummary) => number) => rows.reduce((acc, r) => acc + pick(r), 0);
  return {
    calls: sum((r) => r.calls),
    completed: sum((r) => r.completed),
    failed: sum((r) => r.failed),
    abandoned: sum((r) => r.abandoned),
    active: sum((r) => r.active),
    total_duration_ms: sum((r) => r.totalDurationMs),
    turns: sum((r) => r.turns),
    // Summed in micro-dollars so many small costs do not drift.
    cost_usd: Math.round(sum((r) => Math.round(r.costUsd * 1e6))) / 1e6,
  };
}

export function registerSummaryRoutes(v1: FastifyInstance, deps: V1Deps): void {
  defineRoute(v1, {
    method: 'GET',
    url: '/metrics/summary',
    summary: 'Calls per day and agent, with totals',
    tags: ['metrics'],
    access: 'calls:read',
    query: z.strictObject({ agent_id: z.string().min(1).max(200).optional(), from: isoTimeParam.optional(), to: isoTimeParam.optional() }),
    responses: {
      200: { description: 'rows oldest day first, and their totals', schema: z.object({ days: z.array(rowDoc), totals: rowDoc.omit({ day: true, agent_id: true }) }) },
      ...commonErrors,
    },
    async handler({ query, principal }) {
      const rows = await deps.repository.summarizeCalls(principal.tenantId, { agentId: query.agent_id, from: query.from, to: query.to });
      return { days: rows.map((r) => snakeRow(r)), totals: summaryTotals(rows) };
    },
  });
}
