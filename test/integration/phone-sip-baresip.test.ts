// Phone calls over Parley's own SIP/RTP endpoint with a real softphone on the other end: baresip
// (test/helpers/baresip.ts) speaks a flite WAV as its microphone and records what it hears and
// what it sent. Parley runs the offline stack `npm start` runs (pocketsphinx, the receptionist
// flow, espeak-ng) with call recording on, so the whole path is real: SIP signalling, G.711 RTP
// both ways, the jitter buffer, 8 <-> 16 kHz, recognition of the caller, synthesis of the agent,
// RFC 4733 keys, hang-up from either side, the call stored with its turns and its recording.
//
// The audio is checked both ways against the two ends' own records: what baresip heard must
// carry what Parley's recording says the agent played (loudness envelopes, envelopeMatch in
// phone-sip-helpers.ts), and Parley's recording of the caller must carry what baresip sent.
// What baresip heard is also transcribed back, but only a few words are asked of that: the
// recognizer's only acoustic model is wideband (16 kHz), and most speech comes out garbled at
// 8 kHz even through sox alone, with no SIP involved ("Hello, thanks for calling" -> "are what
// are what"). For the same reason the caller says "what are your opening hours", one of the
// booking utterances (test/helpers/booking-utterances.ts) it still recognizes at 8 kHz
// ("I would like to book an appointment" -> "i would what about on appointment").
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Resampler } from '../../src/audio/resampler.js';
import { readWav, toMono } from '../../src/audio/wav.js';
import { loadConfig } from '../../src/config.js';
import { withThrowawayStore } from '../../src/config-simulated.js';
import { startBaresip, type Baresip } from '../helpers/baresip.js';
import { transcribeBack } from '../helpers/transcribe-back.js';
import { receptionistSentences } from './offline-call.js';
import {
  callIdOf,
  envelopeMatch,
  expectNothingLeft,
  finishedCall,
  getCall,
  ownUdpPortsIn,
  saveRecordingChannels,
  speechSegments,
  startSipParley,
  waitFor,
  writeSpeechWav,
  type SipParley,
  type StoredCall,
} from './phone-sip-helpers.js';

/**
 * The greeting ("Hello, thanks for calling. How can I help? I can book, move or cancel an
 * appointment, or tell you our opening hours.") lasts about 7.5 s in espeak-ng; the caller keeps
 * quiet that long and a little more, so it is heard whole before the caller speaks.
 */
const LEAD_SILENCE_MS = 9500;
const CALLER_SAYS = 'what are your opening hours';
/** Envelopes of the same speech correlate at 0.94-1.0 here across G.711 (envelopeMatch); unrelated speech below 0.25. */
const SAME_SPEECH = 0.85;

let server: SipParley;
let dir: string;
const phones: Baresip[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parley-sip-baresip-'));
  const config = withThrowawayStore(loadConfig({ env: {}, file: '/dev/null' }));
  config.appointments.database = join(dir, 'appointments.db');
  config.recording = { ...config.recording, enabled: true, dir: join(dir, 'recordings') };
  server = await startSipParley(config);
}, 60_000);

afterEach(async () => {
  while (phones.length) await phones.pop()!.remove();
});

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function phone(options: Parameters<typeof startBaresip>[0]): Promise<Baresip> {
  const ua = await startBaresip(options);
  phones.push(ua);
  return ua;
}

/** The one recording of a kind baresip made in this call. */
function only(files: string[], what: string): string {
  expect(files, `baresip's ${what} recordings`).toHaveLength(1);
  return files[0];
}

/** A WAV file as 16 kHz mono samples, for pocketsphinx. */
function at16k(path: string): Int16Array {
  const wav = readWav(readFileSync(path));
  const mono = toMono(wav.samples, wav.channels);
  if (wav.sampleRate === 16000) return mono;
  const resampler = new Resampler(wav.sampleRate, 16000);
  const a = resampler.process(mono);
  const b = resampler.flush();
  const out = new Int16Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** What baresip heard, as pocketsphinx transcribes it knowing `phrases`: one piece per stretch of speech. */
async function transcribeHeard(ua: Baresip, phrases: string[]): Promise<string> {
  const texts: string[] = [];
  for (const segment of speechSegments(at16k(only(ua.heardRecordings(), 'heard')), 16000)) texts.push(await transcribeBack(segment, { phrases }));
  return texts.join(' ').replace(/\s+/g, ' ').trim();
}

/** The stored call once a turn in it holds the caller's words and the agent's answer to them. */
async function callerTurnStored(id: string): Promise<StoredCall> {
  return waitFor(`a caller turn with a reply in call ${id}`, async () => {
    await server.parley.platform.writes.flush();
    const detail = await getCall(server.base, id);
    return detail?.turns.some((t) => (t.user_transcript ?? '') !== '' && (t.agent_response ?? '') !== '') ? detail : undefined;
  }, 90_000, 250);
}

/**
 * What a listener who knows the agent expects to hear: every receptionist sentence, plus the
 * sentences of this call's replies (tool answers such as the opening hours are not in the flow).
 */
function agentDomain(detail: StoredCall): string[] {
  const said = detail.turns.flatMap((t) => (t.agent_response ?? '').split(/(?<=[.?!])\s+/)).filter((t) => t.trim() !== '');
  return [...receptionistSentences(), ...said];
}

function callerText(detail: StoredCall): string {
  return detail.turns.map((t) => t.user_transcript ?? '').join(' ').toLowerCase();
}

function agentText(detail: StoredCall): string {
  return detail.turns.map((t) => t.agent_response ?? '').join(' ');
}

/**
 * The audio crossed the line both ways: baresip heard what Parley's recording says the agent
 * played, and Parley's recording of the caller is what baresip sent. Returns what baresip heard,
 * transcribed.
 */
async function audioBothWays(ua: Baresip, id: string, live: StoredCall, label: string): Promise<string> {
  const callerWav = join(dir, `${label}-parley-caller.wav`);
  const agentWav = join(dir, `${label}-parley-agent.wav`);
  await saveRecordingChannels(server, id, callerWav, agentWav);
  const toPhone = envelopeMatch(only(ua.heardRecordings(), 'heard'), agentWav);
  const toParley = envelopeMatch(callerWav, only(ua.sentRecordings(), 'sent'));
  const heard = await transcribeHeard(ua, agentDomain(live));
  console.log(`[${label}] Parley heard "${callerText(live).trim()}", said "${agentText(live)}"; baresip heard "${heard}"; ` +
    `envelopes: agent->baresip ${JSON.stringify(toPhone)}, baresip->Parley ${JSON.stringify(toParley)}`);
  // All the agent said (greeting and reply, ~20 s) reached the phone, in the same shape.
  expect(toPhone.sentSpeechMs).toBeGreaterThan(10_000);
  expect(Math.abs(toPhone.heardSpeechMs - toPhone.sentSpeechMs)).toBeLessThanOrEqual(300);
  expect(toPhone.correlation).toBeGreaterThan(SAME_SPEECH);
  // The caller's sentence reached Parley whole, after the lead silence.
  expect(toParley.sentSpeechMs).toBeGreaterThan(800);
  expect(Math.abs(toParley.heardSpeechMs - toParley.sentSpeechMs)).toBeLessThanOrEqual(300);
  expect(toParley.heardOnsetMs).toBeGreaterThan(LEAD_SILENCE_MS / 2);
  expect(toParley.correlation).toBeGreaterThan(SAME_SPEECH);
  // Words of the greeting that survive 8 kHz in pocketsphinx ("... cancel an appointment, or
  // tell you our opening hours").
  expect(heard).toMatch(/\bappointment\b/);
  expect(heard).toMatch(/\bopening hours\b/);
  return heard;
}

const nothingLeft = (): Promise<void> => expectNothingLeft(server);

describe('Parley and baresip over SIP, on the offline stack', () => {
  it('answers a call from baresip: greets, hears the caller, replies; baresip hears it all and hangs up', async () => {
    const mic = join(dir, 'inbound-mic.wav');
    writeSpeechWav(mic, CALLER_SAYS, LEAD_SILENCE_MS);
    const alice = await phone({ user: 'alice', microphoneWav: mic, microphoneTailS: 60 });

    await alice.dial(`sip:reception@127.0.0.1:${server.sipPort}`);
    await alice.waitForCallEstablished(20_000);
    // Media is up: Parley holds the RTP/RTCP pair of this line.
    expect(ownUdpPortsIn(server.rtp)).toHaveLength(2);
    const id = await callIdOf(server, 'alice');
    const live = await callerTurnStored(id);
    // The reply's audio was played out when its turn completed; let the last packets cross the
    // jitter buffer before baresip ends the call.
    await new Promise((r) => setTimeout(r, 1500));
    await alice.hangup();
    await alice.waitForCallClosed(10_000);

    const detail = await finishedCall(server, id);
    expect(detail.call).toMatchObject({ id, transport: 'sip', caller: 'alice' });
    expect(callerText(detail)).toMatch(/\bopening hours\b/);
    expect(agentText(live)).toMatch(/thanks for calling/i);
    expect(agentText(live)).toMatch(/we are open/i);
    await audioBothWays(alice, id, live, 'inbound');
    await nothingLeft();
  }, 150_000);

  it('calls baresip through POST /v1/calls: greets first, stores what it hears, hangs up through the API', async () => {
    const mic = join(dir, 'outbound-mic.wav');
    writeSpeechWav(mic, CALLER_SAYS, LEAD_SILENCE_MS);
    const bob = await phone({ user: 'bob', microphoneWav: mic, microphoneTailS: 60, autoAnswer: true });

    const res = await fetch(`${server.base}/v1/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: bob.sipUri }),
    });
    const body = (await res.json()) as { call_id: string; status: string; transport: string };
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body).toMatchObject({ status: 'dialing', transport: 'sip' });
    await bob.waitForCallEstablished(20_000);

    // The call is stored under the id the API answered with (docs/telephony.md): the hang-up below uses it.
    const storedId = await callIdOf(server, bob.sipUri);
    expect(storedId, 'the call is stored under the call_id POST /v1/calls answered').toBe(body.call_id);
    const id = body.call_id;

    const live = await callerTurnStored(id);
    await new Promise((r) => setTimeout(r, 1500));
    const hangup = await fetch(`${server.base}/v1/calls/${id}/hangup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(hangup.status, await hangup.text()).toBe(202);
    // Parley's BYE closes baresip's side.
    await bob.waitForCallClosed(20_000);

    const detail = await finishedCall(server, id);
    expect(detail.call).toMatchObject({ id, transport: 'sip', caller: bob.sipUri });
    expect(callerText(detail)).toMatch(/\bopening hours\b/);
    expect(agentText(live)).toMatch(/thanks for calling/i);
    await audioBothWays(bob, id, live, 'outbound');
    await nothingLeft();
  }, 150_000);

  it('takes RFC 4733 keys from baresip as dtmf events of the call', async () => {
    const carol = await phone({ user: 'carol', microphoneTailS: 60 });
    await carol.dial(`sip:reception@127.0.0.1:${server.sipPort}`);
    await carol.waitForCallEstablished(20_000);
    const id = await callIdOf(server, 'carol');
    await carol.sendDtmf('1#');

    const withKeys = await waitFor('two dtmf events stored', async () => {
      await server.parley.platform.writes.flush();
      const detail = await getCall(server.base, id);
      return detail && detail.events.filter((e) => e.type === 'dtmf').length >= 2 ? detail : undefined;
    }, 30_000, 200);
    await carol.hangup();
    await carol.waitForCallClosed(10_000);

    expect(withKeys.events.filter((e) => e.type === 'dtmf').map((e) => (e.payload as { digit: string }).digit)).toEqual(['1', '#']);
    const detail = await finishedCall(server, id);
    expect(detail.call).toMatchObject({ transport: 'sip', caller: 'carol' });
    await nothingLeft();
  }, 90_000);
});
