// TwilioRestClient against the Twilio simulator (real HTTP): calls are placed, changed and read;
// Twilio's errors arrive as TwilioApiError with status and code; the token never shows in errors.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwilioApiError, TwilioRestClient } from '../../../src/transports/twilio/twilio-rest.js';
import { startSimServer, type SimServer } from '../../../sim/sim-server.js';
import { twilioSim } from '../../../sim/twilio/twilio-sim.js';

let sim: SimServer;
let odd: Server;
let oddUrl: string;

beforeAll(async () => {
  sim = await startSimServer();
  // A proxy in the way: HTML errors, and a request that is never answered.
  odd = createServer((req, res) => {
    if (req.url?.includes('/Calls/CA11111111111111111111111111111111')) return; // hangs
    res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body>Bad Gateway</body></html>');
  });
  await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
  oddUrl = `http://127.0.0.1:${(odd.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await sim.close();
  odd.closeAllConnections();
  await new Promise<void>((resolve) => odd.close(() => resolve()));
});

const rest = (authToken = sim.control.keys.twilio, baseUrl = sim.httpUrl) => new TwilioRestClient({ accountSid: twilioSim(sim.control).accountSid, authToken, baseUrl });

describe('TwilioRestClient', () => {
  it('places a call with inline TwiML, reads it, and ends it', async () => {
    const created = await rest().createCall({ to: '+15551230000', from: '+15559870000', twiml: '<Response><Dial>+15550002222</Dial></Response>', timeoutS: 30 });
    expect(created).toMatchObject({ status: 'queued', direction: 'outbound-api', to: '+15551230000', from: '+15559870000', duration: null });
    expect(created.sid).toMatch(/^CA[0-9a-f]{32}$/);
    const call = twilioSim(sim.control).calls.get(created.sid)!;
    await twilioSim(sim.control).waitFor(() => (call.dialed.length ? true : undefined));
    expect((await rest().getCall(created.sid)).status).toBe('in-progress');
    const ended = await rest().updateCall(created.sid, { status: 'completed' });
    expect(ended.status).toBe('completed');
    expect(ended.duration).toMatch(/^\d+$/);
    expect(call.dialed).toEqual([{ target: '+15550002222', kind: 'number', answerOnBridge: false }]);
  });

  it('replaces a live call\'s TwiML (a transfer) and the call shows where it went', async () => {
    const created = await rest().createCall({ to: '+15551230001', from: '+15559870000', twiml: '<Response><Dial>+15550003333</Dial></Response>' });
    const s = twilioSim(sim.control);
    const call = s.calls.get(created.sid)!;
    await s.waitFor(() => (call.dialed.length ? true : undefined));
    await rest().updateCall(created.sid, { twiml: '<Response><Dial answerOnBridge="true"><Sip>sip:desk@pbx.example.com</Sip></Dial></Response>' });
    await s.waitFor(() => (call.dialed.length === 2 ? true : undefined));
    const res = await fetch(`${sim.httpUrl}/2010-04-01/Accounts/${s.accountSid}/Calls/${created.sid}.json`, {
      headers: { authorization: `Basic ${Buffer.from(`${s.accountSid}:${sim.control.keys.twilio}`).toString('base64')}` },
    });
    const body = (await res.json()) as { sim: { transferred_to: string; dialed: unknown[] } };
    expect(body.sim.transferred_to).toBe('sip:desk@pbx.example.com');
    expect(body.sim.dialed[1]).toEqual({ target: 'sip:desk@pbx.example.com', kind: 'sip', answerOnBridge: true });
  });

  it('turns Twilio error JSON into TwilioApiError with status and code, without the token', async () => {
    const notFound = await rest().getCall('CA0123456789abcdef0123456789abcdef').catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(TwilioApiError);
    expect(notFound).toMatchObject({ status: 404, code: 20404, moreInfo: 'https://www.twilio.com/docs/errors/20404' });
    const badToken = await rest('not-the-token-secret').createCall({ to: '+1555', from: '+1666', url: 'https://x.example/v' }).catch((e: unknown) => e);
    expect(badToken).toMatchObject({ status: 401, code: 20003 });
    expect(String((badToken as Error).message)).not.toContain('not-the-token-secret');
    const noTo = await rest().createCall({ to: '', from: '+1666', url: 'https://x.example/v' }).catch((e: unknown) => e);
    expect(noTo).toMatchObject({ status: 400, code: 21201 });
    expect((noTo as Error).message).toContain("No 'To' number");
  });

  it('refuses bad input before any request, and reports a proxy page and a silent server clearly', async () => {
    await expect(rest().getCall('../../Accounts')).rejects.toThrow(/not a Twilio call SID/);
    await expect(rest().createCall({ to: '+1', from: '+2' })).rejects.toThrow(/needs a url or twiml/);
    await expect(rest().updateCall('CA0123456789abcdef0123456789abcdef', {})).rejects.toThrow(/needs a status, twiml or url/);
    expect(() => new TwilioRestClient({ accountSid: 'nope', authToken: 'x' })).toThrow(/AC followed by 32 hex/);
    expect(() => new TwilioRestClient({ accountSid: twilioSim(sim.control).accountSid, authToken: 'x', baseUrl: 'ftp://x' })).toThrow(/http\(s\)/);
    const html = await rest(undefined, oddUrl).getCall('CA0123456789abcdef0123456789abcdef').catch((e: unknown) => e);
    expect(html).toMatchObject({ status: 502, code: null });
    expect((html as Error).message).toContain('Bad Gateway');
    const silent = new TwilioRestClient({ accountSid: twilioSim(sim.control).accountSid, authToken: 'x', baseUrl: oddUrl, timeoutMs: 200 });
    await expect(silent.getCall('CA11111111111111111111111111111111')).rejects.toThrow(/no answer within 200 ms/);
    const down = new TwilioRestClient({ accountSid: twilioSim(sim.control).accountSid, authToken: 'x', baseUrl: 'http://127.0.0.1:1' });
    await expect(down.getCall('CA11111111111111111111111111111111')).rejects.toThrow(/Twilio API GET .* failed/);
  });
});
