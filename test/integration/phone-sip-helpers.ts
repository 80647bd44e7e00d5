// Shared setup for the SIP integration tests with real peers (baresip, SIPp): a whole Parley from
// createParley with its SIP endpoint on a free port of 127.0.0.1 and an RTP port range of its own,
// the HTTP API on another free port, and ways to read back what Parley holds: /health, the stored
// calls, and the RTP sockets this process has bound (the endpoint's own counters are not on
// /health, so the kernel's socket table is the witness that every port was released).
import { readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { expect } from 'vitest';
import type { Config } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createParley, type Parley } from '../../src/main.js';
import { readWav, toMono, writeWav } from '../../src/audio/wav.js';
import { frameDbfs } from '../../src/audio/energy-meter.js';
import { freeUdpTcpPort } from '../helpers/free-port.js';
import { silence, speak } from '../helpers/speech.js';
import { correlation, LOUD_DBFS } from '../helpers/audio-envelope.js';

export type SipParley = {
  parley: Parley;
  /** http://127.0.0.1:<port> */
  base: string;
  sipPort: number;
  /** The RTP range this Parley allocates from (RTP even, RTCP odd). */
  rtp: { min: number; max: number };
  close(): Promise<void>;
};

export type Health = { phone_calls: number; sip: { listening: boolean; calls?: number }; active_sessions: number };

export type StoredCall = {
  call: { id: string; status: string; transport: string; caller: string | null; [k: string]: unknown };
  turns: Array<{ user_transcript?: string; agent_response?: string; heard_text?: string; was_interrupted?: boolean; [k: string]: unknown }>;
  events: Array<{ seq: number; type: string; payload: unknown }>;
};

/**
 * RTP ranges are picked in 30000-32699: below the kernel's ephemeral ports (32768-60999 here, where
 * bind(0) lands), away from Parley's default 20000-29999 that other test files use, baresip's
 * 40000-49999 and SIPp's 50000-59999.
 */
const RTP_AREA = { min: 30000, max: 32699 };

/** An even-aligned block of `size` ports in RTP_AREA, at random so parallel files rarely overlap. */
export function rtpRange(size: number): { min: number; max: number } {
  const slots = Math.floor((RTP_AREA.max - RTP_AREA.min + 1 - size) / 2);
  const min = RTP_AREA.min + 2 * Math.floor(Math.random() * slots);
  return { min, max: min + size - 1 };
}

/**
 * Starts Parley on `config` (adjusted in place) with SIP on 127.0.0.1:<free port>. PARLEY_TEST_LOG=file
 * keeps its debug log (SIP messages included) for a failure to be read.
 */
export async function startSipParley(config: Config, rtpPorts = 400): Promise<SipParley> {
  const sipPort = await freeUdpTcpPort();
  const httpPort = await freeUdpTcpPort();
  const rtp = rtpRange(rtpPorts);
  config.server = { ...config.server, port: httpPort };
  config.telephony.sip = { ...config.telephony.sip, enabled: true, host: '127.0.0.1', port: sipPort, rtpPortMin: rtp.min, rtpPortMax: rtp.max };
  const logFile = process.env.PARLEY_TEST_LOG;
  const log = logFile ? createLogger('debug', pino.destination({ dest: logFile, sync: true })) : createLogger('silent');
  const parley = await createParley(config, { log });
  await parley.app.listen({ host: '127.0.0.1', port: httpPort });
  const base = `http://127.0.0.1:${httpPort}`;
  const health = await getHealth(base);
  if (!health.sip.listening) {
    await parley.close();
    throw new Error(`Parley's SIP endpoint did not start on 127.0.0.1:${sipPort} (another program took the port?)`);
  }
  return { parley, base, sipPort, rtp, close: () => parley.close() };
}

export async function getHealth(base: string): Promise<Health> {
  const res = await fetch(`${base}/health`);
  if (res.status !== 200) throw new Error(`GET /health answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as Health;
}

/** Polls `probe` every `everyMs` until it returns a value (not undefined/false); throws with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits until Parley holds no phone call and the SIP endpoint no dialog. */
export async function waitIdle(base: string, timeoutMs = 20_000): Promise<Health> {
  return waitFor('Parley to hold no phone call', async () => {
    const h = await getHealth(base);
    return h.phone_calls === 0 && h.sip.calls === 0 ? h : undefined;
  }, timeoutMs, 200);
}

/** Every call row, newest first (anonymous loopback access to the default tenant). */
export async function listCalls(base: string): Promise<Array<StoredCall['call']>> {
  const items: Array<StoredCall['call']> = [];
  let cursor: string | null = null;
  do {
    const res = await fetch(`${base}/v1/calls?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (res.status !== 200) throw new Error(`GET /v1/calls answered ${res.status}: ${await res.text()}`);
    const page = (await res.json()) as { items: Array<StoredCall['call']>; next_cursor: string | null };
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

export async function getCall(base: string, id: string): Promise<StoredCall | undefined> {
  const res = await fetch(`${base}/v1/calls/${encodeURIComponent(id)}`);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET /v1/calls/${id} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as StoredCall;
}

/** The stored call once it is no longer active (its end and last turns written). */
export async function finishedCall(server: SipParley, id: string, timeoutMs = 20_000): Promise<StoredCall> {
  return waitFor(`call ${id} to be stored as ended`, async () => {
    await server.parley.platform.writes.flush();
    const detail = await getCall(server.base, id);
    return detail && detail.call.status !== 'active' ? detail : undefined;
  }, timeoutMs, 200);
}

/** The id of the call whose caller is `caller` (the From user), once it is stored. */
export async function callIdOf(server: SipParley, caller: string, timeoutMs = 20_000): Promise<string> {
  return waitFor(`a stored call from ${caller}`, async () => {
    await server.parley.platform.writes.flush();
    return (await listCalls(server.base)).find((c) => c.caller === caller)?.id;
  }, timeoutMs, 200);
}

/** The socket inodes this process holds (from /proc/self/fd links "socket:[inode]"). */
function ownSocketInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // The fd closed between listing and reading.
    }
  }
  return inodes;
}

/**
 * UDP ports in [min, max] that sockets of this process are bound to, from the kernel's tables
 * (/proc/net/udp and udp6): what Parley's RTP/RTCP sockets hold, whatever its own counters say.
 */
export function ownUdpPortsIn(range: { min: number; max: number }): number[] {
  const inodes = ownSocketInodes();
  const ports: number[] = [];
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const port = parseInt(fields[1].split(':').pop() ?? '', 16);
      if (port >= range.min && port <= range.max && inodes.has(fields[9])) ports.push(port);
    }
  }
  return ports.sort((a, b) => a - b);
}

/**
 * A WAV (16 kHz mono) of flite's kal16 saying `text` after `leadMs` of silence and followed by
 * `tailMs` of silence, written to `path`.
 */
export function writeSpeechWav(path: string, text: string, leadMs: number, tailMs = 0): void {
  const speech = speak(text, 'flite', 16000);
  const lead = silence(leadMs, 16000);
  const tail = silence(tailMs, 16000);
  const samples = new Int16Array(lead.length + speech.length + tail.length);
  samples.set(lead);
  samples.set(speech, lead.length);
  samples.set(tail, lead.length + speech.length);
  writeFileSync(path, writeWav({ sampleRate: 16000, channels: 1, samples }));
}

/**
 * The loud stretches of a recording, cut where it is quiet for `gapMs` or longer, each with 200 ms
 * of its surroundings: a long recording of a call goes to pocketsphinx piece by piece (it gives up
 * on a stream written far faster than real time), and the silences between replies are dropped.
 */
export function speechSegments(samples: Int16Array, rate: number, gapMs = 1200): Int16Array[] {
  const frame = Math.round(rate / 50);
  const loud: boolean[] = [];
  for (let at = 0; at + frame <= samples.length; at += frame) loud.push(frameDbfs(samples.subarray(at, at + frame)) > LOUD_DBFS);
  const gapFrames = Math.round(gapMs / 20);
  const pad = 10;
  const segments: Int16Array[] = [];
  let start = -1;
  let lastLoud = -1;
  const close = (): void => {
    const from = Math.max(0, start - pad) * frame;
    const to = Math.min(loud.length, lastLoud + 1 + pad) * frame;
    segments.push(samples.slice(from, to));
  };
  loud.forEach((isLoud, i) => {
    if (!isLoud) return;
    if (start >= 0 && i - lastLoud > gapFrames) {
      close();
      start = -1;
    }
    if (start < 0) start = i;
    lastLoud = i;
  });
  if (start >= 0) close();
  return segments;
}

/**
 * Downloads a call's recording (GET /v1/calls/:id/recording, once it is there) and writes its two
 * channels as mono WAVs: the caller (left) to `callerPath`, the agent (right) to `agentPath`.
 */
export async function saveRecordingChannels(server: SipParley, id: string, callerPath: string, agentPath: string): Promise<void> {
  const bytes = await waitFor(`the recording of call ${id}`, async () => {
    const res = await fetch(`${server.base}/v1/calls/${encodeURIComponent(id)}/recording`);
    return res.status === 200 ? Buffer.from(await res.arrayBuffer()) : undefined;
  }, 20_000, 200);
  const wav = readWav(bytes);
  if (wav.channels !== 2) throw new Error(`the recording of call ${id} has ${wav.channels} channel(s), not 2`);
  const frames = wav.samples.length / 2;
  const caller = new Int16Array(frames);
  const agent = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    caller[i] = wav.samples[2 * i];
    agent[i] = wav.samples[2 * i + 1];
  }
  writeFileSync(callerPath, writeWav({ sampleRate: wav.sampleRate, channels: 1, samples: caller }));
  writeFileSync(agentPath, writeWav({ sampleRate: wav.sampleRate, channels: 1, samples: agent }));
}

export interface EnvelopeMatch {
  /** Length of the loud part of the reference and of the recording, in ms. */
  sentSpeechMs: number;
  heardSpeechMs: number;
  /** Where the recording's loud part starts, in ms. */
  heardOnsetMs: number;
  /** Best correlation of the two loudness envelopes over the reference's loud part. */
  correlation: number;
  /** The shift (recording against reference, from onset alignment) that gave it. */
  lagMs: number;
}

const ENVELOPE_FRAME_MS = 10;
const ENVELOPE_FLOOR_DBFS = -70;

function envelope(path: string): number[] {
  const wav = readWav(readFileSync(path));
  const mono = wav.channels === 1 ? wav.samples : toMono(wav.samples, wav.channels);
  const frame = (wav.sampleRate * ENVELOPE_FRAME_MS) / 1000;
  const levels: number[] = [];
  for (let at = 0; at + frame <= mono.length; at += frame) levels.push(Math.max(ENVELOPE_FLOOR_DBFS, frameDbfs(mono.subarray(at, at + frame))));
  return levels;
}

/**
 * Does the recording `heardWav` carry the speech of `sentWav`? Like compareSpeech
 * (test/helpers/audio-envelope.ts), but on 10 ms frames and with the best of small shifts
 * (±`maxLagMs`) around the onset alignment: a phone line delays its parts by a packet or two
 * differently (jitter buffer, pacing), which on 20 ms frames alone costs a match 0.1 of
 * correlation. Same speech correlates at 0.94-1.0 here, unrelated speech below 0.25.
 */
export function envelopeMatch(heardWav: string, sentWav: string, maxLagMs = 100): EnvelopeMatch {
  const sent = envelope(sentWav);
  const heard = envelope(heardWav);
  const loud = (levels: number[]): { first: number; last: number } => {
    const first = levels.findIndex((db) => db > LOUD_DBFS);
    let last = levels.length - 1;
    while (last >= 0 && levels[last] <= LOUD_DBFS) last--;
    return { first, last };
  };
  const s = loud(sent);
  const h = loud(heard);
  if (s.first < 0 || h.first < 0) {
    return { sentSpeechMs: 0, heardSpeechMs: 0, heardOnsetMs: -1, correlation: Number.NaN, lagMs: 0 };
  }
  const reference = sent.slice(s.first, s.last + 1);
  let best = { correlation: -2, lagMs: 0 };
  const maxLag = Math.round(maxLagMs / ENVELOPE_FRAME_MS);
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    const start = h.first + lag;
    if (start < 0) continue;
    const window = heard.slice(start, start + reference.length);
    while (window.length < reference.length) window.push(ENVELOPE_FLOOR_DBFS);
    const c = correlation(reference, window);
    if (c > best.correlation) best = { correlation: c, lagMs: lag * ENVELOPE_FRAME_MS };
  }
  return {
    sentSpeechMs: (s.last - s.first + 1) * ENVELOPE_FRAME_MS,
    heardSpeechMs: (h.last - h.first + 1) * ENVELOPE_FRAME_MS,
    heardOnsetMs: h.first * ENVELOPE_FRAME_MS,
    ...best,
  };
}

/** No phone call, no SIP dialog, no RTP/RTCP socket left in Parley. */
export async function expectNothingLeft(server: SipParley): Promise<void> {
  const health = await waitIdle(server.base);
  expect(health.phone_calls).toBe(0);
  expect(health.sip.calls).toBe(0);
  const held = await waitFor('Parley to release its RTP ports', () => ownUdpPortsIn(server.rtp).length === 0, 10_000).catch(() => false);
  expect(held ? [] : ownUdpPortsIn(server.rtp), `RTP/RTCP ports still bound in ${server.rtp.min}-${server.rtp.max}`).toEqual([]);
}
