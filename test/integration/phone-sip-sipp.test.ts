// Parley's SIP endpoint under SIPp (test/helpers/sipp.ts): exact signalling from a scripted peer
// against a whole Parley from createParley, on the simulated engines so that calls are cheap. Each
// scenario is checked from both sides: SIPp's verdict (every expected message came, nothing
// unexpected) and Parley's (how many calls it stored, that no phone call, SIP dialog or RTP port
// is left afterwards). The load run puts 50 calls with RTP up at once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatedConfig } from '../../src/config-simulated.js';
import { describeSipp, runSipp, startSipp, type SippOptions, type SippResult } from '../helpers/sipp.js';
import { expectNothingLeft, getHealth, listCalls, ownUdpPortsIn, startSipParley, waitFor, writeSpeechWav, type SipParley, type StoredCall } from './phone-sip-helpers.js';

let server: SipParley;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parley-sip-sipp-'));
  const config = simulatedConfig();
  // Energy VAD: a deterministic, cheap detector for 50 calls at once on a small machine.
  config.vad.engine = 'energy';
  server = await startSipParley(config);
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function sipp(scenario: string, extra: Partial<SippOptions> = {}): Promise<SippResult> {
  return runSipp({ scenario, target: `127.0.0.1:${server.sipPort}`, timeoutS: 20, traceMessages: true, ...extra });
}

/** Calls Parley has stored from SIPp (its From user is "sipp"), after the queued writes land. */
async function sippCalls(): Promise<Array<StoredCall['call']>> {
  await server.parley.platform.writes.flush();
  return (await listCalls(server.base)).filter((c) => c.caller === 'sipp');
}

/** The responses SIPp received, in order, from its -trace_msg log. */
function receivedResponses(log: string): Array<{ status: number; text: string }> {
  return log
    .split(/^-{20,}.*$/m)
    .filter((block) => /^\s*(UDP|TCP) message received/.test(block))
    .map((block) => block.replace(/^\s*(UDP|TCP) message received[^\n]*\n+/, ''))
    .flatMap((text) => {
      const status = /^SIP\/2\.0 (\d{3}) /.exec(text);
      return status ? [{ status: Number(status[1]), text }] : [];
    });
}

const nothingLeft = (): Promise<void> => expectNothingLeft(server);

/** Every stored SIPp call has ended (none is still "active"). */
async function allEnded(expected: number): Promise<Array<StoredCall['call']>> {
  return waitFor(`${expected} ended calls from SIPp`, async () => {
    const calls = await sippCalls();
    return calls.length === expected && calls.every((c) => c.status !== 'active') ? calls : undefined;
  }, 20_000, 200).catch(async () => sippCalls());
}

describe('Parley under SIPp', () => {
  it('uac-basic: INVITE, 200, ACK, BYE, 200; one stored SIP call, nothing left', async () => {
    const before = (await sippCalls()).length;
    const result = await sipp('uac-basic', { durationMs: 1000 });
    expect(result.exitCode, describeSipp(result)).toBe(0);
    expect(result.successful).toBe(1);
    const calls = await allEnded(before + 1);
    expect(calls).toHaveLength(before + 1);
    expect(calls[0]).toMatchObject({ transport: 'sip', caller: 'sipp' });
    expect(calls[0].status).not.toBe('active');
    await nothingLeft();
  });

  it('uac-cancel-early: CANCEL before the answer gets 200 and the INVITE 487; no call, nothing left', async () => {
    const before = (await sippCalls()).length;
    // Over TCP: the scenario writes the INVITE and its CANCEL in one segment (see its comments).
    const result = await sipp('uac-cancel-early', { timeoutS: 10, transport: 't1' });
    expect(result.exitCode, describeSipp(result)).toBe(0);
    expect(result.successful).toBe(1);
    await nothingLeft();
    // A call cancelled before it was answered never reached an agent.
    expect(await sippCalls()).toHaveLength(before);
  });

  it('uac-reinvite-hold: a re-INVITE with a=sendonly is answered a=recvonly; the call goes on and ends', async () => {
    const before = (await sippCalls()).length;
    const result = await sipp('uac-reinvite-hold', { durationMs: 500 });
    expect(result.exitCode, describeSipp(result)).toBe(0);
    expect(await allEnded(before + 1)).toHaveLength(before + 1);
    await nothingLeft();
  });

  it('uac-retransmit: a retransmitted INVITE and BYE make one dialog and one stored call', async () => {
    const before = (await sippCalls()).length;
    let peak = 0;
    let polling = true;
    // Parley's own count while the call is up: a second dialog would show as two calls.
    const poller = (async () => {
      while (polling) {
        const h = await getHealth(server.base);
        peak = Math.max(peak, h.phone_calls, h.sip.calls ?? 0);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const result = await sipp('uac-retransmit', { timeoutS: 15 });
    polling = false;
    await poller;
    expect(result.exitCode, describeSipp(result)).toBe(0);
    expect(peak).toBe(1);
    expect(await allEnded(before + 1)).toHaveLength(before + 1);
    await nothingLeft();
  });

  it('uac-malformed: 400 for each broken request, and Parley still takes a normal call afterwards', async () => {
    const malformed = await sipp('uac-malformed-traced', { timeoutS: 8 });
    // Soft, so that whatever came back, the call after it is still tried.
    expect.soft(malformed.exitCode, describeSipp(malformed)).toBe(0);
    // The first 400 (to the OPTIONS without CSeq) is read from the trace: see the scenario file.
    const answers = receivedResponses(malformed.messages ?? '');
    expect.soft(answers.map((a) => a.status), 'the answers to the three broken requests').toEqual([400, 400, 400]);
    expect.soft(answers[0]?.text ?? '').not.toMatch(/^CSeq:/im);
    expect((await getHealth(server.base)).sip.listening).toBe(true);
    const before = (await sippCalls()).length;
    const after = await sipp('uac-basic', { durationMs: 300 });
    expect(after.exitCode, describeSipp(after)).toBe(0);
    expect(await allEnded(before + 1)).toHaveLength(before + 1);
    await nothingLeft();
  });

  it('uac-options: OPTIONS is answered 200', async () => {
    const result = await sipp('uac-options', { timeoutS: 10 });
    expect(result.exitCode, describeSipp(result)).toBe(0);
    expect(result.messages).toMatch(/^SIP\/2\.0 200 /m);
  });

  it('load: 50 calls with RTP at once are all answered, all stored, and leave nothing behind', async () => {
    const wav = join(dir, 'caller.wav');
    writeSpeechWav(wav, 'I would like to book an appointment', 300, 300);
    const before = (await sippCalls()).length;
    let peakCalls = 0;
    let peakPorts = 0;
    // A long call (8 s) after a fast start (50 calls/s): all 50 are up together for several
    // seconds, so the peaks below are seen whatever the machine's load.
    const run = await startSipp({
      scenario: 'uac-rtp',
      target: `127.0.0.1:${server.sipPort}`,
      calls: 50,
      concurrent: 50,
      rate: 50,
      durationMs: 8000,
      rtpAudioWav: wav,
      timeoutS: 90,
    });
    let done = false;
    const finished = run.done.finally(() => (done = true));
    while (!done) {
      const h = await getHealth(server.base);
      peakCalls = Math.max(peakCalls, Math.min(h.phone_calls, h.sip.calls ?? 0));
      peakPorts = Math.max(peakPorts, ownUdpPortsIn(server.rtp).length);
      await new Promise((r) => setTimeout(r, 100));
    }
    const result = await finished;
    expect(result.exitCode, describeSipp(result)).toBe(0);
    expect(result.successful).toBe(50);
    expect(result.failed).toBe(0);
    expect(peakCalls).toBe(50);
    // An RTP and an RTCP socket per call.
    expect(peakPorts).toBe(100);
    await nothingLeft();
    const calls = await allEnded(before + 50);
    expect(calls).toHaveLength(before + 50);
    expect(calls.every((c) => c.transport === 'sip')).toBe(true);
  }, 150_000);
});
