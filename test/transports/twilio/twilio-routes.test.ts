// The voice webhook and the media-stream upgrade over HTTP on 127.0.0.1: the TwiML that connects a
// call to its stream, and the X-Twilio-Signature checks, with signatures made by Twilio's SDK.
import twilio from 'twilio';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock.js';
import { TwilioMediaStreamClient } from '../../../sim/twilio/media-stream-client.js';
import { childElements, parseXml } from '../../../sim/twilio/twiml-parser.js';
import { logged, RecordingAcceptor, startTwilioServer, until, type TwilioTestServer } from './twilio-harness.js';

const TOKEN = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
const WEBHOOK: Record<string, string> = {
  AccountSid: 'AC0123456789abcdef0123456789abcdef',
  ApiVersion: '2010-04-01',
  CallSid: 'CA0123456789abcdef0123456789abcdef',
  CallStatus: 'ringing',
  Direction: 'inbound',
  From: '+15551230000',
  To: '+15559870000',
  CallerName: 'Ada & <Co>',
};

let server: TwilioTestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function start(options: { authToken?: string; publicUrl?: string; defaultAgent?: string } = {}) {
  const acceptor = new RecordingAcceptor();
  server = await startTwilioServer({ acceptor, clock: new VirtualClock(0), ...options });
  return { acceptor, server };
}

async function postWebhook(url: string, params: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(params).toString() });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

function streamOf(twiml: string): { url: string; parameters: Record<string, string> } {
  const root = parseXml(twiml);
  expect(root.name).toBe('Response');
  const connect = childElements(root)[0];
  expect(connect.name).toBe('Connect');
  const stream = childElements(connect)[0];
  expect(stream.name).toBe('Stream');
  return { url: stream.attributes.url, parameters: Object.fromEntries(childElements(stream).map((p) => [p.attributes.name, p.attributes.value])) };
}

describe('POST /twilio/voice', () => {
  it('answers with a media stream on this host, carrying the call and the webhook URL\'s parley_* values', async () => {
    const { server } = await start({ defaultAgent: 'front-desk' });
    const res = await postWebhook(`${server.httpUrl}/twilio/voice?parley_call_id=c-9&parley_customer=Ada%20L&other=x`, WEBHOOK);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/xml/);
    expect(streamOf(res.text)).toEqual({
      url: `${server.wsUrl}/twilio/media`,
      parameters: { callSid: WEBHOOK.CallSid, from: '+15551230000', to: '+15559870000', direction: 'inbound', agent: 'front-desk', parley_call_id: 'c-9', parley_customer: 'Ada L' },
    });
    const named = await postWebhook(`${server.httpUrl}/twilio/voice?agent=receptionist&tenant=acme`, { ...WEBHOOK, Direction: 'outbound-api' });
    expect(streamOf(named.text).parameters).toMatchObject({ agent: 'receptionist', tenant: 'acme', direction: 'outbound-api' });
  });

  it('builds the stream URL from the public URL, or from X-Forwarded-Proto/Host behind a proxy', async () => {
    const { server } = await start({ publicUrl: 'https://parley.example.com/' });
    expect(streamOf((await postWebhook(`${server.httpUrl}/twilio/voice`, WEBHOOK)).text).url).toBe('wss://parley.example.com/twilio/media');
    await server.close();
    const proxied = await start();
    const res = await postWebhook(`${proxied.server.httpUrl}/twilio/voice`, WEBHOOK, { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'edge.example.net' });
    expect(streamOf(res.text).url).toBe('wss://edge.example.net/twilio/media');
  });

  it('with an auth token, takes only requests Twilio signed for this URL and these parameters', async () => {
    const { server } = await start({ authToken: TOKEN });
    const url = `${server.httpUrl}/twilio/voice?agent=sales`;
    const signed = twilio.getExpectedTwilioSignature(TOKEN, url, WEBHOOK);
    expect((await postWebhook(url, WEBHOOK, { 'x-twilio-signature': signed })).status).toBe(200);
    const tampered = await postWebhook(url, { ...WEBHOOK, From: '+10000000000' }, { 'x-twilio-signature': signed });
    expect(tampered).toMatchObject({ status: 403, text: expect.stringContaining('X-Twilio-Signature does not match') });
    const otherUrl = await postWebhook(`${server.httpUrl}/twilio/voice?agent=admin`, WEBHOOK, { 'x-twilio-signature': signed });
    expect(otherUrl.status).toBe(403);
    const missing = await postWebhook(url, WEBHOOK);
    expect(missing).toMatchObject({ status: 403, text: 'Forbidden: X-Twilio-Signature is missing' });
    const otherToken = await postWebhook(url, WEBHOOK, { 'x-twilio-signature': twilio.getExpectedTwilioSignature('another-token', url, WEBHOOK) });
    expect(otherToken.status).toBe(403);
    expect(logged(server.logs, 'Twilio webhook refused')).toHaveLength(4);
  });

  it('checks signatures against the configured public URL (what Twilio was given), port or not', async () => {
    const { server } = await start({ authToken: TOKEN, publicUrl: 'https://parley.example.com' });
    const publicUrl = 'https://parley.example.com/twilio/voice';
    const ok = await postWebhook(`${server.httpUrl}/twilio/voice`, WEBHOOK, { 'x-twilio-signature': twilio.getExpectedTwilioSignature(TOKEN, publicUrl, WEBHOOK) });
    expect(ok.status).toBe(200);
    const withPort = await postWebhook(`${server.httpUrl}/twilio/voice`, WEBHOOK, { 'x-twilio-signature': twilio.getExpectedTwilioSignature(TOKEN, 'https://parley.example.com:443/twilio/voice', WEBHOOK) });
    expect(withPort.status).toBe(200);
    const local = await postWebhook(`${server.httpUrl}/twilio/voice`, WEBHOOK, { 'x-twilio-signature': twilio.getExpectedTwilioSignature(TOKEN, `${server.httpUrl}/twilio/voice`, WEBHOOK) });
    expect(local.status).toBe(403);
  });

  it('takes a GET webhook (parameters in the signed URL), and refuses requests that are not Twilio webhooks', async () => {
    const { server } = await start({ authToken: TOKEN });
    const url = `${server.httpUrl}/twilio/voice?${new URLSearchParams(WEBHOOK).toString()}`;
    const res = await fetch(url, { headers: { 'x-twilio-signature': twilio.getExpectedTwilioSignature(TOKEN, url, {}) } });
    expect(res.status).toBe(200);
    expect(streamOf(await res.text()).parameters.callSid).toBe(WEBHOOK.CallSid);
    await server.close();
    const open = await start();
    const noSid = await postWebhook(`${open.server.httpUrl}/twilio/voice`, { From: '+1' });
    expect(noSid).toMatchObject({ status: 400, text: expect.stringContaining('no CallSid') });
    const json = await fetch(`${open.server.httpUrl}/twilio/voice`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"CallSid":["x"]}' });
    expect(json.status).toBe(415);
    const text = await fetch(`${open.server.httpUrl}/twilio/voice`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'CallSid=CA1' });
    expect(text.status).toBe(415);
  });
});

describe('GET /twilio/media upgrade', () => {
  it('with an auth token, admits a stream signed over its wss:// (or https://) URL and refuses others with 403', async () => {
    const { server, acceptor } = await start({ authToken: TOKEN, publicUrl: 'https://parley.example.com' });
    const url = `${server.wsUrl}/twilio/media`;
    // Twilio dialled (and signed) the public URL; the socket reaches this server on loopback.
    const connect = (signature: string | null) => {
      const headers: Record<string, string> = signature === null ? {} : { 'x-twilio-signature': signature };
      return new Promise<number>((resolve) => {
        const socket = new WebSocket(url, { headers });
        socket.on('open', () => {
          socket.close();
          resolve(101);
        });
        socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      });
    };
    expect(await connect(twilio.getExpectedTwilioSignature(TOKEN, 'wss://parley.example.com/twilio/media', {}))).toBe(101);
    expect(await connect(twilio.getExpectedTwilioSignature(TOKEN, 'https://parley.example.com/twilio/media', {}))).toBe(101);
    expect(await connect(twilio.getExpectedTwilioSignature(TOKEN, 'wss://attacker.example.com/twilio/media', {}))).toBe(403);
    expect(await connect(twilio.getExpectedTwilioSignature('wrong', 'wss://parley.example.com/twilio/media', {}))).toBe(403);
    expect(await connect(null)).toBe(403);
    expect(acceptor.calls).toEqual([]);
    expect(logged(server.logs, 'Twilio media stream refused').map((l) => l.reason)).toEqual([
      expect.stringContaining('does not match'),
      expect.stringContaining('does not match'),
      'X-Twilio-Signature is missing',
    ]);
  });

  it('the simulator\'s stream client, signing as Twilio does, gets through to a call', async () => {
    const { server, acceptor } = await start({ authToken: TOKEN });
    const c = new TwilioMediaStreamClient({ url: `${server.wsUrl}/twilio/media`, authToken: TOKEN, clock: new VirtualClock(0), customParameters: { from: '+1', to: '+2' } });
    await c.connect();
    await until(() => acceptor.calls.length === 1, 'accept');
    await c.hangup();
    const refused = new TwilioMediaStreamClient({ url: `${server.wsUrl}/twilio/media`, authToken: 'not-it', clock: new VirtualClock(0) });
    await expect(refused.connect()).rejects.toThrow(/HTTP 403/);
    expect(refused.refusal).toEqual({ status: 403, body: expect.stringContaining('X-Twilio-Signature does not match') });
  });
});
