// /v1/calls: the call list (filters, newest first, cursor pages), one call with everything recorded
// about it, and its transcript as JSON, text or SRT. The recording route is in recording-route.ts.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { notFound } from '../api-error.js';
import { callDetailToJson, callToJson } from './call-json.js';
import { callDoc, commonErrors, errorDoc, pageOf } from './doc-schemas.js';
import { cursorParam, isoTimeParam, limitParam } from './query-params.js';
import { defineRoute } from './route-spec.js';
import { buildTranscript } from './transcript-build.js';
import { TRANSCRIPT_FORMATS, transcriptJson, transcriptSrt, transcriptText } from './transcript-formats.js';
import type { V1Deps } from './v1-deps.js';

const tags = ['calls'];
const idParams = z.object({ id: z.string().min(1).max(200) });

export const callListQuery = z.strictObject({
  agent_id: z.string().min(1).max(200).optional(),
  status: z.enum(['active', 'completed', 'failed', 'abandoned']).optional(),
  /** Calls that started at or after this time. */
  from: isoTimeParam.optional(),
  /** Calls that started before this time. */
  to: isoTimeParam.optional(),
  /** Text in any turn (caller or agent), case-insensitive. */
  q: z.string().trim().min(1).max(200).optional(),
  limit: limitParam(200, 50),
  cursor: cursorParam.optional(),
});

const notFoundDoc = { description: 'no such call', schema: errorDoc };

export function registerCallRoutes(v1: FastifyInstance, deps: V1Deps): void {
  const { repository } = deps;

  defineRoute(v1, {
    method: 'GET',
    url: '/calls',
    summary: 'List calls, newest first',
    tags,
    access: 'calls:read',
    query: callListQuery,
    responses: { 200: { description: 'a page of calls; pass next_cursor as cursor for the next', schema: pageOf(callDoc) }, ...commonErrors },
    async handler({ query, principal }) {
      const page = await repository.listCalls(
        principal.tenantId,
        { agentId: query.agent_id, status: query.status, from: query.from, to: query.to, text: query.q },
        { limit: query.limit, cursor: query.cursor ?? null },
      );
      return { items: page.items.map(callToJson), next_cursor: page.nextCursor };
    },
  });

  defineRoute(v1, {
    method: 'GET',
    url: '/calls/:id',
    summary: 'Get a call with its turns, timeline events, LLM calls, tool calls and telemetry',
    tags,
    access: 'calls:read',
    params: idParams,
    responses: {
      200: {
        description: 'the call and its records',
        schema: z.object({
          call: callDoc,
          turns: z.array(z.record(z.string(), z.unknown())),
          events: z.array(z.object({ seq: z.number(), at: z.string(), type: z.string(), payload: z.unknown() })),
          llm_calls: z.array(z.record(z.string(), z.unknown())),
          tool_calls: z.array(z.record(z.string(), z.unknown())),
          telemetry: z.array(z.record(z.string(), z.unknown())),
        }),
      },
      404: notFoundDoc,
      ...commonErrors,
    },
    async handler({ params, principal }) {
      const detail = await repository.getCall(principal.tenantId, params.id);
      if (!detail) throw notFound('call');
      return callDetailToJson(detail);
    },
  });

  defineRoute(v1, {
    method: 'GET',
    url: '/calls/:id/transcript',
    summary: 'Get what was said in a call: the caller, and what the caller heard of the agent',
    tags,
    access: 'calls:read',
    params: idParams,
    query: z.strictObject({ format: z.enum(TRANSCRIPT_FORMATS).default('json') }),
    responses: {
      200: {
        description: 'JSON segments (format=json), text/plain lines (format=text) or SubRip subtitles (format=srt); times from the call start',
        schema: z.object({
          call_id: z.string(),
          started_at: z.string(),
          segments: z.array(
            z.object({ index: z.number(), speaker: z.enum(['caller', 'agent']), text: z.string(), start_ms: z.number(), end_ms: z.number(), interrupted: z.boolean(), turn_idx: z.number() }),
          ),
        }),
      },
      404: notFoundDoc,
      ...commonErrors,
    },
    async handler({ reply, params, query, principal }) {
      const detail = await repository.getCall(principal.tenantId, params.id);
      if (!detail) throw notFound('call');
      const segments = buildTranscript(detail);
      if (query.format === 'text') return reply.type('text/plain; charset=utf-8').send(transcriptText(segments));
      if (query.format === 'srt') {
        return reply
          .type('application/x-subrip; charset=utf-8')
          .header('content-disposition', `attachment; filename="${detail.call.id.replace(/[^A-Za-z0-9_.-]/g, '_')}.srt"`)
          .send(transcriptSrt(segments));
      }
      return transcriptJson(detail.call.id, detail.call.startedAt, segments);
    },
  });
}
