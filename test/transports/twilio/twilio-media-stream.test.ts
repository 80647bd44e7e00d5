// The media-stream route over a real socket on 127.0.0.1, driven by the simulator's Twilio stream
// client: a call starts from `start`, caller audio, keys and `stop` reach the agent side in order;
// bad messages are logged and skipped while the call goes on; agent audio leaves with marks, and
// clear, tones, hang-up and transfer do what Twilio expects.
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { muLawDecode, muLawEncode } from '../../../src/audio/g711.js';
import { VirtualClock } from '../../../src/clock.js';
import { PhoneCallRefusedError } from '../../../src/transports/phone/phone-leg.js';
import { TwilioMediaStreamClient } from '../../../sim/twilio/media-stream-client.js';
import { decodeKeys } from './dtmf-detect.js';
import { logged, RecordingAcceptor, startTwilioServer, until, type TwilioTestServer } from './twilio-harness.js';

let server: TwilioTestServer | null = null;
const clients: TwilioMediaStreamClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.hangup();
  await server?.close();
  server = null;
});

async function setup(options: { clock?: VirtualClock } = {}) {
  const clock = options.clock ?? new VirtualClock(1000);
  const acceptor = new RecordingAcceptor();
  server = await startTwilioServer({ acceptor, clock });
  return { clock, acceptor, server };
}

function client(url: string, clock: VirtualClock, extra: Partial<ConstructorParameters<typeof TwilioMediaStreamClient>[0]> = {}): TwilioMediaStreamClient {
  const c = new TwilioMediaStreamClient({
    url,
    clock,
    customParameters: { callSid: 'ignored', from: '+15551230000', to: '+15559870000', direction: 'inbound', agent: 'front-desk', parley_customer: 'Ada', note: 'vip' },
    ...extra,
  });
  clients.push(c);
  return c;
}

/** A ramp that survives μ-law recognisably (distinct values per sample). */
function ramp(n: number, step = 97): Int16Array {
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = ((i * step) % 20000) - 10000;
  return out;
}

const lineOf = (pcm: Int16Array) => muLawDecode(muLawEncode(pcm));

describe('Twilio media stream route', () => {
  it('starts a call from `start` and delivers caller audio, keys and the hang-up in order', async () => {
    const { clock, acceptor, server } = await setup();
    const speech = ramp(160 * 6);
    const c = client(`${server.wsUrl}/twilio/media`, clock, { audio: speech });
    await c.connect();
    await until(() => acceptor.calls.length === 1, 'accept');
    const call = acceptor.calls[0];
    expect(call.info).toEqual({
      transport: 'twilio',
      direction: 'inbound',
      from: '+15551230000',
      to: '+15559870000',
      externalId: c.callSid,
      callId: undefined,
      agent: 'front-desk',
      tenantId: undefined,
      variables: { customer: 'Ada', note: 'vip' },
    });
    expect(call.leg.streamSid).toBe(c.streamSid);
    for (let i = 0; i < 8; i++) clock.advance(20);
    c.pressDigit('7');
    c.pressDigit('#');
    await until(() => call.dtmf.length === 2 && call.audio.length === 8, 'audio and keys');
    const heard = acceptor.audioOf(call);
    expect(heard.subarray(0, speech.length)).toEqual(lineOf(speech));
    expect(heard.subarray(speech.length).every((x) => x === 0)).toBe(true);
    expect(call.dtmf).toEqual(['7', '#']);
    await c.hangup();
    await until(() => call.ended.length === 1, 'ended');
    expect(call.ended).toEqual(['caller hung up']);
    expect(call.leg.stats).toMatchObject({ mediaIn: 8, dtmfIn: 2, ignored: 0 });
    expect(logged(server.logs, 'Twilio media stream ended')[0]).toMatchObject({ reason: 'caller hung up', mediaIn: 8 });
  });

  it('an outbound call (Direction outbound-api) names the Parley call id it was placed under', async () => {
    const { clock, acceptor, server } = await setup();
    const c = client(`${server.wsUrl}/twilio/media`, clock, { customParameters: { from: '+1555', to: '+1666', direction: 'outbound-api', parley_call_id: 'c-42', tenant: 'acme' } });
    await c.connect();
    await until(() => acceptor.calls.length === 1, 'accept');
    expect(acceptor.calls[0].info).toMatchObject({ direction: 'outbound', callId: 'c-42', tenantId: 'acme', variables: {} });
  });

  it('logs and skips malformed, foreign and unknown messages; the call goes on', async () => {
    const { clock, acceptor, server } = await setup();
    const c = client(`${server.wsUrl}/twilio/media`, clock);
    await c.connect();
    await until(() => acceptor.calls.length === 1, 'accept');
    const call = acceptor.calls[0];
    const sid = c.streamSid;
    c.sendRaw('this is not json');
    c.sendRaw('[1,2]');
    c.sendRaw(JSON.stringify({ streamSid: sid }));
    c.sendRaw(JSON.stringify({ event: 'media', streamSid: 'MZ-someone-else', media: { payload: 'AAAA' } }));
    c.sendRaw(JSON.stringify({ event: 'media', streamSid: sid, media: { payload: 'not base64!' } }));
    c.sendRaw(JSON.stringify({ event: 'media', streamSid: sid, media: {} }));
    c.sendRaw(JSON.stringify({ event: 'dtmf', streamSid: sid, dtmf: { digit: 'X' } }));
    c.sendRaw(JSON.stringify({ event: 'bogus', streamSid: sid }));
    c.sendRaw(JSON.stringify({ event: 'start', streamSid: sid, start: { streamSid: sid, callSid: 'CA2', mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } } }));
    c.sendRaw(JSON.stringify({ event: 'mark', streamSid: sid, mark: { name: 'never-sent' } }));
    // A binary frame, as Twilio never sends one.
    await new Promise<void>((resolve) => {
      const raw = (c as unknown as { ws: WebSocket }).ws;
      raw.send(Buffer.from([1, 2, 3]), { binary: true }, () => resolve());
    });
    c.pressDigit('5');
    clock.advance(20);
    await until(() => call.dtmf.length === 1 && call.audio.length === 1, 'the call going on');
    const reasons = logged(server.logs, 'Twilio stream message ignored').map((l) => l.reason);
    expect(reasons).toEqual([
      'not JSON: this is not json',
      'not a JSON object',
      'no "event" field',
      `"media" for stream MZ-someone-else, not this stream (${sid})`,
      '"media" message: media.payload is not base64',
      '"media" message: media.payload Invalid input: expected string, received undefined',
      '"dtmf" message: dtmf.digit must be one of 0-9 * # A-D',
      'unknown event "bogus"',
      'a second "start" on one stream',
      'binary frame (Twilio media streams carry JSON text)',
    ]);
    expect(call.leg.stats.ignored).toBe(10);
    expect(call.dtmf).toEqual(['5']);
    expect(call.ended).toEqual([]);
  });

  it('puts messages back in sequence order and drops repeats', async () => {
    const { clock, acceptor, server } = await setup();
    const c = client(`${server.wsUrl}/twilio/media`, clock);
    await c.connect();
    await until(() => acceptor.calls.length === 1, 'accept');
    const call = acceptor.calls[0];
    const media = (seq: string, value: number) =>
      JSON.stringify({ event: 'media', sequenceNumber: seq, streamSid: c.streamSid, media: { track: 'inbound', chunk: seq, timestamp: '0', payload: Buffer.from(muLawEncode(new Int16Array(160).fill(value))).toString('base64') } });
    const [s2, s3, s4] = [c.nextSeq(), c.nextSeq(), c.nextSeq()];
    c.sendRaw(media(s3, 3000));
    c.sendRaw(media(s4, 4000));
    c.sendRaw(media(s2, 2000));
    c.sendRaw(media(s3, 9000));
    c.pressDigit('1');
    await until(() => call.dtmf.length === 1, 'the key after them');
    expect(call.audio.map((a) => a[0])).toEqual([lineOf(new Int16Array([2000]))[0], lineOf(new Int16Array([3000]))[0], lineOf(new Int16Array([4000]))[0]]);
    expect(logged(server.logs, 'Twilio stream message ignored').map((l) => l.reason)).toEqual([`"media" with sequence number ${s3} repeated or too late (next is ${Number(s4) + 1})`]);
  });

  it('refuses a stream that is not μ-law 8 kHz mono: clear log, socket closed, no call', async () => {
    const { clock, acceptor, server } = await setup();
    const c = client(`${server.wsUrl}/twilio/media`, clock, { mediaFormat: { encoding: 'audio/l16', sampleRate: 16000, channels: 1 } });
    await c.connect();
    const closed = await c.closed;
    expect(closed).toMatchObject({ code: 1003, by: 'server' });
    expect(acceptor.calls).toEqual([]);
    expect(logged(server.logs, 'Twilio media stream refused')[0]).toMatchObject({ level: 'error', reason: expect.stringContaining('audio/l16 16000 Hz') });
  });

  it('closes the stream of a call the acceptor refuses (Twilio then hangs up)', async () => {
    const { clock, acceptor, server } = await setup();
    acceptor.refuseWith = new PhoneCallRefusedError('no_route', 'no route for dialled number "+15559870000"');
    const c = client(`${server.wsUrl}/twilio/media`, clock);
    await c.connect();
    expect(await c.closed).toMatchObject({ code: 1000, reason: 'call refused', by: 'server' });
    expect(logged(server.logs, 'Twilio call refused')[0]).toMatchObject({ reason: 'no_route', err: expect.stringContaining('no route') });
  });

  it('holds caller audio while the agent is set up, and a socket that never starts is closed', async () => {
    const { clock, acceptor, server } = await setup();
    let open!: () => void;
    acceptor.gate = new Promise<void>((resolve) => (open = resolve));
    const c = client(`${server.wsUrl}/twilio/media`, clock, { audio: ramp(480) });
    await c.connect();
    await until(() => acceptor.calls.length === 1, 'accept called');
    for (let i = 0; i < 3; i++) clock.advance(20);
    await until(() => acceptor.calls[0].leg.stats.messagesIn === 5, 'three frames received');
    expect(acceptor.calls[0].audio).toEqual([]);
    open();
    await until(() => acceptor.calls[0].audio.length === 3, 'held audio delivered');
    expect(acceptor.audioOf(acceptor.calls[0])).toEqual(lineOf(ramp(480)));

    const silent = new WebSocket(`${server.wsUrl}/twilio/media`);
    const closed = new Promise<number>((resolve) => silent.on('close', (code) => resolve(code)));
    await new Promise((resolve) => silent.on('open', resolve));
    silent.send(JSON.stringify({ event: 'media', streamSid: 'MZ1', media: { payload: 'AAAA' } }));
    await until(() => logged(server.logs, 'Twilio stream message ignored').length === 1, 'media before start logged');
    clock.advance(10_000);
    expect(await closed).toBe(1008);
  });

  it('sends agent audio as μ-law media with marks; unplayed audio follows the echoes; clear drops it', async () => {
    const { clock, acceptor, server } = await setup();
    const c = client(`${server.wsUrl}/twilio/media`, clock);
    await c.connect();
    await until(() => acceptor.calls.length === 1, 'accept');
    const leg = acceptor.calls[0].leg;
    const frames = Array.from({ length: 12 }, (_, i) => ramp(160, 31 + i));
    for (const f of frames) leg.sendAudio(f);
    expect(leg.unplayedMs()).toBe(240);
    await until(() => c.counts.mediaIn === 12 && c.counts.marksIn === 2, 'media and two marks');
    expect(c.heard()).toEqual(lineOf(Int16Array.from(frames.flatMap((f) => [...f]))));
    // The last two frames get their mark once the frames stop.
    clock.advance(30);
    await until(() => c.counts.marksIn === 3, 'trailing mark');
    // 100 ms played: the first mark comes back.
    clock.advance(70);
    await until(() => leg.stats.marksIn === 1, 'first echo');
    expect(leg.unplayedMs()).toBe(140);
    clock.advance(100);
    await until(() => leg.stats.marksIn === 2, 'second echo');
    expect(leg.unplayedMs()).toBe(40);
    leg.clearAudio();
    expect(leg.unplayedMs()).toBe(0);
    await until(() => c.counts.clearsIn === 1 && leg.stats.marksIn === 3, 'clear and the pending mark returned');
    expect(leg.unplayedMs()).toBe(0);
    expect(c.heldMs()).toBe(0);
    expect(c.counts.invalidIn).toBe(0);
    expect(c.events.filter((e) => e.type === 'clear')[0].detail).toBe('dropped 40 ms, 1 marks returned');
  });

  it('sends keys as in-band tones the far end can decode, and refuses bad keys', async () => {
    const { clock, acceptor, server } = await setup();
    const c = client(`${server.wsUrl}/twilio/media`, clock);
    await c.connect();
    await until(() => acceptor.calls.length === 1, 'accept');
    const leg = acceptor.calls[0].leg;
    await leg.sendDtmf('12#9');
    await until(() => c.counts.mediaIn === 30, 'four keys of 150 ms');
    expect(decodeKeys(c.heard())).toBe('12#9');
    await expect(leg.sendDtmf('1x')).rejects.toThrow(/"x" is not a DTMF key/);
    await expect(leg.sendDtmf('')).rejects.toThrow(/no digits/);
    expect(leg.stats.dtmfOut).toBe(4);
  });

  it('hangs up after the far end has played what it holds; transfer needs the REST API', async () => {
    const { clock, acceptor, server } = await setup();
    const c = client(`${server.wsUrl}/twilio/media`, clock);
    await c.connect();
    await until(() => acceptor.calls.length === 1, 'accept');
    const call = acceptor.calls[0];
    await expect(call.leg.transfer('+15550001111', 'blind')).rejects.toThrow(/need its REST API/);
    for (let i = 0; i < 3; i++) call.leg.sendAudio(ramp(160));
    const hungUp = call.leg.hangup('agent said goodbye');
    expect(call.leg.hangup('again')).toBe(hungUp);
    await until(() => c.counts.marksIn === 1, 'the mark covering the tail');
    expect(c.isOpen).toBe(true);
    clock.advance(60);
    await hungUp;
    expect(await c.closed).toMatchObject({ code: 1000, by: 'server' });
    await until(() => call.ended.length === 1, 'ended');
    expect(call.ended).toEqual(['hung up: agent said goodbye']);
    await expect(call.leg.sendDtmf('1')).rejects.toThrow(/call has ended/);
  });

  it('a socket gone without `stop` ends the call too', async () => {
    const { clock, acceptor, server } = await setup();
    const c = client(`${server.wsUrl}/twilio/media`, clock);
    await c.connect();
    await until(() => acceptor.calls.length === 1, 'accept');
    (c as unknown as { ws: WebSocket }).ws.terminate();
    await until(() => acceptor.calls[0].ended.length === 1, 'ended');
    expect(acceptor.calls[0].ended).toEqual(['caller hung up']);
  });
});
