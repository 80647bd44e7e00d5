// Call control over /v1: dialling validates the target and maps the dialer's refusals to HTTP
// statuses; hang-up, transfer and keypad tones reach the live call's control, are audited, and a
// control that fails answers 409 with its reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callControlRoutes, type CallControlRouteDeps } from '../../../src/api/v1/call-control-routes.js';
import { CallControls } from '../../../src/calls/call-control.js';
import { startApi, type ApiHarness } from './harness.js';

let api: ApiHarness;
let key: string;
let viewerKey: string;
const controls = new CallControls();
const done: string[] = [];
const dials: { tenantId: string; body: unknown }[] = [];
let dialOutcome: (() => Promise<{ callId: string; transport: string }>) | null = null;

const deps: CallControlRouteDeps = {
  async dial(tenantId, body) {
    dials.push({ tenantId, body });
    if (!dialOutcome) throw new Error('no outcome set');
    return dialOutcome();
  },
  live: (callId) => {
    const control = controls.get(callId);
    return control ? { tenantId: 't1', control } : undefined;
  },
};

beforeAll(async () => {
  api = await startApi({ extraRoutes: [callControlRoutes(deps)] });
  ({ key } = await api.keyFor('t1', 'member'));
  ({ key: viewerKey } = await api.keyFor('t1', 'viewer'));
  controls.register('live-1', {
    hangup: async (reason) => void done.push(`hangup:${reason}`),
    transfer: async (target, mode) => void done.push(`transfer:${target}:${mode}`),
    sendDtmf: async (digits) => void done.push(`dtmf:${digits}`),
  });
  controls.register('broken-1', {
    hangup: async () => undefined,
    transfer: async () => {
      throw new Error('the target was busy (SIP 486)');
    },
    sendDtmf: async () => {
      throw new Error('only phone calls can send keypad tones');
    },
  });
});
afterAll(async () => api?.close());

const post = (url: string, payload: object, token = key) => api.call(token, { method: 'POST', url, payload });

describe('POST /v1/calls', () => {
  it('dials with the tenant, the agent and the variables, and answers 201 dialing', async () => {
    dialOutcome = async () => ({ callId: 'c-new', transport: 'sip' });
    const res = await post('/v1/calls', { to: 'sip:bob@127.0.0.1:5070', agent: 'sales', variables: { name: 'Ada' } });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toEqual({ call_id: 'c-new', status: 'dialing', transport: 'sip' });
    expect(dials.at(-1)).toEqual({ tenantId: 't1', body: { to: 'sip:bob@127.0.0.1:5070', agent: 'sales', variables: { name: 'Ada' } } });
    const audit = await api.repository.listAudit('t1', { limit: 10, cursor: null });
    expect(audit.items.map((e) => e.action)).toContain('call.dial');
  });

  it('refuses a target that is neither a number nor a sip: URI, naming the field', async () => {
    const res = await post('/v1/calls', { to: 'bob; rm -rf' });
    expect(res.statusCode).toBe(400);
    expect(JSON.stringify(res.json())).toContain('to');
  });

  it.each([
    [404, 'not_found'],
    [400, 'invalid_request'],
    [502, 'dial_failed'],
    [503, 'unavailable'],
  ])('maps a dialer refusal with status %i to %s', async (status, code) => {
    dialOutcome = async () => {
      throw Object.assign(new Error(`refused ${status}`), { status });
    };
    const res = await post('/v1/calls', { to: '+15550100' });
    expect(res.statusCode).toBe(status);
    expect(res.json().error).toEqual({ code, message: `refused ${status}` });
  });

  it('needs calls:write', async () => {
    const res = await post('/v1/calls', { to: '+15550100' }, viewerKey);
    expect(res.statusCode).toBe(403);
  });
});

describe('controls of a live call', () => {
  it('hangs up, transfers and sends tones through the call control', async () => {
    expect((await post('/v1/calls/live-1/hangup', {})).statusCode).toBe(202);
    expect((await post('/v1/calls/live-1/transfer', { target: 'sip:desk@10.0.0.5', mode: 'warm' })).statusCode).toBe(202);
    expect((await post('/v1/calls/live-1/dtmf', { digits: '12#' })).statusCode).toBe(202);
    expect(done).toEqual(['hangup:hung up through the API', 'transfer:sip:desk@10.0.0.5:warm', 'dtmf:12#']);
  });

  it('answers 404 for a call not live here, and 409 with the reason when the control fails', async () => {
    expect((await post('/v1/calls/gone/hangup', {})).statusCode).toBe(404);
    const transfer = await post('/v1/calls/broken-1/transfer', { target: '+15550100' });
    expect(transfer.statusCode).toBe(409);
    expect(transfer.json().error.message).toBe('the target was busy (SIP 486)');
    const tones = await post('/v1/calls/broken-1/dtmf', { digits: '9' });
    expect(tones.statusCode).toBe(409);
  });

  it('validates digits and transfer modes', async () => {
    expect((await post('/v1/calls/live-1/dtmf', { digits: '12x' })).statusCode).toBe(400);
    expect((await post('/v1/calls/live-1/transfer', { target: '+15550100', mode: 'sideways' })).statusCode).toBe(400);
  });
});
