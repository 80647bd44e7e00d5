// The Twilio simulator on its own: its media-stream client speaks Twilio's documented protocol to a
// plain WebSocket server (order, fields, 20 ms pacing, mark playout, clear, 31951 checks), and its
// calls fetch signed TwiML, connect streams, continue after them and report to the status callback.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { muLawDecode, muLawEncode } from '../../../src/audio/g711.js';
import { VirtualClock } from '../../../src/clock.js';
import { startSimServer, type SimServer } from '../../../sim/sim-server.js';
import { TwilioMediaStreamClient } from '../../../sim/twilio/media-stream-client.js';
import { twilioSim } from '../../../sim/twilio/twilio-sim.js';

type Received = { message: Record<string, unknown>; at: number };

/** The application side: HTTP for TwiML and callbacks, WebSocket for streams, everything recorded. */
class App {
  server!: Server;
  wss!: WebSocketServer;
  url = '';
  twiml = '<Response/>';
  readonly requests: Array<{ path: string; params: Record<string, string>; validSignature: boolean }> = [];
  readonly upgrades: Array<{ validSignature: boolean }> = [];
  readonly sockets: WebSocket[] = [];
  readonly received: Received[][] = [];
  clock: VirtualClock | null = null;

  constructor(private readonly token: () => string) {}

  async start(): Promise<void> {
    this.wss = new WebSocketServer({ noServer: true });
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const params = Object.fromEntries(new URLSearchParams(body));
        const validSignature = twilio.validateRequest(this.token(), String(req.headers['x-twilio-signature'] ?? ''), `${this.url}${req.url}`, params);
        this.requests.push({ path: req.url ?? '', params, validSignature });
        if (req.url?.startsWith('/forbidden')) return void res.writeHead(403).end('no');
        res.writeHead(200, { 'content-type': 'text/xml' }).end(req.url?.startsWith('/status') ? '' : this.twiml);
      });
    });
    this.server.on('upgrade', (req: IncomingMessage, socket, head) => {
      const wsUrl = `${this.url.replace('http:', 'ws:')}${req.url}`;
      this.upgrades.push({ validSignature: twilio.validateRequest(this.token(), String(req.headers['x-twilio-signature'] ?? ''), wsUrl, {}) });
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const log: Received[] = [];
        this.received.push(log);
        this.sockets.push(ws);
        ws.on('message', (data) => log.push({ message: JSON.parse(data.toString()) as Record<string, unknown>, at: this.clock?.now() ?? 0 }));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let sim: SimServer;
let app: App;
beforeAll(async () => {
  sim = await startSimServer();
  app = new App(() => sim.control.keys.twilio);
  await app.start();
});
afterAll(async () => {
  for (const call of twilioSim(sim.control).calls.values()) twilioSim(sim.control).end(call, 'completed');
  await app.stop();
  await sim.close();
});

async function until(check: () => boolean, what: string): Promise<void> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > 5000) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('TwilioMediaStreamClient', () => {
  let client: TwilioMediaStreamClient | null = null;
  afterEach(async () => {
    await client?.hangup();
    client = null;
  });

  it('sends connected, start, then one 20 ms μ-law frame per 20 ms of its clock, keys, and stop', async () => {
    const clock = new VirtualClock(500);
    app.clock = clock;
    const voice = new Int16Array(400).map((_, i) => (i * 111) % 9000);
    client = new TwilioMediaStreamClient({ url: `${app.url.replace('http', 'ws')}/stream`, authToken: sim.control.keys.twilio, clock, customParameters: { tenant: 'acme' }, audio: voice });
    await client.connect();
    await until(() => app.received.at(-1)?.length === 2, 'connected and start');
    const log = app.received.at(-1)!;
    expect(app.upgrades.at(-1)).toEqual({ validSignature: true });
    expect(log[0].message).toEqual({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    expect(log[1].message).toEqual({
      event: 'start',
      sequenceNumber: '1',
      streamSid: client.streamSid,
      start: { streamSid: client.streamSid, accountSid: client.accountSid, callSid: client.callSid, tracks: ['inbound'], customParameters: { tenant: 'acme' }, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } },
    });
    clock.advance(19);
    expect(client.counts.mediaOut).toBe(0);
    for (let i = 0; i < 4; i++) {
      clock.advance(i === 0 ? 1 : 20);
      await until(() => log.length === 3 + i, `frame ${i + 1}`);
    }
    client.pressDigit('9');
    await until(() => log.length === 7, 'four frames and a key');
    const media = log.slice(2, 6);
    expect(media.map((m) => m.at)).toEqual([520, 540, 560, 580]);
    expect(media.map((m) => m.message.sequenceNumber)).toEqual(['2', '3', '4', '5']);
    expect(media.map((m) => (m.message.media as { chunk: string }).chunk)).toEqual(['1', '2', '3', '4']);
    expect(media.map((m) => (m.message.media as { timestamp: string }).timestamp)).toEqual(['0', '20', '40', '60']);
    const bytes = media.map((m) => Buffer.from((m.message.media as { payload: string }).payload, 'base64'));
    expect(bytes.every((b) => b.length === 160)).toBe(true);
    const sent = muLawDecode(Buffer.concat(bytes));
    expect(sent.subarray(0, 400)).toEqual(muLawDecode(muLawEncode(voice)));
    expect(sent.subarray(400).every((x) => x === 0)).toBe(true);
    expect(log[6].message).toEqual({ event: 'dtmf', streamSid: client.streamSid, sequenceNumber: '6', dtmf: { track: 'inbound_track', digit: '9' } });
    await client.hangup();
    await until(() => log.length === 8, 'stop');
    expect(log[7].message).toEqual({ event: 'stop', sequenceNumber: '7', streamSid: client.streamSid, stop: { accountSid: client.accountSid, callSid: client.callSid } });
    expect(() => client!.pressDigit('E')).toThrow(/not a keypad key/);
  });

  it('hangs up by itself once its audio is sent, when told to', async () => {
    const clock = new VirtualClock(0);
    app.clock = clock;
    client = new TwilioMediaStreamClient({ url: `${app.url.replace('http', 'ws')}/stream`, clock, audio: new Int16Array(200).fill(500), hangupWhenAudioEnds: true });
    expect(client.pendingAudioMs()).toBe(25);
    await client.connect();
    await until(() => app.received.at(-1)?.length === 2, 'started');
    const log = app.received.at(-1)!;
    for (let i = 0; i < 3; i++) clock.advance(20);
    expect(await client.closed).toMatchObject({ code: 1000, by: 'client' });
    await until(() => log.length === 5, 'two frames and stop');
    expect(log.map((m) => m.message.event)).toEqual(['connected', 'start', 'media', 'media', 'stop']);
    expect(client.pendingAudioMs()).toBe(0);
  });

  it('plays media out in real time: marks come back after the audio before them; clear drops it and returns marks', async () => {
    const clock = new VirtualClock(0);
    app.clock = clock;
    client = new TwilioMediaStreamClient({ url: `${app.url.replace('http', 'ws')}/stream`, clock });
    const cleared: number[] = [];
    client.onClear = (at) => cleared.push(at);
    await client.connect();
    await until(() => app.sockets.length === app.received.length && app.received.at(-1)?.length === 2, 'started');
    const ws = app.sockets.at(-1)!;
    const log = app.received.at(-1)!;
    const sid = client.streamSid;
    const frame = Buffer.from(muLawEncode(new Int16Array(160).fill(1000))).toString('base64');
    for (let i = 0; i < 3; i++) ws.send(JSON.stringify({ event: 'media', streamSid: sid, media: { payload: frame } }));
    ws.send(JSON.stringify({ event: 'mark', streamSid: sid, mark: { name: 'a' } }));
    for (let i = 0; i < 2; i++) ws.send(JSON.stringify({ event: 'media', streamSid: sid, media: { payload: frame } }));
    ws.send(JSON.stringify({ event: 'mark', streamSid: sid, mark: { name: 'b' } }));
    await until(() => client!.counts.marksIn === 2, 'marks received');
    expect(client.heldMs()).toBe(100);
    clock.advance(59);
    expect(client.counts.marksOut).toBe(0);
    clock.advance(1);
    await until(() => log.some((m) => m.message.event === 'mark'), 'first echo');
    expect(log.find((m) => m.message.event === 'mark')).toMatchObject({ at: 60, message: { event: 'mark', streamSid: sid, mark: { name: 'a' } } });
    clock.advance(10);
    ws.send(JSON.stringify({ event: 'clear', streamSid: sid }));
    await until(() => client!.counts.clearsIn === 1, 'clear');
    expect(cleared).toEqual([70]);
    expect(client.heldMs()).toBe(0);
    expect(client.events.find((e) => e.type === 'clear')?.detail).toBe('dropped 30 ms, 1 marks returned');
    await until(() => log.filter((m) => m.message.event === 'mark').length === 2, 'b returned by the clear');
    expect(log.filter((m) => m.message.event === 'mark').at(-1)).toMatchObject({ at: 70, message: { mark: { name: 'b' } } });
    expect(client.heard().length).toBe(800);
    expect(client.counts.invalidIn).toBe(0);
  });

  it('records what Twilio would refuse (31951): typos, extra fields, another stream, unknown events', async () => {
    const clock = new VirtualClock(0);
    client = new TwilioMediaStreamClient({ url: `${app.url.replace('http', 'ws')}/stream`, clock });
    await client.connect();
    await until(() => app.received.at(-1)?.length === 2, 'started');
    const ws = app.sockets.at(-1)!;
    const sid = client.streamSid;
    ws.send(JSON.stringify({ event: 'media', streamSid: sid, media: { playload: 'AAAA' } }));
    ws.send(JSON.stringify({ event: 'media', streamSid: sid, media: { payload: 'AAAA', track: 'outbound' } }));
    ws.send(JSON.stringify({ event: 'media', streamSid: 'MZother', media: { payload: 'AAAA' } }));
    ws.send(JSON.stringify({ event: 'clear', streamSid: sid, now: true }));
    ws.send(JSON.stringify({ event: 'hangup', streamSid: sid }));
    ws.send('{oops');
    await until(() => client!.counts.invalidIn === 6, 'six refused');
    expect(client.events.filter((e) => e.type === 'invalid').map((e) => e.detail)).toEqual([
      '31951 Stream - Protocol - Invalid Message: media payload is not base64',
      '31951 Stream - Protocol - Invalid Message: media.media has unexpected field(s) track',
      '31951 Stream - Protocol - Invalid Message: streamSid "MZother" is not this stream\'s',
      '31951 Stream - Protocol - Invalid Message: clear has unexpected field(s) now',
      '31951 Stream - Protocol - Invalid Message: unknown event "hangup"',
      '31951 Stream - Protocol - Invalid Message: not JSON',
    ]);
    expect(client.counts.mediaIn).toBe(0);
  });
});

describe('simulated Twilio calls', () => {
  it('an outbound call fetches signed TwiML, streams until the app closes, runs the rest, and reports its end', async () => {
    const s = twilioSim(sim.control);
    app.twiml = `<?xml version="1.0"?><Response><Connect><Stream url="${app.url.replace('http', 'ws')}/media"><Parameter name="parley_call_id" value="c-1"/><Parameter name="note" value="a &amp; b"/></Stream></Connect><Say>Goodbye</Say></Response>`;
    const call = s.placeCall({ to: '+15551230000', from: '+15559870000', url: `${app.url}/voice?x=1`, statusCallback: `${app.url}/status` });
    expect(call.status).toBe('queued');
    const stream = await s.openStream(call);
    await until(() => app.received.at(-1)?.length === 2, 'start');
    expect(app.requests.find((r) => r.path === '/voice?x=1')).toMatchObject({ validSignature: true, params: { CallSid: call.sid, Direction: 'outbound-api', CallStatus: 'in-progress' } });
    expect(app.upgrades.at(-1)).toEqual({ validSignature: true });
    expect(app.received.at(-1)![1].message).toMatchObject({ start: { callSid: call.sid, customParameters: { parley_call_id: 'c-1', note: 'a & b' } } });
    expect(sim.control.last('twilio', '/media')).toMatchObject({ kind: 'ws', closedAt: null });
    app.sockets.at(-1)!.close(1000, 'done');
    await s.waitFor(() => (call.status === 'completed' ? true : undefined));
    expect(await stream.closed).toMatchObject({ by: 'server' });
    expect(call.said).toEqual(['Goodbye']);
    expect(sim.control.last('twilio', '/media')).toMatchObject({ closedBy: 'client' });
    await until(() => app.requests.some((r) => r.path === '/status'), 'status callback');
    expect(app.requests.find((r) => r.path === '/status')).toMatchObject({ validSignature: true, params: { CallSid: call.sid, CallStatus: 'completed' } });
  });

  it('an inbound call asks the number\'s webhook; a refused webhook or broken TwiML is a debugger notice', async () => {
    const s = twilioSim(sim.control);
    app.twiml = '<Response><Say>Hi</Say><Hangup/><Say>never</Say></Response>';
    const inbound = s.incomingCall({ url: `${app.url}/in`, from: '+15551112222', to: '+15553334444' });
    await s.waitFor(() => (inbound.status === 'completed' ? true : undefined));
    expect(inbound.said).toEqual(['Hi']);
    expect(app.requests.find((r) => r.path === '/in')?.params).toMatchObject({ Direction: 'inbound', From: '+15551112222', To: '+15553334444' });
    const refused = s.incomingCall({ url: `${app.url}/forbidden`, from: '+1', to: '+2' });
    await s.waitFor(() => (refused.status === 'completed' ? true : undefined));
    expect(refused.errors).toEqual(['11200 HTTP retrieval failure: HTTP 403 no']);
    app.twiml = '<Response><Say>unclosed</Response>';
    const broken = s.incomingCall({ url: `${app.url}/in`, from: '+1', to: '+2' });
    await s.waitFor(() => (broken.status === 'completed' ? true : undefined));
    expect(broken.errors[0]).toMatch(/^12100 Document parse failure: <\/Response> closes <Say>/);
  });
});
