// The batcher's bookkeeping, against a fake model whose outputs reveal what it was given:
// which samples went into which row, and whose state came back to whom.
import { describe, it, expect } from 'vitest';
import { SILERO_WINDOW_MS, SileroBatcher } from '../../src/vad/silero-batcher.js';
import type { SileroBatchModel, SileroBatchResult } from '../../src/vad/silero-model.js';
import { SileroModelError } from '../../src/vad/silero-model.js';

const INPUT = 576;
const HALF_STATE = 128;

interface Row {
  context: number[];
  firstSample: number;
  lastSample: number;
}

/**
 * Probability = the row's recurrent counter (how many windows this stream had before), so a
 * stream receiving 0, 1, 2, … proves its state was gathered and scattered to the right row.
 */
class CountingModel implements SileroBatchModel {
  batches: Row[][] = [];
  closed = false;
  fail: ((batchIndex: number) => Error | null) | null = null;

  async run(batch: number, input: Float32Array, state: Float32Array): Promise<SileroBatchResult> {
    await new Promise((r) => setImmediate(r));
    const failure = this.fail?.(this.batches.length);
    const rows: Row[] = [];
    const probabilities = new Float32Array(batch);
    for (let b = 0; b < batch; b++) {
      const base = b * INPUT;
      rows.push({
        context: Array.from(input.subarray(base, base + 64), (x) => Math.round(x * 32768)),
        firstSample: Math.round(input[base + 64] * 32768),
        lastSample: Math.round(input[base + INPUT - 1] * 32768),
      });
      const layer0 = b * HALF_STATE;
      const layer1 = (batch + b) * HALF_STATE;
      probabilities[b] = state[layer0];
      if (state[layer1] !== -state[layer0]) throw new Error('layer 1 did not travel with layer 0');
      state[layer0] += 1;
      state[layer1] -= 1;
    }
    this.batches.push(rows);
    if (failure) throw failure;
    return { input, state, probabilities };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** Stream s's sample n is s·1000 + n mod 1000, so every window's origin is visible. */
function streamAudio(s: number, samples: number): Int16Array {
  const out = new Int16Array(samples);
  for (let n = 0; n < samples; n++) out[n] = s * 1000 + (n % 1000);
  return out;
}

function pushFrames(push: (f: Int16Array) => void, pcm: Int16Array, frame = 320): void {
  for (let at = 0; at < pcm.length; at += frame) push(pcm.subarray(at, at + frame));
}

describe('SileroBatcher', () => {
  it('batches every stream with a window ready, routing samples, context and state per stream', async () => {
    const model = new CountingModel();
    const batcher = new SileroBatcher(model);
    const got: { p: number; start: number; end: number }[][] = [[], [], [], [], []];
    const streams = got.map((list) => batcher.openStream((p, start, end) => list.push({ p, start, end })));
    // 6 windows each (3072 samples = 9.6 frames), pushed interleaved frame by frame.
    const audio = streams.map((_, s) => streamAudio(s + 1, 3072));
    for (let at = 0; at < 3072; at += 320) streams.forEach((st, s) => st.push(audio[s].subarray(at, at + 320)));
    await batcher.whenIdle();

    for (let s = 0; s < 5; s++) {
      expect(got[s].map((w) => w.p)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(got[s].map((w) => w.start)).toEqual([0, 32, 64, 96, 128, 160]);
      expect(got[s][5].end).toBe(6 * SILERO_WINDOW_MS);
      expect(streams[s].processedMs).toBe(192);
      expect(streams[s].audioMs).toBe(192);
    }
    // Each batch row carries one stream's window: its first sample tells which stream and where.
    const rows = model.batches.flat();
    expect(rows).toHaveLength(30);
    for (let s = 1; s <= 5; s++) {
      const mine = rows.filter((r) => Math.floor(r.firstSample / 1000) === s);
      expect(mine.map((r) => r.firstSample - s * 1000)).toEqual([0, 512, 24, 536, 48, 560]);
      expect(mine.map((r) => r.lastSample - s * 1000)).toEqual([511, 23, 535, 47, 559, 71]);
      // The first window's context is silence; later ones carry the previous window's last 64 samples.
      expect(mine[0].context).toEqual(Array(64).fill(0));
      expect(mine[1].context).toEqual(Array.from({ length: 64 }, (_, i) => s * 1000 + 448 + i));
    }
    expect(batcher.stats.windows).toBe(30);
    expect(batcher.stats.largestBatch).toBe(5);
    expect(batcher.stats.batches).toBeLessThan(30);
    await batcher.close();
    expect(model.closed).toBe(true);
  });

  it('never puts more than maxBatch windows in one run, and serves every stream', async () => {
    const model = new CountingModel();
    const batcher = new SileroBatcher(model, { maxBatch: 2 });
    const counts = [0, 0, 0, 0, 0];
    const streams = counts.map((_, s) => batcher.openStream(() => counts[s]++));
    streams.forEach((st, s) => pushFrames((f) => st.push(f), streamAudio(s, 1024)));
    await batcher.whenIdle();
    expect(counts).toEqual([2, 2, 2, 2, 2]);
    expect(Math.max(...model.batches.map((b) => b.length))).toBe(2);
    expect(batcher.stats.largestBatch).toBe(2);
    expect(() => new SileroBatcher(model, { maxBatch: 0 })).toThrow(RangeError);
  });

  it('keeps a partial window until the rest arrives, whatever the frame size', async () => {
    const batcher = new SileroBatcher(new CountingModel());
    const starts: number[] = [];
    const stream = batcher.openStream((_p, start) => starts.push(start));
    pushFrames((f) => stream.push(f), streamAudio(0, 500), 7);
    await batcher.whenIdle();
    expect(starts).toEqual([]);
    expect(stream.audioMs).toBe(31.25);
    stream.push(new Int16Array(12));
    await batcher.whenIdle();
    expect(starts).toEqual([0]);
  });

  it('delivers nothing to a stream after it is closed, even from a batch already running', async () => {
    const batcher = new SileroBatcher(new CountingModel());
    const a: number[] = [];
    const b: number[] = [];
    const sa = batcher.openStream((p) => a.push(p));
    const sb = batcher.openStream((p) => b.push(p));
    pushFrames((f) => sa.push(f), streamAudio(1, 2048));
    pushFrames((f) => sb.push(f), streamAudio(2, 2048));
    await new Promise((r) => setImmediate(r)); // the first batch is now running
    sa.close();
    sa.push(new Int16Array(1024));
    await batcher.whenIdle();
    expect(a).toEqual([]);
    expect(b).toEqual([0, 1, 2, 3]);
    expect(sa.isClosed).toBe(true);
  });

  it('reports a failed run, skips its windows and carries on', async () => {
    const model = new CountingModel();
    model.fail = (i) => (i === 1 ? new SileroModelError('boom', false) : null);
    const errors: Error[] = [];
    const batcher = new SileroBatcher(model, { onError: (e) => errors.push(e) });
    const starts: number[] = [];
    const stream = batcher.openStream((_p, start) => starts.push(start));
    for (let i = 0; i < 4; i++) {
      stream.push(streamAudio(0, 512));
      await batcher.whenIdle();
    }
    expect(errors.map((e) => e.message)).toEqual(['boom']);
    expect(starts).toEqual([0, 64, 96]);
    expect(batcher.failure).toBeNull();
  });

  it('stops for good when the model is gone, and stops buffering audio', async () => {
    const model = new CountingModel();
    model.fail = () => new SileroModelError('worker exited', true);
    const errors: string[] = [];
    const batcher = new SileroBatcher(model, { onError: (e) => errors.push(e.message) });
    const probs: number[] = [];
    const stream = batcher.openStream((p) => probs.push(p));
    stream.push(streamAudio(0, 1024));
    await batcher.whenIdle();
    expect(batcher.failure).toBe('worker exited');
    stream.push(streamAudio(0, 1024));
    await batcher.whenIdle();
    expect(model.batches).toHaveLength(1);
    expect(errors).toEqual(['worker exited']);
    expect(probs).toEqual([]);
    expect(stream.audioMs).toBe(128);
    expect(stream.hasWindow).toBe(false);
  });

  it('keeps serving other streams when one listener throws', async () => {
    const errors: string[] = [];
    const batcher = new SileroBatcher(new CountingModel(), { onError: (e) => errors.push(e.message) });
    const good: number[] = [];
    const bad = batcher.openStream(() => {
      throw new Error('listener bug');
    });
    const ok = batcher.openStream((p) => good.push(p));
    pushFrames((f) => bad.push(f), streamAudio(1, 1024));
    pushFrames((f) => ok.push(f), streamAudio(2, 1024));
    await batcher.whenIdle();
    expect(good).toEqual([0, 1]);
    expect(errors).toEqual(['listener bug', 'listener bug']);
  });

  it('closes its streams and refuses new ones once closed', async () => {
    const model = new CountingModel();
    const batcher = new SileroBatcher(model);
    const stream = batcher.openStream(() => {});
    await batcher.close();
    expect(stream.isClosed).toBe(true);
    expect(model.closed).toBe(true);
    expect(() => batcher.openStream(() => {})).toThrow(/closed/);
    await batcher.close();
  });
});
