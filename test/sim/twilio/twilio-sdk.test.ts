// The official `twilio` SDK pointed at the simulator (its API domain's base URL): if Twilio's own
// client is satisfied with the simulator's Calls API, the simulator and Twilio's docs agree.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimServer, type SimServer } from '../../../sim/sim-server.js';
import { twilioSim } from '../../../sim/twilio/twilio-sim.js';

let sim: SimServer;
let app: Server;
let appUrl: string;
const served: Array<{ url: string; signature: string | undefined; params: Record<string, string> }> = [];

beforeAll(async () => {
  sim = await startSimServer();
  // The customer's application: answers every call with <Say> then <Hangup>, after checking the
  // simulator's signature with the SDK's own validator.
  app = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(body));
      const url = `${appUrl}${req.url}`;
      const signature = req.headers['x-twilio-signature'] as string | undefined;
      served.push({ url, signature, params });
      if (!twilio.validateRequest(sim.control.keys.twilio, signature ?? '', url, params)) {
        res.writeHead(403).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/xml' }).end('<?xml version="1.0"?><Response><Say>Hello from the app</Say><Pause length="1"/><Hangup/></Response>');
    });
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await sim.close();
  await new Promise<void>((resolve) => app.close(() => resolve()));
});

function client(authToken = sim.control.keys.twilio) {
  const c = twilio(twilioSim(sim.control).accountSid, authToken);
  c.api.baseUrl = sim.httpUrl;
  return c;
}

describe('twilio SDK against the simulator', () => {
  it('creates a call that fetches its TwiML (signed), runs it and completes; fetch reads it', async () => {
    const created = await client().calls.create({ to: '+15551230001', from: '+15559870000', url: `${appUrl}/voice?x=1` });
    expect(created.sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(created.status).toBe('queued');
    expect(created.direction).toBe('outbound-api');
    expect(created.accountSid).toBe(twilioSim(sim.control).accountSid);
    expect(created.dateCreated).toBeInstanceOf(Date);
    const call = twilioSim(sim.control).calls.get(created.sid)!;
    await twilioSim(sim.control).waitFor(() => (call.status === 'completed' ? true : undefined));
    expect(call.said).toEqual(['Hello from the app']);
    expect(call.errors).toEqual([]);
    const hit = served.find((s) => s.params.CallSid === created.sid)!;
    expect(hit.url).toBe(`${appUrl}/voice?x=1`);
    expect(hit.params).toMatchObject({ Direction: 'outbound-api', To: '+15551230001', From: '+15559870000', CallStatus: 'in-progress' });
    const fetched = await client().calls(created.sid).fetch();
    expect(fetched.status).toBe('completed');
    expect(fetched.endTime).toBeInstanceOf(Date);
    expect(fetched.duration).toMatch(/^\d+$/);
  });

  it('completes a live call through update({status}) and answers its state', async () => {
    const created = await client().calls.create({ to: '+15551230002', from: '+15559870000', twiml: '<Response><Dial>+15550001111</Dial></Response>' });
    const sim_ = twilioSim(sim.control);
    const call = sim_.calls.get(created.sid)!;
    await sim_.waitFor(() => (call.dialed.length > 0 ? true : undefined));
    expect((await client().calls(created.sid).fetch()).status).toBe('in-progress');
    const updated = await client().calls(created.sid).update({ status: 'completed' });
    expect(updated.status).toBe('completed');
    expect((await client().calls(created.sid).fetch()).status).toBe('completed');
  });

  it('reports Twilio errors the SDK turns into RestException with code and status', async () => {
    const missing = await client()
      .calls('CA00000000000000000000000000000000')
      .fetch()
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(twilio.RestException);
    expect(missing).toMatchObject({ status: 404, code: 20404 });
    const badAuth = await client('wrong-token')
      .calls.create({ to: '+1555', from: '+1555', url: `${appUrl}/voice` })
      .catch((e: unknown) => e);
    expect(badAuth).toMatchObject({ status: 401, code: 20003 });
    const noUrl = await client()
      .calls.create({ to: '+15551230003', from: '+15559870000' } as never)
      .catch((e: unknown) => e);
    expect(noUrl).toMatchObject({ status: 400, code: 21205 });
    const ended = await client().calls.create({ to: '+15551230004', from: '+15559870000', twiml: '<Response><Hangup/></Response>' });
    await twilioSim(sim.control).waitFor(() => (twilioSim(sim.control).calls.get(ended.sid)!.status === 'completed' ? true : undefined));
    const late = await client()
      .calls(ended.sid)
      .update({ twiml: '<Response><Say>hi</Say></Response>' })
      .catch((e: unknown) => e);
    expect(late).toMatchObject({ status: 400, code: 21220 });
  });
});
