// Continuations: the sentences of one turn (requests with the same turnId, one after another) share
// one Cartesia context: each is sent with `continue:true` plus a flush, ends at its `flush_done`, and
// has word times relative to its own audio. The context is closed with `continue:false` when another
// turn starts or after an idle gap; an expired context is retried on a fresh one; an abort cancels it
// at once. Checked against the simulator's log and the messages the adapter put on the wire.
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { CartesiaTts } from '../../../src/providers/cartesia/cartesia-tts.js';
import { ProviderError } from '../../../src/providers/provider-error.js';
import { AbortedError, type TtsAudio } from '../../../src/providers/types.js';
import type { SimConnection } from '../../../sim/sim-control.js';
import type { SimServer } from '../../../sim/sim-server.js';
import { synthesizeSpeech } from '../../../sim/sim-voice.js';
import { collect, sameSamples, signal, startCartesiaSim, ttsFor, VOICE, type Collected } from './cartesia-fixture.js';

type Sent = Record<string, unknown>;

let sim: SimServer | null = null;
let tts: CartesiaTts | null = null;
afterEach(async () => {
  vi.restoreAllMocks();
  tts?.close();
  tts = null;
  await sim?.close();
  sim = null;
});

const FIRST = 'Hello there, nice to meet you.';
const SECOND = 'How can I help you today?';
const LONG = 'A long answer that keeps on streaming audio for a good while, unless somebody interrupts it early.';

const say = (text: string, turnId?: string, options: { voice?: string } = {}): Promise<Collected> =>
  collect(tts!.synthesize({ text, sampleRate: 16000, signal: signal(), turnId, ...options }));

/** Every JSON message the adapter sends (the simulator's own sends are told apart by their `type`). */
function recordClientMessages(): Sent[] {
  const sent: Sent[] = [];
  const original = WebSocket.prototype.send;
  vi.spyOn(WebSocket.prototype, 'send').mockImplementation(function (this: WebSocket, ...args: Parameters<WebSocket['send']>) {
    const [data] = args;
    if (typeof data === 'string') {
      const message = JSON.parse(data) as Sent;
      if (message.type === undefined) sent.push(message);
    }
    original.apply(this, args);
  });
  return sent;
}

function contextIds(conn: SimConnection): string[] {
  return conn.events.filter((e) => e.type === 'context').map((e) => e.detail!);
}

function eventOf(conn: SimConnection, type: string, contextId: string) {
  return conn.events.find((e) => e.type === type && e.detail === contextId);
}

/** The audio and the word timings (relative to the start of this request's audio) of `text`. */
function expectSpoken(out: Collected, text: string): void {
  expect(out.error).toBeNull();
  const expected = synthesizeSpeech(text, 16000, VOICE);
  expect(sameSamples(out.samples, expected.samples)).toBe(true);
  expect(out.words.map((w) => w.word)).toEqual(expected.words.map((w) => w.word));
  out.words.forEach((w, i) => {
    expect(w.startMs).toBeCloseTo(expected.words[i].startMs, 2);
    expect(w.endMs).toBeCloseTo(expected.words[i].endMs, 2);
  });
}

const FIELDS = {
  model_id: 'sonic-2',
  voice: { mode: 'id', id: VOICE },
  output_format: { container: 'raw', encoding: 'pcm_s16le', sample_rate: 16000 },
  add_timestamps: true,
  max_buffer_delay_ms: 0,
};

describe('CartesiaTts continuations', () => {
  it('two sentences of one turn share one context: continue:true + flush each, then the close message', async () => {
    sim = await startCartesiaSim();
    tts = ttsFor(sim, { turnIdleMs: 150 });
    const sent = recordClientMessages();
    const first = await say(FIRST, 'turn-1');
    const second = await say(SECOND, 'turn-1');
    const secondEndedAt = performance.now();
    expectSpoken(first, FIRST);
    // The simulator counts word times from the context's start; the adapter makes them relative to this sentence.
    expectSpoken(second, SECOND);
    expect(second.words[0].startMs).toBeLessThan(1);

    const conn = sim.control.connections[0];
    expect(contextIds(conn)).toHaveLength(1);
    const [contextId] = contextIds(conn);
    const done = await sim.control.waitFor(() => eventOf(conn, 'done', contextId), 2000);
    // The context outlived the first sentence and was closed only after the idle gap.
    expect(done.at).toBeGreaterThan(secondEndedAt);
    expect(sent).toEqual([
      { ...FIELDS, context_id: contextId, transcript: FIRST, continue: true },
      { ...FIELDS, context_id: contextId, transcript: '', continue: true, flush: true },
      // Inputs are joined verbatim, so the second sentence starts with a space.
      { ...FIELDS, context_id: contextId, transcript: ` ${SECOND}`, continue: true },
      { ...FIELDS, context_id: contextId, transcript: '', continue: true, flush: true },
      { ...FIELDS, context_id: contextId, transcript: '', continue: false },
    ]);
    expect(conn.events.some((e) => e.type === 'expired' || e.type === 'error')).toBe(false);
  });

  it('a request of another turn opens a new context and closes the old one at once', async () => {
    sim = await startCartesiaSim();
    tts = ttsFor(sim, { turnIdleMs: 5000 });
    const sent = recordClientMessages();
    expectSpoken(await say(FIRST, 'turn-1'), FIRST);
    const secondAskedAt = performance.now();
    expectSpoken(await say(SECOND, 'turn-2'), SECOND);
    const conn = sim.control.connections[0];
    const [oldId, newId] = contextIds(conn);
    expect(contextIds(conn)).toHaveLength(2);
    // Closed when turn-2 began, not by the (5 s) idle timer.
    const done = await sim.control.waitFor(() => eventOf(conn, 'done', oldId), 1000);
    expect(done.at).toBeGreaterThanOrEqual(secondAskedAt);
    const close = sent.findIndex((m) => m.context_id === oldId && m.continue === false);
    expect(sent[close]).toEqual({ ...FIELDS, context_id: oldId, transcript: '', continue: false });
    expect(close).toBeLessThan(sent.findIndex((m) => m.context_id === newId));
    // The new turn's context is fresh: its first input has no joining space, and it stays open.
    expect(sent.find((m) => m.context_id === newId)).toMatchObject({ transcript: SECOND, continue: true });
    expect(eventOf(conn, 'done', newId)).toBeUndefined();
  });

  it('an idle gap closes the context; the next sentence of the turn opens a fresh one', async () => {
    sim = await startCartesiaSim();
    tts = ttsFor(sim, { turnIdleMs: 100 });
    const sent = recordClientMessages();
    expectSpoken(await say(FIRST, 'turn-1'), FIRST);
    const endedAt = performance.now();
    const conn = sim.control.connections[0];
    const [firstId] = contextIds(conn);
    const done = await sim.control.waitFor(() => eventOf(conn, 'done', firstId), 2000);
    expect(done.at - endedAt).toBeGreaterThanOrEqual(60);
    // Closed by us before Cartesia's own expiry (1 s after the last audio).
    expect(eventOf(conn, 'expired', firstId)).toBeUndefined();
    expect(sent.at(-1)).toEqual({ ...FIELDS, context_id: firstId, transcript: '', continue: false });

    expectSpoken(await say(SECOND, 'turn-1'), SECOND);
    const ids = contextIds(conn);
    expect(ids).toHaveLength(2);
    expect(sent.find((m) => m.context_id === ids[1])).toMatchObject({ transcript: SECOND, continue: true });
  });

  it('the idle gap counts from the server\'s last audio, not from when a slow consumer is done', async () => {
    sim = await startCartesiaSim();
    tts = ttsFor(sim, { turnIdleMs: 100 });
    const conn = () => sim!.control.connections[0];
    const iterator = tts.synthesize({ text: FIRST, sampleRate: 16000, signal: signal(), turnId: 'turn-1' })[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    const [firstId] = contextIds(conn());
    // The server sends the whole sentence in about 60 ms (40× real time), long before the consumer takes the rest.
    await new Promise((r) => setTimeout(r, 250));
    while (!(await iterator.next()).done);
    const consumedAt = performance.now();
    // Past the gap already: closed at once (not a gap later), so the next sentence does not lean on a context about to expire.
    const done = await sim.control.waitFor(() => eventOf(conn(), 'done', firstId), 1000);
    expect(done.at - consumedAt).toBeLessThan(60);
    expectSpoken(await say(SECOND, 'turn-1'), SECOND);
    expect(contextIds(conn())).toHaveLength(2);
    expect(conn().events.some((e) => e.type === 'error')).toBe(false);
  });

  it('a continuation refused by the server (context expired) is said again on a fresh context', async () => {
    sim = await startCartesiaSim();
    // Longer than the 1 s expiry, so the server drops the context before the adapter closes it.
    tts = ttsFor(sim, { turnIdleMs: 3000 });
    expectSpoken(await say(FIRST, 'turn-1'), FIRST);
    const conn = sim.control.connections[0];
    const [firstId] = contextIds(conn);
    await sim.control.waitFor(() => eventOf(conn, 'expired', firstId), 3000);

    const second = await say(SECOND, 'turn-1');
    expectSpoken(second, SECOND);
    expect(second.words[0].startMs).toBeLessThan(1);
    // Both the text and its flush were refused on the expired id; nothing else was.
    const errors = conn.events.filter((e) => e.type === 'error').map((e) => e.detail);
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors)).toEqual(new Set([`${firstId}: Context expired`]));
    const ids = contextIds(conn);
    expect(ids).toHaveLength(2);
    expect(eventOf(conn, 'chunk', ids[1])).toBeDefined();
  });

  it('an error on a fresh turn context is not retried', async () => {
    sim = await startCartesiaSim();
    tts = ttsFor(sim);
    const out = await say(FIRST, 'turn-1', { voice: '' });
    expect(out.error).toBeInstanceOf(ProviderError);
    expect(out.error).toMatchObject({ kind: 'bad_request', code: 'invalid_voice' });
    const conn = sim.control.connections[0];
    await new Promise((r) => setTimeout(r, 50));
    // One refusal for the text; the flush that followed it was refused too; nothing was tried again.
    const errors = conn.events.filter((e) => e.type === 'error');
    expect(new Set(errors.map((e) => e.detail)).size).toBe(1);
    expect(contextIds(conn)).toEqual([]);
    // The turn is not stuck: a good request of the same turn goes through on a new context.
    expectSpoken(await say(SECOND, 'turn-1'), SECOND);
  });

  it('abort mid-second-sentence cancels the context within 50 ms; the next sentence opens a fresh one', async () => {
    sim = await startCartesiaSim({ latencies: { ttsTtfbMs: 10, ttsRealtimeFactor: 3 } });
    tts = ttsFor(sim, { turnIdleMs: 5000 });
    expectSpoken(await say('Hi there.', 'turn-1'), 'Hi there.');
    const conn = sim.control.connections[0];
    const [contextId] = contextIds(conn);

    const controller = new AbortController();
    let abortedAt = 0;
    let chunksAfterAbort = 0;
    const aborted = await collect(tts.synthesize({ text: LONG, sampleRate: 16000, signal: controller.signal, turnId: 'turn-1' }), (_c, i) => {
      if (abortedAt > 0) chunksAfterAbort++;
      if (i === 2) {
        setTimeout(() => {
          abortedAt = performance.now();
          controller.abort();
        }, 5);
      }
    });
    expect(aborted.error).toBeInstanceOf(AbortedError);
    expect(chunksAfterAbort).toBe(0);
    // Still the turn's one context: the aborted sentence was a continuation.
    expect(contextIds(conn)).toEqual([contextId]);
    const cancel = await sim.control.waitFor(() => eventOf(conn, 'cancel', contextId), 2000);
    expect(cancel.at - abortedAt).toBeLessThanOrEqual(50);
    await new Promise((r) => setTimeout(r, 150));
    expect(conn.events.filter((e) => e.type === 'chunk' && e.detail === contextId && e.at > cancel.at)).toEqual([]);

    const next = await say(SECOND, 'turn-1');
    expectSpoken(next, SECOND);
    const ids = contextIds(conn);
    expect(ids).toHaveLength(2);
    expect(ids[1]).not.toBe(contextId);
  });

  it('a consumer that stops early cancels the turn context, and the turn carries on afresh', async () => {
    sim = await startCartesiaSim({ latencies: { ttsTtfbMs: 10, ttsRealtimeFactor: 3 } });
    tts = ttsFor(sim, { turnIdleMs: 5000 });
    const received: TtsAudio[] = [];
    for await (const chunk of tts.synthesize({ text: LONG, sampleRate: 16000, signal: signal(), turnId: 'turn-1' })) {
      received.push(chunk);
      if (received.length === 2) break;
    }
    const conn = sim.control.connections[0];
    const [contextId] = contextIds(conn);
    await sim.control.waitFor(() => eventOf(conn, 'cancel', contextId), 1000);
    expectSpoken(await say(SECOND, 'turn-1'), SECOND);
    expect(contextIds(conn)).toHaveLength(2);
  });

  it('two requests of one turn at once: the second goes on a context of its own', async () => {
    sim = await startCartesiaSim({ latencies: { ttsTtfbMs: 10, ttsRealtimeFactor: 10 } });
    tts = ttsFor(sim, { turnIdleMs: 5000 });
    const sent = recordClientMessages();
    const [a, b] = await Promise.all([say(FIRST, 'turn-1'), say(SECOND, 'turn-1')]);
    expectSpoken(a, FIRST);
    expectSpoken(b, SECOND);
    const conn = sim.control.connections[0];
    const [, alone] = contextIds(conn);
    expect(contextIds(conn)).toHaveLength(2);
    expect(sent.filter((m) => m.context_id === alone)).toEqual([{ ...FIELDS, context_id: alone, transcript: SECOND, continue: false }]);
    await sim.control.waitFor(() => eventOf(conn, 'done', alone), 1000);
  });

  it('after the socket closed between sentences, the next sentence opens a fresh context on the new socket', async () => {
    sim = await startCartesiaSim({ timeouts: { cartesiaIdleMs: 150 } });
    tts = ttsFor(sim, { turnIdleMs: 5000 });
    const sent = recordClientMessages();
    expectSpoken(await say(FIRST, 'turn-1'), FIRST);
    const first = sim.control.connections[0];
    await sim.control.waitFor(() => first.closedAt ?? undefined, 2000);
    // Let the close frame reach the adapter.
    await new Promise((r) => setTimeout(r, 30));
    expectSpoken(await say(SECOND, 'turn-1'), SECOND);
    expect(sim.control.connections).toHaveLength(2);
    const [contextId] = contextIds(sim.control.connections[1]);
    expect(sent.find((m) => m.context_id === contextId)).toMatchObject({ transcript: SECOND, continue: true });
    expect(sim.control.connections[1].events.some((e) => e.type === 'error')).toBe(false);
  });

  it('a different voice within a turn opens a new context (a context keeps its fields)', async () => {
    sim = await startCartesiaSim();
    tts = ttsFor(sim, { turnIdleMs: 5000 });
    expectSpoken(await say(FIRST, 'turn-1'), FIRST);
    const other = await say(SECOND, 'turn-1', { voice: 'voice-other' });
    expect(other.error).toBeNull();
    expect(sameSamples(other.samples, synthesizeSpeech(SECOND, 16000, 'voice-other').samples)).toBe(true);
    const conn = sim.control.connections[0];
    const [oldId] = contextIds(conn);
    expect(contextIds(conn)).toHaveLength(2);
    await sim.control.waitFor(() => eventOf(conn, 'done', oldId), 1000);
  });
});
