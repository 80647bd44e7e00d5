// Proves the baresip harness against baresip itself: two real baresip 1.0.0 processes on
// 127.0.0.1 call each other, each speaking a different flite sentence, and each one's recording
// of what it heard must carry the other's speech (the energy envelope, not just "some sound").
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeWav } from '../../src/audio/wav.js';
import { compareSpeech } from './audio-envelope.js';
import { decodeNetstrings, encodeNetstring, startBaresip } from './baresip.js';
import type { Baresip } from './baresip.js';
import { speak } from './speech.js';

/** flite speaks `text` into a 16 kHz mono WAV in `dir` (the harness resamples it for G.711). */
function speechWav(dir: string, name: string, text: string): string {
  const path = join(dir, `${name}.wav`);
  writeFileSync(path, writeWav({ sampleRate: 16000, channels: 1, samples: speak(text, 'flite', 16000) }));
  return path;
}

/** `heard` carries the speech in `sent`: same length within 200 ms, same envelope, silence after. */
function expectHeard(heard: string, sent: string): void {
  const c = compareSpeech(heard, sent);
  expect(c.heardOnsetMs, `${heard} has speech`).toBeGreaterThanOrEqual(0);
  expect(Math.abs(c.heardSpeechMs - c.sentSpeechMs)).toBeLessThanOrEqual(200);
  expect(c.envelopeCorrelation).toBeGreaterThan(0.85);
  expect(c.maxDbfsAfterSpeech).toBeLessThan(-50);
}

describe('netstring framing of ctrl_tcp', () => {
  it('round-trips and splits partial input', () => {
    const a = encodeNetstring('{"command":"dial"}');
    const b = encodeNetstring('{"x":"é"}');
    expect(a.toString()).toBe('18:{"command":"dial"},');
    const whole = Buffer.concat([a, b]);
    const part = decodeNetstrings(whole.subarray(0, a.length + 3));
    expect(part.messages).toEqual(['{"command":"dial"}']);
    expect(part.rest.toString()).toBe(b.subarray(0, 3).toString());
    expect(decodeNetstrings(whole).messages).toEqual(['{"command":"dial"}', '{"x":"é"}']);
  });

  it('rejects a bad length or a missing comma', () => {
    expect(() => decodeNetstrings(Buffer.from('x1:a,'))).toThrow(/bad netstring length/);
    expect(() => decodeNetstrings(Buffer.from('1:ab'))).toThrow(/does not end/);
  });
});

describe('baresip harness', () => {
  let work: string;
  let callerSpeech: string;
  let calleeSpeech: string;
  const started: Baresip[] = [];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'parley-baresip-test-'));
    callerSpeech = speechWav(work, 'caller', 'Hello, this is the caller. I would like to book a table for four people on Friday evening.');
    calleeSpeech = speechWav(work, 'callee', 'Good morning, how can I help?');
  });

  afterAll(async () => {
    for (const ua of started) await ua.remove();
    rmSync(work, { recursive: true, force: true });
  });

  it('one baresip calls another: each hears the other speak, and hangup closes both sides', async () => {
    const caller = await startBaresip({ user: 'alice', microphoneWav: callerSpeech, microphoneTailS: 30 });
    started.push(caller);
    const callee = await startBaresip({ user: 'bob', microphoneWav: calleeSpeech, microphoneTailS: 30, autoAnswer: true });
    started.push(callee);
    expect(callee.sipUri).toBe(`sip:bob@127.0.0.1:${callee.sipPort}`);

    await caller.dial(callee.sipUri);
    const outgoing = await caller.waitForCallEstablished(15_000);
    const incoming = await callee.waitForCallEstablished(15_000);
    expect(outgoing.direction).toBe('outgoing');
    expect(outgoing.peerUri).toBe(callee.sipUri);
    expect(incoming.direction).toBe('incoming');

    // The caller's sentence lasts about 5 s; give it and some silence after it time to cross.
    await new Promise((r) => setTimeout(r, 7_000));
    await caller.hangup();
    await caller.waitForCallClosed(10_000);
    const closed = await callee.waitForCallClosed(10_000);
    expect(closed.direction).toBe('incoming');

    expect(callee.heardRecordings()).toHaveLength(1);
    expect(caller.heardRecordings()).toHaveLength(1);
    expect(callee.sentRecordings()).toHaveLength(1);
    const callerMic = join(caller.dir, 'microphone.wav');
    const calleeMic = join(callee.dir, 'microphone.wav');
    // The two sentences differ in length by far more than the tolerance, so a side that recorded
    // its own voice (or the wrong file) fails.
    const self = compareSpeech(callerMic, calleeMic);
    expect(self.heardSpeechMs - self.sentSpeechMs).toBeGreaterThan(2000);
    expectHeard(callee.heardRecordings()[0], callerMic);
    expectHeard(caller.heardRecordings()[0], calleeMic);
    // What a side sent is its own microphone.
    expectHeard(callee.sentRecordings()[0], calleeMic);
  });

  it('rings until answered, carries DTMF, and reports the far end hanging up', async () => {
    const caller = await startBaresip({ user: 'carol' });
    started.push(caller);
    const callee = await startBaresip({ user: 'dave' });
    started.push(callee);

    await caller.dial(callee.sipUri);
    const ringing = await callee.waitForIncomingCall(15_000);
    expect(ringing.peerUri).toBe(caller.sipUri);
    await caller.waitForEvent('CALL_RINGING', 10_000);
    expect(callee.events().some((e) => e.type === 'CALL_ESTABLISHED')).toBe(false);
    await callee.answer();
    await caller.waitForCallEstablished(10_000);
    await callee.waitForCallEstablished(10_000);

    await caller.sendDtmf('12#');
    await callee.sendDtmf('9*');
    // Events ride on RTP; wait for the last digit's end packet to arrive.
    for (let i = 0; i < 50 && (callee.receivedDtmf().length < 3 || caller.receivedDtmf().length < 2); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(callee.receivedDtmf()).toBe('12#');
    expect(caller.receivedDtmf()).toBe('9*');

    await callee.hangup();
    const farEnd = await caller.waitForCallClosed(10_000);
    expect(farEnd.direction).toBe('outgoing');
    await callee.waitForCallClosed(10_000);
  });

  it('stop() in the middle of a call hangs it up and leaves complete recordings', async () => {
    const caller = await startBaresip({ user: 'erin', microphoneWav: calleeSpeech });
    started.push(caller);
    const callee = await startBaresip({ user: 'frank', autoAnswer: true });
    started.push(callee);
    await caller.dial(callee.sipUri);
    await caller.waitForCallEstablished(15_000);
    await callee.waitForCallEstablished(15_000);
    await new Promise((r) => setTimeout(r, 3_000));
    await caller.stop();
    const closed = await callee.waitForCallClosed(10_000);
    expect(closed.direction).toBe('incoming');
    // The stopped side closed its files on the way out: the header is final and the speech is in.
    const c = compareSpeech(caller.sentRecordings()[0], join(caller.dir, 'microphone.wav'));
    expect(Math.abs(c.heardSpeechMs - c.sentSpeechMs)).toBeLessThanOrEqual(200);
    await expect(caller.dial(callee.sipUri)).rejects.toThrow(/not connected/);
  });

  it('refuses bad input with clear errors', async () => {
    await expect(startBaresip({ microphoneWav: join(work, 'missing.wav') })).rejects.toThrow(/does not exist/);
    await expect(startBaresip({ user: 'bad user' })).rejects.toThrow(/not a plain SIP user part/);
    await expect(startBaresip({ sipPort: 70000 })).rejects.toThrow(/sipPort/);
    const ua = await startBaresip({});
    started.push(ua);
    await expect(ua.dial('not a uri')).rejects.toThrow(/sip: URI/);
    await expect(ua.sendDtmf('12x')).rejects.toThrow(/DTMF digits/);
    await expect(ua.command('no_such_command')).rejects.toThrow(/refused the command/);
  });

  it('fails with baresip\'s own log when it cannot bind its SIP port', async () => {
    const first = await startBaresip({});
    started.push(first);
    const error = await startBaresip({ sipPort: first.sipPort }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/baresip did not start/);
    expect(error?.message).toMatch(/--- baresip log ---[^]*Address already in use/);
  });
});
