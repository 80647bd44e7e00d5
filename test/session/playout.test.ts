import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { Playout } from '../../src/session/playout.js';

const RATE = 16000;
const FRAME = 320; // samples in 20 ms at 16 kHz
const T0 = 1000;

type Sent = { at: number; dueAt: number; frame: Int16Array };
type Log = (string | [string, ...unknown[]])[];

function setup(capacitySeconds?: number) {
  const clock = new VirtualClock(T0);
  const sent: Sent[] = [];
  const log: Log = [];
  const playout = new Playout({
    clock,
    sampleRate: RATE,
    capacitySeconds,
    send: (frame, dueAt) => {
      sent.push({ at: clock.now(), dueAt, frame: frame.slice() });
      log.push(['send', frame[0]]);
    },
    events: {
      onStarted: (turnId) => log.push(['started', turnId]),
      onFinished: (turnId, playedMs) => log.push(['finished', turnId, playedMs, clock.now()]),
    },
  });
  return { clock, sent, log, playout };
}

/** `count` frames, frame k filled with the value `first + k`, so each sent frame says which it was. */
function frames(count: number, first = 1): Int16Array {
  const out = new Int16Array(count * FRAME);
  for (let k = 0; k < count; k++) out.fill(first + k, k * FRAME, (k + 1) * FRAME);
  return out;
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Playout pacing', () => {
  it('sends the first frame at once, then exactly one frame every 20 ms on a fixed grid', () => {
    const { clock, sent, playout } = setup();
    clock.advance(7); // audio arrives off any round number
    playout.push('t1', frames(5));
    clock.advance(0);
    expect(sent.map((s) => [s.at, s.dueAt])).toEqual([[T0 + 7, T0 + 7]]);
    clock.advance(19);
    expect(sent).toHaveLength(1);
    clock.advance(1);
    expect(sent).toHaveLength(2);
    clock.advance(200);
    expect(sent.map((s) => s.at)).toEqual([0, 20, 40, 60, 80].map((d) => T0 + 7 + d));
    expect(sent.map((s) => s.dueAt)).toEqual(sent.map((s) => s.at));
    expect(sent.map((s) => s.frame[0])).toEqual([1, 2, 3, 4, 5]);
    expect(sent.every((s) => s.frame.length === FRAME && s.frame.every((v) => v === s.frame[0]))).toBe(true);
    expect(playout.playedMs('t1')).toBe(100);
  });

  it('keeps the grid when audio keeps arriving in pieces smaller than a frame', () => {
    const { clock, sent, playout } = setup();
    const audio = frames(4);
    // 100-sample pieces (6.25 ms each) pushed every 5 ms: the supply outruns playback.
    for (let i = 0, t = 0; i < audio.length; i += 100, t += 5) {
      clock.advanceTo(T0 + t);
      playout.push('t1', audio.subarray(i, Math.min(audio.length, i + 100)));
    }
    clock.advance(200);
    // The first frame needs 320 samples: it is ready with the 4th piece, at +15 ms.
    expect(sent.map((s) => s.at - T0)).toEqual([15, 35, 55, 75]);
    expect(sent.map((s) => s.frame[0])).toEqual([1, 2, 3, 4]);
  });

  it('calls onStarted before the first frame goes out, once per reply', () => {
    const { clock, log, playout } = setup();
    playout.push('t1', frames(3));
    clock.advance(100);
    expect(log.slice(0, 3)).toEqual([['started', 't1'], ['send', 1], ['send', 2]]);
    expect(log.filter((e) => e[0] === 'started')).toHaveLength(1);
  });

  it('zero-pads a partial last frame on end(), then reports onFinished after the last frame has played', () => {
    const { clock, sent, log, playout } = setup();
    const audio = new Int16Array(FRAME + 10).fill(9);
    playout.push('t1', audio);
    playout.end('t1');
    clock.advance(0);
    expect(sent).toHaveLength(1);
    clock.advance(20);
    expect(sent).toHaveLength(2);
    const last = sent[1].frame;
    expect(last.length).toBe(FRAME);
    expect(Array.from(last.subarray(0, 10))).toEqual(new Array(10).fill(9));
    expect(last.subarray(10).every((v) => v === 0)).toBe(true);
    expect(log.some((e) => e[0] === 'finished')).toBe(false);
    clock.advance(20);
    expect(log[log.length - 1]).toEqual(['finished', 't1', 40, T0 + 40]);
    expect(playout.currentTurnId).toBeNull();
    clock.advance(1000);
    expect(sent).toHaveLength(2);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('without end() a partial frame waits for more audio instead of being padded', () => {
    const { clock, sent, playout } = setup();
    playout.push('t1', new Int16Array(FRAME + 10).fill(3));
    clock.advance(500);
    expect(sent).toHaveLength(1);
    expect(playout.queuedMs).toBeCloseTo((10 / RATE) * 1000, 9);
    playout.push('t1', new Int16Array(FRAME - 10).fill(4));
    clock.advance(0);
    expect(sent).toHaveLength(2);
    expect(sent[1].at).toBe(T0 + 500);
    expect(sent[1].frame[9]).toBe(3);
    expect(sent[1].frame[10]).toBe(4);
  });

  it('after an underrun restarts the grid when audio comes back, without a burst to catch up', () => {
    const { clock, sent, log, playout } = setup();
    playout.push('t1', frames(2, 1));
    clock.advance(100);
    expect(sent.map((s) => s.at - T0)).toEqual([0, 20]);
    expect(clock.pendingTimers()).toBe(0); // idle while starved, no polling
    clock.advanceTo(T0 + 137);
    playout.push('t1', frames(3, 10));
    clock.advance(0);
    clock.advance(100);
    expect(sent.map((s) => s.at - T0)).toEqual([0, 20, 137, 157, 177]);
    expect(sent.map((s) => s.dueAt - T0)).toEqual([0, 20, 137, 157, 177]);
    expect(sent.map((s) => s.frame[0])).toEqual([1, 2, 10, 11, 12]);
    expect(log.filter((e) => e[0] === 'started')).toHaveLength(1);
    expect(playout.playedMs('t1')).toBe(100);
  });

  it('audio that returns before the next grid slot waits for that slot', () => {
    const { clock, sent, playout } = setup();
    playout.push('t1', frames(1, 1));
    clock.advance(0); // frame 1 at +0; the next slot is +20
    clock.advance(5);
    playout.push('t1', frames(1, 2));
    clock.advance(14);
    expect(sent).toHaveLength(1);
    clock.advance(1);
    expect(sent.map((s) => s.at - T0)).toEqual([0, 20]);
  });
});

describe('Playout clear and replacement', () => {
  it('clear() returns the ms played so far and stops output at once', () => {
    const { clock, sent, log, playout } = setup();
    playout.push('t1', frames(10));
    clock.advance(40); // frames at +0, +20, +40
    expect(sent).toHaveLength(3);
    expect(playout.clear()).toEqual({ turnId: 't1', playedMs: 60 });
    expect(playout.queuedMs).toBe(0);
    expect(playout.currentTurnId).toBeNull();
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(1000);
    expect(sent).toHaveLength(3);
    expect(log.some((e) => e[0] === 'finished')).toBe(false);
    expect(playout.clear()).toEqual({ turnId: null, playedMs: 0 });
  });

  it('a clear from inside onStarted sends nothing of that reply', () => {
    const clock = new VirtualClock(T0);
    const sent: Int16Array[] = [];
    const playout: Playout = new Playout({
      clock,
      sampleRate: RATE,
      send: (frame) => sent.push(frame),
      events: { onStarted: () => playout.clear(), onFinished: () => undefined },
    });
    playout.push('t1', frames(3));
    clock.advance(100);
    expect(sent).toHaveLength(0);
  });

  it('audio of a new reply replaces what was left of the old one, on the same grid', () => {
    const { clock, sent, log, playout } = setup();
    playout.push('t1', frames(10, 1));
    clock.advance(20); // two frames of t1
    clock.advance(5);
    playout.push('t2', frames(2, 100));
    playout.end('t2');
    expect(playout.currentTurnId).toBe('t2');
    expect(playout.playedMs('t1')).toBe(0);
    clock.advance(200);
    expect(sent.map((s) => s.frame[0])).toEqual([1, 2, 100, 101]);
    // No slot is used twice: the new reply starts at the next slot of the grid.
    expect(sent.map((s) => s.at - T0)).toEqual([0, 20, 40, 60]);
    expect(log.filter((e) => e[0] === 'started' || e[0] === 'finished')).toEqual([
      ['started', 't1'],
      ['started', 't2'],
      ['finished', 't2', 40, T0 + 80],
    ]);
  });

  it('ignores audio after close()', () => {
    const { clock, sent, playout } = setup();
    playout.close();
    playout.push('t1', frames(3));
    clock.advance(100);
    expect(sent).toHaveLength(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('Playout backpressure and bound', () => {
  it('whenBelow resolves as the queue drains below the mark, not before', async () => {
    const { clock, playout } = setup();
    playout.push('t1', frames(10)); // 200 ms queued
    let resolvedAt: number | null = null;
    void playout.whenBelow(100).then(() => (resolvedAt = clock.now()));
    for (let t = 0; t <= 200; t += 20) {
      clock.advanceTo(T0 + t);
      await flush();
      if (resolvedAt !== null) break;
    }
    // 6 frames sent (at +0..+100) leave 80 ms < 100 ms; after 5 frames 100 ms is not below 100 ms.
    expect(resolvedAt).toBe(T0 + 100);
    expect(playout.queuedMs).toBe(80);
  });

  it('whenBelow resolves at once below the mark, and on clear() and close()', async () => {
    const { playout } = setup();
    let done = 0;
    await playout.whenBelow(100).then(() => done++);
    playout.push('t1', frames(10));
    void playout.whenBelow(100).then(() => done++);
    await flush();
    expect(done).toBe(1);
    playout.clear();
    await flush();
    expect(done).toBe(2);
    playout.push('t1', frames(10));
    void playout.whenBelow(100).then(() => done++);
    playout.close();
    await flush();
    expect(done).toBe(3);
  });

  it('holds at most 10 s by default: the oldest audio is dropped and counted', () => {
    const { clock, sent, playout } = setup();
    // 11 s in one-second pushes: frame k carries the value k + 1.
    for (let s = 0; s < 11; s++) playout.push('t1', frames(50, 1 + s * 50));
    // frame 1 was due at once and left during the first push; 549 queued, 10 s kept
    expect(sent.map((x) => x.frame[0])).toEqual([1]);
    expect(playout.queuedMs).toBe(10_000);
    expect(playout.droppedSamples).toBe(49 * FRAME);
    clock.advance(20);
    expect(sent[1].frame[0]).toBe(51); // frames 2–50 are gone
    clock.advance(20 * 499);
    expect(sent).toHaveLength(501);
    expect(sent[500].frame[0]).toBe(550);
    expect(playout.droppedSamples).toBe(49 * FRAME);
  });

  it('honours a smaller capacity', () => {
    const { playout } = setup(1);
    playout.push('t1', frames(60));
    // 10 frames dropped on the way in, then the first kept frame left at once
    expect(playout.droppedSamples).toBe(10 * FRAME);
    expect(playout.queuedMs).toBe(980);
  });
});
