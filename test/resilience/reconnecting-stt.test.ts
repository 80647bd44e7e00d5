import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { ProviderError } from '../../src/providers/provider-error.js';
import type { SttEvent, SttProvider } from '../../src/providers/types.js';
import { ProviderHealth } from '../../src/resilience/provider-health.js';
import { ReconnectingStt, type ReconnectingSttOptions } from '../../src/resilience/reconnecting-stt.js';
import { EchoStt, FakeStt, recorder, Talker } from './fakes.js';

const MS = Talker.RATE / 1000;

function setup(clock: VirtualClock, providers: SttProvider[], overrides: Partial<ReconnectingSttOptions> = {}, health?: ProviderHealth) {
  const h = health ?? new ProviderHealth({ clock, breaker: { failureThreshold: 1000, openMs: 1000 } });
  const rec = recorder();
  const stt = new ReconnectingStt({ providers, health: h, clock, report: rec.report, ...overrides });
  const events: SttEvent[] = [];
  const ac = new AbortController();
  const stream = stt.open({ sampleRate: Talker.RATE, signal: ac.signal, onEvent: (e) => events.push(e) });
  return { stt, stream, talker: new Talker(clock, stream), events, reports: rec.events, ac, health: h };
}

/** Frame values a stream received, deduplicated in order (one value per 20 ms frame). */
function frameValues(samples: Int16Array): number[] {
  const out: number[] = [];
  for (const v of samples) if (out.at(-1) !== v) out.push(v);
  return out;
}

const consecutive = (values: number[]): boolean => values.every((v, i) => i === 0 || v === values[i - 1] + 1);
const errors = (events: SttEvent[]) => events.filter((e): e is Extract<SttEvent, { type: 'error' }> => e.type === 'error');

describe('ReconnectingStt', () => {
  it('passes audio and events straight through while the connection holds', () => {
    const clock = new VirtualClock();
    const a = new FakeStt('a', clock);
    const { stt, talker, events, reports } = setup(clock, [a]);
    expect(stt.capabilities).toBe(a.capabilities);
    talker.talk(400);
    a.last.emit({ type: 'partial', text: 'hel', startMs: 100, endMs: 300 });
    expect(a.streams).toHaveLength(1);
    expect(a.last.samples).toBe(400 * MS);
    expect(events).toEqual([{ type: 'partial', text: 'hel', startMs: 100, endMs: 300 }]);
    expect(reports).toEqual([]);
  });

  it('killed mid-utterance: reconnects at exactly 0, 1, 2, 4, 8 s, then falls back to the next provider', () => {
    const clock = new VirtualClock();
    const a = new FakeStt('a', clock, (s, i) => {
      if (i >= 1) s.fail(true, 'connection refused');
    });
    const b = new FakeStt('b', clock);
    const { talker, events, reports, stream } = setup(clock, [a, b]);
    talker.talk(1000);
    const t0 = clock.now();
    a.streams[0].fail(true, 'socket closed 1006');
    talker.talk(18_000);
    expect(a.streams.map((s) => s.openedAt - t0)).toEqual([-1000, 0, 1000, 3000, 7000, 15_000]);
    expect(b.streams.map((s) => s.openedAt - t0)).toEqual([15_000]);
    const reconnecting = reports.filter((r) => r.type === 'stt_reconnecting');
    expect(reconnecting.map((r) => [r.attempt, r.delayMs])).toEqual([[1, 0], [2, 1000], [3, 2000], [4, 4000], [5, 8000]]);
    expect(reconnecting[0]).toMatchObject({ provider: 'a', reason: expect.stringContaining('socket closed 1006') });
    expect(reports.filter((r) => r.type !== 'stt_reconnecting')).toEqual([
      { type: 'fallback', kind: 'stt', from: 'a', to: 'b', reason: 'network: a: connection refused' },
      // b had no event, so it counts as established after 2 s without an error.
      { type: 'stt_reconnected', provider: 'b', attempt: 0, replayedMs: 3000 },
    ]);
    // The caller was told each time, and the call went on: nothing terminal.
    expect(errors(events)).toHaveLength(6);
    expect(errors(events).every((e) => e.recoverable)).toBe(true);
    // b got the last 3 s before it opened, then live audio, without a gap.
    const values = frameValues(b.last.all());
    expect(Talker.msOfValue(values[0])).toBe(16_000 - 3000);
    expect(consecutive(values)).toBe(true);
    expect(Talker.msOfValue(values.at(-1) as number)).toBe(19_000 - 20);
    expect(stream.status).toMatchObject({ provider: 'b', connected: true, failedAttempts: 0 });
  });

  it('fault drill: killed mid-utterance (twice), no word is lost and none is transcribed twice', () => {
    const clock = new VirtualClock();
    const echo = new EchoStt('echo', clock);
    const { talker, events, reports } = setup(clock, [echo]);
    talker.talk(1000); // words w1..w50
    talker.pause(400);
    talker.talk(600); // w71..w100, then the connection dies mid-utterance
    echo.streams[0].fail();
    talker.talk(600); // w101..w130
    talker.pause(400);
    talker.talk(400); // w151..w170, and again the connection dies, and the first reconnect too
    echo.streams[1].fail();
    clock.advance(0);
    echo.streams[2].fail();
    talker.talk(800); // w171..w210 while down
    talker.pause(600);
    expect(echo.streams.map((s) => s.openedAt)).toEqual([0, 2000, 3400, 4400]);
    const finals = events.filter((e) => e.type === 'final');
    const range = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `w${from + i}`);
    expect(finals.map((f) => f.text.split(' '))).toEqual([range(1, 50), range(71, 130), range(151, 210)]);
    expect(finals.map((f) => [f.startMs, f.endMs])).toEqual([[0, 1000], [1400, 2600], [3000, 4200]]);
    expect(reports.filter((r) => r.type === 'stt_reconnected')).toEqual([
      { type: 'stt_reconnected', provider: 'echo', attempt: 1, replayedMs: 1020 },
      { type: 'stt_reconnected', provider: 'echo', attempt: 2, replayedMs: 1800 },
    ]);
  });

  it('buffers at most 5 s while down (oldest dropped, counted) and replays only the last 3 s', () => {
    const clock = new VirtualClock();
    const a = new FakeStt('a', clock);
    const { talker, stream, reports } = setup(clock, [a], { reconnectDelaysMs: [7000] });
    talker.talk(1000);
    a.streams[0].fail();
    talker.talk(6980);
    expect(a.streams).toHaveLength(1);
    expect(stream.status.bufferedMs).toBe(5000);
    // 6.98 s written while down, 5 s kept: 1.98 s lost (the 1 s already sent is not a loss).
    expect(stream.status.droppedMs).toBe(1980);
    talker.talk(20);
    expect(stream.status.droppedMs).toBe(2000);
    expect(a.streams).toHaveLength(2);
    const replayed = a.streams[1].all();
    expect(replayed.length).toBe(3000 * MS);
    expect(Talker.msOfValue(replayed[0])).toBe(8000 - 3000);
    expect(consecutive(frameValues(replayed))).toBe(true);
    a.streams[1].emit({ type: 'partial', text: 'x', startMs: 0, endMs: 100 });
    expect(reports.at(-1)).toEqual({ type: 'stt_reconnected', provider: 'a', attempt: 1, replayedMs: 3000 });
  });

  it('replays only after the end of the last final, and shifts the new connection onto the caller timeline', () => {
    const clock = new VirtualClock();
    const a = new FakeStt('a', clock);
    const { talker, events, reports } = setup(clock, [a]);
    talker.talk(2000);
    a.streams[0].emit({ type: 'final', text: 'first one', confidence: 0.9, startMs: 200, endMs: 1500 });
    talker.talk(500);
    a.streams[0].fail();
    expect(a.streams[0].closed).toBe(true);
    expect(a.streams[0].options.signal.aborted).toBe(true);
    clock.advance(0);
    expect(a.streams).toHaveLength(2);
    const replayed = a.streams[1].all();
    expect(Talker.msOfValue(replayed[0])).toBe(1500);
    expect(replayed.length).toBe(1000 * MS);
    // The dead connection can no longer speak.
    a.streams[0].emit({ type: 'partial', text: 'ghost', startMs: 0, endMs: 1 });
    a.streams[1].emit({ type: 'partial', text: 'second', startMs: 300, endMs: 800 });
    a.streams[1].emit({
      type: 'final',
      text: 'second one',
      confidence: 0.8,
      startMs: 300,
      endMs: 950,
      words: [
        { word: 'second', startMs: 300, endMs: 600 },
        { word: 'one', startMs: 650, endMs: 950 },
      ],
    });
    const transcripts = events.filter((e) => e.type !== 'error');
    expect(transcripts).toEqual([
      { type: 'final', text: 'first one', confidence: 0.9, startMs: 200, endMs: 1500 },
      { type: 'partial', text: 'second', startMs: 1800, endMs: 2300 },
      {
        type: 'final',
        text: 'second one',
        confidence: 0.8,
        startMs: 1800,
        endMs: 2450,
        words: [
          { word: 'second', startMs: 1800, endMs: 2100 },
          { word: 'one', startMs: 2150, endMs: 2450 },
        ],
      },
    ]);
    expect(reports).toEqual([
      { type: 'stt_reconnecting', provider: 'a', attempt: 1, delayMs: 0, reason: 'network: a: connection dropped' },
      { type: 'stt_reconnected', provider: 'a', attempt: 1, replayedMs: 1000 },
    ]);
    // The next loss replays from the end of "second one" (2450 ms), not before.
    talker.talk(200);
    a.streams[1].fail();
    clock.advance(0);
    expect(Talker.msOfValue(a.streams[2].all()[0])).toBe(2440);
    expect(a.streams[2].samples).toBe((2700 - 2450) * MS);
  });

  it('a finalize() asked while down is sent after reconnect, at the point where it was asked', () => {
    const clock = new VirtualClock();
    const a = new FakeStt('a', clock);
    const { talker, stream } = setup(clock, [a], { reconnectDelaysMs: [1000, 1000] });
    talker.talk(1000);
    a.streams[0].fail();
    talker.talk(400);
    stream.finalize();
    talker.talk(600);
    expect(a.streams).toHaveLength(2);
    expect(a.streams[1].finalizedAt).toEqual([1400 * MS]);
    expect(a.streams[1].samples).toBe(2000 * MS);
    // Once a final answered it, it is not sent again.
    a.streams[1].emit({ type: 'final', text: 'done', confidence: 1, startMs: 100, endMs: 1300 });
    a.streams[1].fail();
    talker.talk(1000);
    expect(a.streams[2].finalizedAt).toEqual([]);
  });

  it('a finalize() sent just before the connection died is sent again', () => {
    const clock = new VirtualClock();
    const a = new FakeStt('a', clock);
    const { talker, stream } = setup(clock, [a]);
    talker.talk(1000);
    stream.finalize();
    expect(a.streams[0].finalizedAt).toEqual([1000 * MS]);
    a.streams[0].fail();
    clock.advance(0);
    expect(a.streams[1].finalizedAt).toEqual([1000 * MS]);
  });

  it('a connection that holds 2 s without error is established: the attempt count starts over', () => {
    const clock = new VirtualClock();
    const a = new FakeStt('a', clock, (s, i) => {
      if (i === 1) s.fail(true, 'refused');
    });
    const { talker, stream, reports } = setup(clock, [a]);
    talker.talk(1000);
    a.streams[0].fail();
    talker.talk(1000);
    expect(a.streams.map((s) => s.openedAt)).toEqual([0, 1000, 2000]);
    talker.talk(1980);
    expect(stream.status).toMatchObject({ connected: false, failedAttempts: 2 });
    talker.talk(20);
    expect(stream.status).toMatchObject({ connected: true, failedAttempts: 0 });
    expect(reports.at(-1)).toEqual({ type: 'stt_reconnected', provider: 'a', attempt: 2, replayedMs: 2000 });
    talker.talk(1000);
    a.streams[2].fail();
    expect(reports.at(-1)).toMatchObject({ type: 'stt_reconnecting', attempt: 1, delayMs: 0 });
  });

  it('a non-recoverable error falls back at once; with no provider left, a terminal error ends the stream', () => {
    const clock = new VirtualClock();
    const a = new FakeStt('a', clock);
    const b = new FakeStt('b', clock);
    const { talker, events, reports, stream } = setup(clock, [a, b]);
    talker.talk(500);
    a.streams[0].options.onEvent({ type: 'error', message: 'a: invalid api key', recoverable: false, error: new ProviderError('a', 'auth', 'invalid api key', { status: 401 }) });
    clock.advance(0);
    expect(a.streams).toHaveLength(1);
    expect(b.streams.map((s) => s.openedAt)).toEqual([500]);
    expect(b.streams[0].samples).toBe(500 * MS);
    expect(reports).toEqual([{ type: 'fallback', kind: 'stt', from: 'a', to: 'b', reason: 'auth: a: invalid api key' }]);
    expect(errors(events)).toEqual([expect.objectContaining({ recoverable: true, message: expect.stringContaining('switching to b') })]);

    talker.talk(200);
    b.streams[0].fail(false, 'unsupported encoding');
    expect(reports.at(-1)).toEqual({ type: 'exhausted', kind: 'stt', reason: 'bad_request: b: unsupported encoding' });
    const last = events.at(-1);
    expect(last).toMatchObject({ type: 'error', recoverable: false });
    expect(errors(events).filter((e) => !e.recoverable)).toHaveLength(1);
    // Stopped: no timers, no new connections, writes go nowhere, late events are dropped.
    expect(clock.pendingTimers()).toBe(0);
    const count = events.length;
    talker.talk(10_000);
    b.streams[0].emit({ type: 'partial', text: 'late', startMs: 0, endMs: 1 });
    expect(events).toHaveLength(count);
    expect(a.streams.length + b.streams.length).toBe(2);
    expect(stream.status.provider).toBeNull();
  });

  it('after the whole schedule on the last provider: terminal error', () => {
    const clock = new VirtualClock();
    const a = new FakeStt('a', clock, (s, i) => {
      if (i >= 1) clock.setTimeout(() => s.fail(), 5);
    });
    const { talker, events, reports } = setup(clock, [a], { reconnectDelaysMs: [0, 100] });
    talker.talk(100);
    a.streams[0].fail();
    talker.talk(400);
    expect(a.streams.map((s) => s.openedAt)).toEqual([0, 100, 205]);
    expect(reports.map((r) => r.type)).toEqual(['stt_reconnecting', 'stt_reconnecting', 'exhausted']);
    expect(events.at(-1)).toMatchObject({ type: 'error', recoverable: false });
  });

  it('a provider whose circuit is open is skipped at the start of a call', () => {
    const clock = new VirtualClock();
    const health = new ProviderHealth({ clock, breaker: { failureThreshold: 1, openMs: 60_000 } });
    health.recordFailure('stt', 'a', new Error('down'));
    const a = new FakeStt('a', clock);
    const b = new FakeStt('b', clock);
    const { talker, reports } = setup(clock, [a, b], {}, health);
    talker.talk(100);
    expect(a.streams).toHaveLength(0);
    expect(b.streams).toHaveLength(1);
    expect(b.streams[0].samples).toBe(100 * MS);
    expect(reports[0]).toMatchObject({ type: 'fallback', from: 'a', to: 'b', reason: expect.stringContaining('circuit open') });
  });

  it('abort stops everything: the live connection, pending reconnects, and all events', () => {
    const clock = new VirtualClock();
    const a = new FakeStt('a', clock, (s, i) => {
      if (i === 1) s.fail();
    });
    const { talker, events, ac } = setup(clock, [a]);
    talker.talk(1000);
    a.streams[0].fail();
    talker.talk(500);
    expect(a.streams).toHaveLength(2);
    expect(clock.pendingTimers()).toBe(1);
    ac.abort();
    expect(clock.pendingTimers()).toBe(0);
    const count = events.length;
    talker.talk(20_000);
    expect(a.streams).toHaveLength(2);
    expect(events).toHaveLength(count);

    const clock2 = new VirtualClock();
    const live = new FakeStt('live', clock2);
    const second = setup(clock2, [live]);
    second.talker.talk(200);
    second.ac.abort();
    expect(live.last.options.signal.aborted).toBe(true);
    expect(live.last.closed).toBe(true);
    live.last.emit({ type: 'final', text: 'after abort', confidence: 1, startMs: 0, endMs: 100 });
    expect(second.events).toEqual([]);
  });

  it('close() ends gracefully: late finals still arrive, but no reconnect follows', () => {
    const clock = new VirtualClock();
    const a = new FakeStt('a', clock);
    const { talker, stream, events, reports } = setup(clock, [a]);
    talker.talk(500);
    stream.close();
    expect(a.last.closed).toBe(true);
    expect(a.last.options.signal.aborted).toBe(false);
    a.last.emit({ type: 'final', text: 'bye', confidence: 1, startMs: 0, endMs: 400 });
    a.last.fail();
    clock.advance(10_000);
    expect(events).toEqual([{ type: 'final', text: 'bye', confidence: 1, startMs: 0, endMs: 400 }]);
    expect(a.streams).toHaveLength(1);
    expect(reports).toEqual([]);
  });

  it('an open() that throws is a failed attempt, not a crash', () => {
    const clock = new VirtualClock();
    let opens = 0;
    const flaky = new FakeStt('flaky', clock);
    const original = flaky.open.bind(flaky);
    flaky.open = (options) => {
      if (opens++ === 0) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      return original(options);
    };
    const { talker, reports } = setup(clock, [flaky]);
    talker.talk(100);
    expect(flaky.streams).toHaveLength(1);
    expect(flaky.streams[0].samples).toBe(100 * MS);
    expect(reports[0]).toMatchObject({ type: 'stt_reconnecting', attempt: 1, delayMs: 0, reason: 'network: flaky: connect ECONNREFUSED' });
  });
});
