// Call control over the API: place an outbound phone call with an agent, and hang up, transfer or
// send keypad tones on a live call. A live call is one this process carries; the others answer 404
// like a call of another tenant, since nothing can be done to them from here.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { CallControl } from '../../calls/call-control.js';
import { ApiError, notFound } from '../api-error.js';
import { audit } from './audit.js';
import { commonErrors, errorDoc } from './doc-schemas.js';
import { defineRoute } from './route-spec.js';

const tags = ['calls'];
const idParams = z.object({ id: z.string().min(1).max(200) });
const phoneNumber = /^\+?[0-9*#]{2,32}$/;
const sipUri = /^sips?:[^\s<>"]{3,256}$/i;
const target = z
  .string()
  .trim()
  .refine((t) => phoneNumber.test(t) || sipUri.test(t), 'must be a phone number (E.164, e.g. +15551234567) or a sip: URI');

export const dialBody = z.strictObject({
  to: target,
  /** Caller id; default the transport's configured one. */
  from: z.string().trim().min(1).max(256).optional(),
  transport: z.enum(['sip', 'twilio']).optional(),
  /** Agent name or id; default the tenant's default agent. */
  agent: z.string().min(1).max(200).optional(),
  /** Values for `{{name}}` placeholders in the agent's prompt and greeting. */
  variables: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), z.string().max(2000)).default({}),
});

export type CallControlRouteDeps = {
  /** Places the call; rejects with an error carrying `status` (400, 404, 502, 503) when it cannot. */
  dial(tenantId: string, body: z.output<typeof dialBody>): Promise<{ callId: string; transport: string }>;
  /** The control of a live call in this process, with its tenant. */
  live(callId: string): { tenantId: string; control: CallControl } | undefined;
};

const accepted = { description: 'accepted: the call carries it out', schema: z.object({ call_id: z.string(), status: z.string() }) };
const notLive = { description: 'no such live call here', schema: errorDoc };

export function callControlRoutes(deps: CallControlRouteDeps): (v1: FastifyInstance) => void {
  return (v1) => {
    defineRoute(v1, {
      method: 'POST',
      url: '/calls',
      summary: 'Place an outbound phone call with an agent (SIP or Twilio)',
      tags,
      access: 'calls:write',
      body: dialBody,
      responses: {
        201: { description: 'dialling; the call is stored under call_id once it connects', schema: z.object({ call_id: z.string(), status: z.literal('dialing'), transport: z.string() }) },
        ...commonErrors,
      },
      async handler({ request, reply, body, principal }) {
        let placed: { callId: string; transport: string };
        try {
          placed = await deps.dial(principal.tenantId, body);
        } catch (err) {
          const status = (err as { status?: number }).status;
          const message = err instanceof Error ? err.message : String(err);
          if (status === 404) throw new ApiError(404, 'not_found', message);
          if (status === 400) throw new ApiError(400, 'invalid_request', message);
          if (status === 502) throw new ApiError(502, 'dial_failed', message);
          if (status === 503) throw new ApiError(503, 'unavailable', message);
          throw err;
        }
        await audit(request, 'call.dial', 'call', placed.callId, { to: body.to, transport: placed.transport, agent: body.agent ?? null });
        return reply.code(201).send({ call_id: placed.callId, status: 'dialing', transport: placed.transport });
      },
    });

    const control = (tenantId: string, callId: string): CallControl => {
      const live = deps.live(callId);
      if (!live || live.tenantId !== tenantId) throw notFound('live call');
      return live.control;
    };
    const failed = (err: unknown) => new ApiError(409, 'call_control_failed', err instanceof Error ? err.message : String(err));

    defineRoute(v1, {
      method: 'POST',
      url: '/calls/:id/hangup',
      summary: 'Hang up a live call (after what the agent is saying)',
      tags,
      access: 'calls:write',
      params: idParams,
      body: z.strictObject({ reason: z.string().trim().min(1).max(200).default('hung up through the API') }).prefault({}),
      responses: { 202: accepted, 404: notLive, ...commonErrors },
      async handler({ request, reply, params, body, principal }) {
        await control(principal.tenantId, params.id).hangup(body.reason).catch((err: unknown) => {
          throw failed(err);
        });
        await audit(request, 'call.hangup', 'call', params.id, { reason: body.reason });
        return reply.code(202).send({ call_id: params.id, status: 'ending' });
      },
    });

    defineRoute(v1, {
      method: 'POST',
      url: '/calls/:id/transfer',
      summary: 'Transfer a live phone call to a number or SIP URI (blind, or warm: bridged once the target answers)',
      tags,
      access: 'calls:write',
      params: idParams,
      body: z.strictObject({ target, mode: z.enum(['blind', 'warm']).default('blind') }),
      responses: { 202: accepted, 404: notLive, 409: { description: 'the transfer failed', schema: errorDoc }, ...commonErrors },
      async handler({ request, reply, params, body, principal }) {
        const call = control(principal.tenantId, params.id);
        await call.transfer(body.target, body.mode).catch((err: unknown) => {
          throw failed(err);
        });
        await audit(request, 'call.transfer', 'call', params.id, { target: body.target, mode: body.mode });
        return reply.code(202).send({ call_id: params.id, status: 'transferred' });
      },
    });

    defineRoute(v1, {
      method: 'POST',
      url: '/calls/:id/dtmf',
      summary: 'Send keypad tones (DTMF) on a live phone call',
      tags,
      access: 'calls:write',
      params: idParams,
      body: z.strictObject({ digits: z.string().regex(/^[0-9*#A-D]{1,32}$/, 'digits 0-9, *, #, A-D (1 to 32)') }),
      responses: { 202: accepted, 404: notLive, 409: { description: 'the tones could not be sent', schema: errorDoc }, ...commonErrors },
      async handler({ request, reply, params, body, principal }) {
        await control(principal.tenantId, params.id).sendDtmf(body.digits).catch((err: unknown) => {
          throw failed(err);
        });
        await audit(request, 'call.dtmf', 'call', params.id, { digits: body.digits.length });
        return reply.code(202).send({ call_id: params.id, status: 'sent' });
      },
    });
  };
}
