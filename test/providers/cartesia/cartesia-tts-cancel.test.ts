// Cancellation: an abort must reach Cartesia as `{context_id, cancel:true}` at once (within 50 ms,
// measured on the simulator's side against the moment of the abort), no audio of that context may be
// sent or yielded afterwards, and other syntheses on the same socket must not notice.
import { afterEach, describe, expect, it } from 'vitest';
import type { CartesiaTts } from '../../../src/providers/cartesia/cartesia-tts.js';
import { AbortedError, type TtsAudio } from '../../../src/providers/types.js';
import type { SimConnection } from '../../../sim/sim-control.js';
import type { SimServer } from '../../../sim/sim-server.js';
import { synthesizeSpeech } from '../../../sim/sim-voice.js';
import { collect, sameSamples, signal, startCartesiaSim, ttsFor, VOICE } from './cartesia-fixture.js';

let sim: SimServer | null = null;
let tts: CartesiaTts | null = null;
afterEach(async () => {
  tts?.close();
  tts = null;
  await sim?.close();
  sim = null;
});

const LONG = 'A long answer that keeps on streaming audio for a good while, unless somebody interrupts it early.';
const CANCEL_BUDGET_MS = 50;

/** Real-time-ish pacing so that a synthesis is mid-stream when it is aborted. */
async function setup(): Promise<{ sim: SimServer; tts: CartesiaTts }> {
  sim = await startCartesiaSim({ latencies: { ttsTtfbMs: 10, ttsRealtimeFactor: 3 } });
  tts = ttsFor(sim);
  return { sim, tts };
}

/** Checks the simulator's log: the cancel landed in budget and no chunk of that context followed it. */
async function expectCancelledOnServer(sim: SimServer, conn: SimConnection, contextId: string, abortedAt: number): Promise<void> {
  const cancel = await sim.control.waitFor(() => conn.events.find((e) => e.type === 'cancel' && e.detail === contextId), 2000);
  expect(cancel.at - abortedAt).toBeLessThanOrEqual(CANCEL_BUDGET_MS);
  // Give any stray audio time to show up before checking that none did.
  await new Promise((r) => setTimeout(r, 150));
  expect(conn.events.filter((e) => e.type === 'chunk' && e.detail === contextId && e.at > cancel.at)).toEqual([]);
  expect(conn.events.some((e) => e.type === 'done' && e.detail === contextId)).toBe(false);
}

function contextIds(conn: SimConnection): string[] {
  return conn.events.filter((e) => e.type === 'context').map((e) => e.detail!);
}

describe('CartesiaTts cancellation', () => {
  it('abort while the consumer waits for audio: cancel within 50 ms, AbortedError, nothing after', async () => {
    const { sim, tts } = await setup();
    const controller = new AbortController();
    let abortedAt = 0;
    let chunksAfterAbort = 0;
    const out = await collect(tts.synthesize({ text: LONG, sampleRate: 16000, signal: controller.signal }), (_c, i) => {
      if (abortedAt > 0) chunksAfterAbort++;
      if (i === 2) {
        // Abort from a timer, so that the consumer is parked inside next() when it fires.
        setTimeout(() => {
          abortedAt = performance.now();
          controller.abort();
        }, 5);
      }
    });
    expect(out.error).toBeInstanceOf(AbortedError);
    expect(abortedAt).toBeGreaterThan(0);
    expect(chunksAfterAbort).toBe(0);
    const conn = sim.control.connections[0];
    await expectCancelledOnServer(sim, conn, contextIds(conn)[0], abortedAt);
  });

  it('abort while the consumer holds a chunk and is not pulling: the cancel still goes out at once', async () => {
    const { sim, tts } = await setup();
    const controller = new AbortController();
    const iterator = tts.synthesize({ text: LONG, sampleRate: 16000, signal: controller.signal })[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    await new Promise((r) => setTimeout(r, 30));
    const abortedAt = performance.now();
    controller.abort();
    const conn = sim.control.connections[0];
    await expectCancelledOnServer(sim, conn, contextIds(conn)[0], abortedAt);
    await expect(iterator.next()).rejects.toBeInstanceOf(AbortedError);
  });

  it('other syntheses on the same socket are unaffected by a cancel', async () => {
    const { sim, tts } = await setup();
    const controller = new AbortController();
    const otherText = 'Meanwhile this one carries on to the end.';
    let abortedAt = 0;
    const [cancelled, other] = await Promise.all([
      collect(tts.synthesize({ text: LONG, sampleRate: 16000, signal: controller.signal }), (_c, i) => {
        if (i === 1) {
          abortedAt = performance.now();
          controller.abort();
        }
      }),
      // Started a moment later so the first context is the first one the server sees.
      new Promise<void>((r) => setTimeout(r, 5)).then(() => collect(tts.synthesize({ text: otherText, sampleRate: 16000, signal: signal() }))),
    ]);
    expect(cancelled.error).toBeInstanceOf(AbortedError);
    expect(cancelled.chunks).toHaveLength(2);
    expect(other.error).toBeNull();
    expect(sameSamples(other.samples, synthesizeSpeech(otherText, 16000, VOICE).samples)).toBe(true);
    expect(sim.control.connections).toHaveLength(1);
    const conn = sim.control.connections[0];
    const [cancelledId, otherId] = contextIds(conn);
    await expectCancelledOnServer(sim, conn, cancelledId, abortedAt);
    expect(conn.events.some((e) => e.type === 'done' && e.detail === otherId)).toBe(true);
    expect(conn.events.some((e) => e.type === 'cancel' && e.detail === otherId)).toBe(false);
  });

  it('a consumer that stops early (break) cancels the context too', async () => {
    const { sim, tts } = await setup();
    const received: TtsAudio[] = [];
    for await (const chunk of tts.synthesize({ text: LONG, sampleRate: 16000, signal: signal() })) {
      received.push(chunk);
      if (received.length === 2) break;
    }
    const stoppedAt = performance.now();
    const conn = sim.control.connections[0];
    await expectCancelledOnServer(sim, conn, contextIds(conn)[0], stoppedAt);
  });

  it('an abort before the socket is open throws AbortedError and sends no request', async () => {
    const { sim, tts } = await setup();
    const controller = new AbortController();
    const pending = collect(tts.synthesize({ text: LONG, sampleRate: 16000, signal: controller.signal }));
    controller.abort();
    const out = await pending;
    expect(out.error).toBeInstanceOf(AbortedError);
    await new Promise((r) => setTimeout(r, 50));
    expect(sim.control.connections.flatMap((c) => contextIds(c))).toEqual([]);
    // The adapter is still usable.
    expect((await collect(tts.synthesize({ text: 'Still here.', sampleRate: 16000, signal: signal() }))).error).toBeNull();
  });
});
