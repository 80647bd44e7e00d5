import { describe, expect, it } from 'vitest';
import { JitterBuffer, type JitterFrame } from '../../src/audio/jitter-buffer.js';

const FRAME = 160;

/** A loud frame whose every sample names the packet, so the output shows what was played. */
function frame(id: number, length = FRAME): Int16Array {
  return new Int16Array(length).fill(1000 + id);
}

function idOf(out: JitterFrame): number | null {
  return out.kind === 'audio' ? out.samples[0] - 1000 : null;
}

interface Arrival {
  seq: number;
  at: number;
  id?: number;
  ts?: number;
  marker?: boolean;
}

/**
 * Runs a scripted arrival pattern against pops every 20 ms (at 10, 30, 50 ... ms) and returns
 * every popped frame. Arrivals at the same instant as a pop come first.
 */
function run(jb: JitterBuffer, arrivals: Arrival[], pops: number, results: string[] = []): JitterFrame[] {
  const sorted = [...arrivals].sort((a, b) => a.at - b.at);
  const out: JitterFrame[] = [];
  let i = 0;
  for (let p = 0; p < pops; p++) {
    const popAt = 10 + p * 20;
    while (i < sorted.length && sorted[i].at <= popAt) {
      const a = sorted[i++];
      const id = a.id ?? a.seq;
      results.push(jb.push(a.seq, a.ts ?? (a.seq * FRAME) % 2 ** 32, frame(id), a.at, a.marker ?? false));
    }
    out.push(jb.pop(popAt));
  }
  return out;
}

function steady(from: number, count: number, startAt = 0): Arrival[] {
  return Array.from({ length: count }, (_, k) => ({ seq: (from + k) % 65536, at: startAt + k * 20, id: k }));
}

function playedIds(frames: JitterFrame[]): (number | null)[] {
  return frames.map(idOf);
}

describe('JitterBuffer', () => {
  it('is silent before the first packet', () => {
    const jb = new JitterBuffer({ frameSamples: FRAME });
    const out = jb.pop(0);
    expect(out.kind).toBe('silence');
    expect(out.samples).toEqual(new Int16Array(FRAME));
  });

  it('plays an in-order stream in order after prefilling to its target depth', () => {
    const jb = new JitterBuffer({ frameSamples: FRAME });
    const out = run(jb, steady(100, 50), 60);
    const ids = playedIds(out).filter((id) => id !== null);
    expect(ids).toEqual(Array.from({ length: 50 }, (_, k) => k));
    // Prefill: the first audio comes once three frames are buffered (the initial target).
    expect(playedIds(out).indexOf(0)).toBe(2);
    expect(jb.stats.lost).toBe(0);
    expect(jb.stats.concealedFrames).toBeGreaterThan(0); // only the two after the stream stopped
    expect(jb.stats.concealedFrames).toBe(2);
  });

  it('puts reordered packets back in sequence order', () => {
    const jb = new JitterBuffer({ frameSamples: FRAME });
    const arrivals = steady(0, 20);
    // 5 overtakes 4, 11 arrives two packets late, still inside the buffer's depth.
    arrivals[4].at = 101;
    arrivals[5].at = 99;
    arrivals[11].at = 259;
    const out = run(jb, arrivals, 30);
    expect(playedIds(out).filter((id) => id !== null)).toEqual(Array.from({ length: 20 }, (_, k) => k));
    expect(jb.stats.lost).toBe(0);
  });

  it('drops duplicates, both still buffered and already played', () => {
    const jb = new JitterBuffer({ frameSamples: FRAME });
    const results: string[] = [];
    const arrivals = steady(0, 20);
    arrivals.push({ seq: 6, at: 125 }); // while 6 is still waiting
    arrivals.push({ seq: 2, at: 300 }); // long after 2 was played
    const out = run(jb, arrivals, 30, results);
    expect(results.filter((r) => r === 'duplicate')).toHaveLength(2);
    expect(playedIds(out).filter((id) => id !== null)).toEqual(Array.from({ length: 20 }, (_, k) => k));
    expect(jb.stats.duplicates).toBe(2);
  });

  it('conceals one loss at -6 dB, a second at -12 dB, then plays silence, then resumes', () => {
    // Deep enough that the packet after each gap is already there when the gap's turn comes.
    const jb = new JitterBuffer({ frameSamples: FRAME, minDepthFrames: 5 });
    const arrivals = steady(0, 30).filter((a) => ![10, 20, 21, 22].includes(a.seq));
    const out = run(jb, arrivals, 40);
    const at = (id: number) => playedIds(out).indexOf(id);

    const afterNine = out[at(9) + 1];
    expect(afterNine.kind).toBe('concealed');
    expect(afterNine.samples[0]).toBe(Math.round((1000 + 9) * 0.5));
    expect(idOf(out[at(9) + 2])).toBe(11);

    const gap = out.slice(at(19) + 1, at(19) + 4);
    expect(gap.map((f) => f.kind)).toEqual(['concealed', 'concealed', 'silence']);
    expect(gap[0].samples[5]).toBe(Math.round(1019 * 0.5));
    expect(gap[1].samples[5]).toBe(Math.round(1019 * 0.25));
    expect(gap[2].samples.every((s) => s === 0)).toBe(true);
    expect(idOf(out[at(19) + 4])).toBe(23);
    expect(jb.stats.lost).toBe(4);
  });

  it('waits on an empty buffer rather than skipping: a packet late by one frame still plays', () => {
    const jb = new JitterBuffer({ frameSamples: FRAME });
    const arrivals = steady(0, 20);
    // 8 and everything after it is 30 ms late from here on: one concealed frame, nothing lost.
    for (const a of arrivals) if (a.seq >= 8) a.at += 30;
    const out = run(jb, arrivals, 30);
    expect(playedIds(out).filter((id) => id !== null)).toEqual(Array.from({ length: 20 }, (_, k) => k));
    expect(jb.stats.lost).toBe(0);
    expect(jb.stats.underruns).toBeGreaterThanOrEqual(1);
  });

  it('drops a packet that arrives after its slot was concealed', () => {
    const jb = new JitterBuffer({ frameSamples: FRAME });
    const results: string[] = [];
    const arrivals = steady(0, 20);
    arrivals[7].at = 400; // far too late: 8, 9, ... were there when 7's turn came
    const out = run(jb, arrivals, 30, results);
    expect(results[results.length - 1]).toBe('late');
    expect(playedIds(out)).not.toContain(7);
    expect(jb.stats.late).toBe(1);
    expect(jb.stats.lost).toBe(1);
  });

  it('is silent after the stream stops and refills on a new talkspurt without counting losses', () => {
    const jb = new JitterBuffer({ frameSamples: FRAME });
    // Talkspurt 1: seq 0..9; the sender pauses 1 s; talkspurt 2 continues the sequence numbers
    // with timestamps 1 s later and the marker bit set on its first packet.
    const first = steady(0, 10);
    const second = Array.from({ length: 10 }, (_, k) => ({
      seq: 10 + k,
      at: 1200 + k * 20,
      id: 100 + k,
      ts: (10 + k) * FRAME + 8000,
      marker: k === 0,
    }));
    const out = run(jb, [...first, ...second], 80);
    const kinds = out.map((f) => f.kind);
    const end = playedIds(out).indexOf(9);
    expect(kinds.slice(end + 1, end + 3)).toEqual(['concealed', 'concealed']);
    expect(kinds.slice(end + 3, end + 20).every((k) => k === 'silence')).toBe(true);
    expect(playedIds(out).filter((id) => id !== null && id >= 100)).toEqual(Array.from({ length: 10 }, (_, k) => 100 + k));
    expect(jb.stats.lost).toBe(0);
    // The new talkspurt waits for its prefill again rather than playing on arrival.
    const resumedAt = playedIds(out).indexOf(100);
    expect(10 + resumedAt * 20 - 1200).toBeGreaterThanOrEqual(40);
  });

  it('plays straight through a timestamp jump with continuous sequence numbers (a source switch)', () => {
    const jb = new JitterBuffer({ frameSamples: FRAME });
    const arrivals = steady(0, 60).map((a) => ({ ...a, ts: a.seq < 30 ? a.seq * FRAME : 3_000_000_000 + a.seq * FRAME }));
    const out = run(jb, arrivals, 70);
    const ids = playedIds(out);
    expect(ids.filter((id) => id !== null)).toEqual(Array.from({ length: 60 }, (_, k) => k));
    // no hole where the timestamps jumped, and the jump is not mistaken for network jitter
    expect(ids.slice(ids.indexOf(0), ids.indexOf(59) + 1).every((id) => id !== null)).toBe(true);
    expect(jb.stats.delaySpreadMs).toBe(0);
    expect(jb.targetDepthFrames).toBeLessThanOrEqual(3);
  });

  it('follows sequence numbers across the 65535 -> 0 wrap', () => {
    const jb = new JitterBuffer({ frameSamples: FRAME });
    const arrivals = steady(65530, 20);
    // and a reorder right at the wrap
    arrivals[5].at = 101;
    arrivals[6].at = 100;
    const out = run(jb, arrivals, 30);
    expect(playedIds(out).filter((id) => id !== null)).toEqual(Array.from({ length: 20 }, (_, k) => k));
    expect(jb.stats.lost).toBe(0);
    expect(jb.stats.resyncs).toBe(0);
  });

  it('grows its depth when arrivals jitter and conceals less once grown', () => {
    const jb = new JitterBuffer({ frameSamples: FRAME });
    // Every packet is delayed 0, 30 or 70 ms in a repeating pattern: 70 ms of spread.
    const delays = [0, 70, 30, 0, 30, 70, 0, 0, 70, 30];
    const arrivals = Array.from({ length: 400 }, (_, k) => ({ seq: k, at: k * 20 + delays[k % delays.length] }));
    const initialTarget = jb.targetDepthFrames;
    const out = run(jb, arrivals, 420);
    expect(jb.stats.delaySpreadMs).toBeGreaterThanOrEqual(60);
    expect(jb.targetDepthFrames).toBeGreaterThan(initialTarget);
    expect(jb.targetDepthFrames).toBeGreaterThanOrEqual(5);
    // After adapting (the second half), every packet is played: nothing concealed, nothing late.
    const secondHalf = out.slice(210, 400);
    expect(secondHalf.every((f) => f.kind === 'audio')).toBe(true);
    expect(jb.stats.late).toBeLessThan(10);
  });

  it('never grows past maxDepthFrames', () => {
    const jb = new JitterBuffer({ frameSamples: FRAME, maxDepthFrames: 4 });
    const delays = [0, 300, 150];
    const arrivals = Array.from({ length: 200 }, (_, k) => ({ seq: k, at: k * 20 + delays[k % 3] }));
    run(jb, arrivals, 220);
    expect(jb.targetDepthFrames).toBe(4);
  });

  it('shrinks back slowly once the jitter is gone, by dropping frames', () => {
    const jb = new JitterBuffer({ frameSamples: FRAME });
    const delays = [0, 80, 40];
    const jittery = Array.from({ length: 150 }, (_, k) => ({ seq: k, at: k * 20 + delays[k % 3] }));
    const calm = Array.from({ length: 600 }, (_, k) => ({ seq: 150 + k, at: (150 + k) * 20 }));
    run(jb, [...jittery, ...calm], 160);
    const grown = jb.targetDepthFrames;
    const depthWhenGrown = jb.depthFrames;
    expect(grown).toBeGreaterThanOrEqual(5);

    const jb2 = new JitterBuffer({ frameSamples: FRAME });
    run(jb2, [...jittery, ...calm], 750);
    expect(jb2.targetDepthFrames).toBeLessThan(grown);
    expect(jb2.targetDepthFrames).toBeGreaterThanOrEqual(2);
    expect(jb2.stats.droppedFrames).toBeGreaterThan(0);
    expect(jb2.depthFrames).toBeLessThan(depthWhenGrown);
  });

  it('bounds a burst: audio past twice the largest depth is dropped oldest first', () => {
    const jb = new JitterBuffer({ frameSamples: FRAME, maxDepthFrames: 5 });
    const results: string[] = [];
    // Playing normally, then a stall: 40 packets land at once.
    const before = steady(0, 10);
    const burst = Array.from({ length: 40 }, (_, k) => ({ seq: 10 + k, at: 1000 }));
    const out = run(jb, [...before, ...burst], 60, results);
    expect(results).toContain('overflow');
    expect(jb.stats.droppedFrames).toBeGreaterThan(20);
    // The newest audio is what plays after the burst, and it ends with the last packet.
    const ids = playedIds(out).filter((id) => id !== null) as number[];
    expect(ids[ids.length - 1]).toBe(49);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('takes a sequence jump beyond the RFC 3550 bounds as a restarted stream', () => {
    const jb = new JitterBuffer({ frameSamples: FRAME });
    const first = steady(0, 10);
    const second = Array.from({ length: 10 }, (_, k) => ({ seq: 40000 + k, at: 300 + k * 20, id: 100 + k }));
    const out = run(jb, [...first, ...second], 40);
    expect(jb.stats.resyncs).toBe(1);
    expect(playedIds(out).filter((id) => id !== null && id >= 100)).toEqual(Array.from({ length: 10 }, (_, k) => 100 + k));
  });

  it('re-frames 30 ms packets into 20 ms frames without losing a sample', () => {
    const jb = new JitterBuffer({ frameSamples: FRAME });
    let next = 0;
    let seq = 0;
    const out: number[] = [];
    for (let p = 0; p < 40; p++) {
      const t = p * 20;
      if (p < 30 && p % 3 !== 2) {
        // Two 30 ms packets every 60 ms, each a ramp continuing the last.
        const samples = new Int16Array(240);
        for (let i = 0; i < 240; i++) samples[i] = next++;
        jb.push(seq, seq * 240, samples, t);
        seq++;
      }
      const f = jb.pop(t + 10);
      if (f.kind === 'audio') out.push(...f.samples);
    }
    expect(out.length).toBeGreaterThanOrEqual(160 * 25);
    expect(out).toEqual(Array.from({ length: out.length }, (_, i) => i));
  });

  it('rejects invalid arguments with clear errors', () => {
    expect(() => new JitterBuffer({ frameSamples: 0 })).toThrow(RangeError);
    expect(() => new JitterBuffer({ frameSamples: 160, minDepthFrames: 5, maxDepthFrames: 3 })).toThrow(/maxDepthFrames/);
    const jb = new JitterBuffer({ frameSamples: FRAME });
    expect(() => jb.push(70000, 0, frame(0), 0)).toThrow(/sequence/);
    expect(() => jb.push(1, -1, frame(0), 0)).toThrow(/timestamp/);
    expect(() => jb.push(1, 0, new Int16Array(0), 0)).toThrow(/sample/);
  });
});
