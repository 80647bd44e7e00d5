import { beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock.js';
import { SimulatedStt, type SimulatedSttOptions } from '../../../src/providers/simulated/simulated-stt.js';
import type { SttEvent, SttStream } from '../../../src/providers/types.js';
import { speak } from '../../helpers/speech.js';
import { audibleExtent, timeline, type Placement, type SpeechTimeline } from './speech-fixture.js';

const TEXTS = ['hello there how are you', 'what is the weather like in paris today', 'thank you very much'];
const FINAL_DELAY = 250;
const END_SILENCE = 300;
const MS_PER_WORD = 150;

type Stamped = { at: number; event: SttEvent };

type Harness = { clock: VirtualClock; stream: SttStream; events: Stamped[]; controller: AbortController };

function openStt(sampleRate: number, overrides: Partial<SimulatedSttOptions> = {}): Harness {
  const clock = new VirtualClock();
  const stt = new SimulatedStt({ clock, script: TEXTS, finalDelayMs: FINAL_DELAY, ...overrides });
  const events: Stamped[] = [];
  const controller = new AbortController();
  const stream = stt.open({
    sampleRate,
    signal: controller.signal,
    onEvent: (event) => events.push({ at: clock.now(), event }),
  });
  return { clock, stream, events, controller };
}

/** Writes like a live source: each chunk arrives once its audio has been spoken (clock = audio time). */
function feed(h: Harness, samples: Int16Array, sampleRate: number, chunkSamples: number, fromSample = 0, toSample = samples.length): void {
  for (let at = fromSample; at < toSample; at += chunkSamples) {
    const end = Math.min(at + chunkSamples, toSample);
    h.clock.advanceTo((end * 1000) / sampleRate);
    h.stream.write(samples.subarray(at, end));
  }
}

const finals = (events: Stamped[]) =>
  events.flatMap((e) => (e.event.type === 'final' ? [{ at: e.at, ...e.event }] : []));
const partials = (events: Stamped[]) =>
  events.flatMap((e) => (e.event.type === 'partial' ? [{ at: e.at, ...e.event }] : []));

describe('SimulatedStt on real speech', () => {
  let speech16: SpeechTimeline;
  let speech8: SpeechTimeline;
  let audible16: Placement[];

  beforeAll(() => {
    const utterances16 = TEXTS.map((t) => speak(t, 'flite', 16000));
    speech16 = timeline(utterances16, 16000, 500, 1000);
    speech8 = timeline(TEXTS.map((t) => speak(t, 'flite', 8000)), 8000, 500, 1000);
    // Where each utterance is clearly audible, measured on peaks rather than on frame energy.
    audible16 = utterances16.map((u, i) => {
      const extent = audibleExtent(u, 16000, 1000);
      const offset = speech16.placements[i].startMs;
      return { startMs: offset + extent.startMs, endMs: offset + extent.endMs };
    });
  });

  it('gives one final per utterance, with the scripted text, in order, where the speech is', () => {
    const h = openStt(16000);
    feed(h, speech16.samples, 16000, 320);
    h.clock.advance(FINAL_DELAY);
    const got = finals(h.events);
    expect(got.map((f) => f.text)).toEqual(TEXTS);
    got.forEach((f, i) => {
      expect(Math.abs(f.startMs - audible16[i].startMs)).toBeLessThanOrEqual(40);
      expect(Math.abs(f.endMs - audible16[i].endMs)).toBeLessThanOrEqual(40);
      expect(f.confidence).toBe(0.95);
    });
  });

  it('emits each final exactly finalDelayMs after the silence decision', () => {
    const h = openStt(16000);
    feed(h, speech16.samples, 16000, 320);
    h.clock.advance(FINAL_DELAY);
    for (const f of finals(h.events)) {
      // 20 ms frames aligned with 20 ms writes: the decision is the write that completes END_SILENCE.
      expect(f.endMs % 20).toBe(0);
      expect(f.at).toBe(f.endMs + END_SILENCE + FINAL_DELAY);
    }
  });

  it('spreads word timings evenly over the segment', () => {
    const h = openStt(16000);
    feed(h, speech16.samples, 16000, 320);
    h.clock.advance(FINAL_DELAY);
    for (const f of finals(h.events)) {
      const words = f.text.split(' ');
      const slot = (f.endMs - f.startMs) / words.length;
      expect(f.words?.map((w) => w.word)).toEqual(words);
      f.words?.forEach((w, i) => {
        expect(w.startMs).toBeCloseTo(f.startMs + i * slot, 9);
        expect(w.endMs).toBeCloseTo(f.startMs + (i + 1) * slot, 9);
      });
    }
  });

  it('emits growing partials every 100 ms of audio before each final', () => {
    const h = openStt(16000);
    feed(h, speech16.samples, 16000, 320);
    h.clock.advance(FINAL_DELAY);
    const fs = finals(h.events);
    const ps = partials(h.events);
    expect(ps.length).toBeGreaterThan(10);
    fs.forEach((f, i) => {
      const mine = ps.filter((p) => p.startMs === f.startMs);
      const words = TEXTS[i].split(' ');
      expect(mine.length).toBeGreaterThan(3);
      mine.forEach((p, k) => {
        const elapsed = p.endMs - p.startMs;
        // First partial once one word is due (150 ms), at the 200 ms tick; then every 100 ms.
        expect(elapsed).toBe(200 + 100 * k);
        expect(p.at).toBe(p.endMs);
        expect(p.text).toBe(words.slice(0, Math.min(words.length, Math.floor(elapsed / MS_PER_WORD))).join(' '));
        expect(p.at).toBeLessThan(f.at);
        if (i > 0) expect(p.at).toBeGreaterThan(fs[i - 1].startMs);
      });
      // The last partial comes from the final frame before the silence decision.
      expect(mine[mine.length - 1].endMs).toBeLessThanOrEqual(f.endMs + END_SILENCE);
    });
    // Every event of a segment precedes every event of the next segment's final.
    const order = h.events.map((e) => (e.event.type === 'final' ? e.event.text : null)).filter((t) => t !== null);
    expect(order).toEqual(TEXTS);
  });

  it('finds the same segments whatever the write size', () => {
    const aligned = openStt(16000);
    feed(aligned, speech16.samples, 16000, 320);
    aligned.clock.advance(FINAL_DELAY);
    const ragged = openStt(16000);
    feed(ragged, speech16.samples, 16000, 137);
    ragged.clock.advance(FINAL_DELAY);
    const a = finals(aligned.events);
    const r = finals(ragged.events);
    expect(r.map(({ text, startMs, endMs }) => ({ text, startMs, endMs }))).toEqual(
      a.map(({ text, startMs, endMs }) => ({ text, startMs, endMs })),
    );
    for (const f of r) {
      // The decision lands on the write that completes the deciding frame (at most one write later).
      const decidedAt = f.at - FINAL_DELAY;
      expect(decidedAt).toBeGreaterThanOrEqual(f.endMs + END_SILENCE);
      expect(decidedAt).toBeLessThan(f.endMs + END_SILENCE + (137 * 1000) / 16000);
    }
  });

  it('works at 8 kHz', () => {
    const h = openStt(8000);
    feed(h, speech8.samples, 8000, 160);
    h.clock.advance(FINAL_DELAY);
    const got = finals(h.events);
    expect(got.map((f) => f.text)).toEqual(TEXTS);
    got.forEach((f, i) => {
      expect(Math.abs(f.startMs - audible16[i].startMs)).toBeLessThanOrEqual(60);
      expect(Math.abs(f.endMs - audible16[i].endMs)).toBeLessThanOrEqual(60);
    });
  });

  it('takes the script from a function of the segment index', () => {
    const h = openStt(16000, { script: (i) => `line number ${i}` });
    feed(h, speech16.samples, 16000, 320);
    h.clock.advance(FINAL_DELAY);
    expect(finals(h.events).map((f) => f.text)).toEqual(['line number 0', 'line number 1', 'line number 2']);
  });

  it('says nothing for segments past the end of the script', () => {
    const h = openStt(16000, { script: TEXTS.slice(0, 2) });
    feed(h, speech16.samples, 16000, 320);
    h.clock.advance(FINAL_DELAY);
    const fs = finals(h.events);
    expect(fs.map((f) => f.text)).toEqual(TEXTS.slice(0, 2));
    // Nothing at all after the second final: no partials for the third segment.
    expect(h.events[h.events.length - 1].event).toMatchObject({ type: 'final', text: TEXTS[1] });
    expect(h.events.every((e) => e.event.type !== 'error')).toBe(true);
    expect(h.clock.pendingTimers()).toBe(0);
  });

  it('finalize() forces the final of the segment in progress; the rest of the speech is a new segment', () => {
    const h = openStt(16000);
    const midFirst = Math.round(((audible16[0].startMs + audible16[0].endMs) / 2) * 16);
    feed(h, speech16.samples, 16000, 320, 0, midFirst - (midFirst % 320));
    const finalizedAt = h.clock.now();
    h.stream.finalize();
    expect(finals(h.events)).toEqual([]);
    h.clock.advance(FINAL_DELAY - 1);
    expect(finals(h.events)).toEqual([]);
    h.clock.advance(1);
    const [forced] = finals(h.events);
    expect(forced).toMatchObject({ text: TEXTS[0], at: finalizedAt + FINAL_DELAY });
    expect(forced.endMs).toBeLessThanOrEqual(finalizedAt);
    expect(forced.endMs).toBeGreaterThan(finalizedAt - END_SILENCE);

    feed(h, speech16.samples, 16000, 320, midFirst - (midFirst % 320));
    h.clock.advance(FINAL_DELAY);
    const rest = finals(h.events).slice(1);
    expect(rest.map((f) => f.text)).toEqual(TEXTS.slice(1));
    expect(rest[0].startMs).toBeGreaterThanOrEqual(finalizedAt);
    expect(rest[0].endMs).toBeLessThan(speech16.placements[1].startMs);
  });

  it('finalize() with no speech in progress does nothing', () => {
    const h = openStt(16000);
    feed(h, speech16.samples, 16000, 320, 0, 8000);
    h.stream.finalize();
    h.clock.advance(5000);
    expect(h.events).toEqual([]);
  });

  it('abort stops everything at once, including a final already due', () => {
    const h = openStt(16000);
    // Just past the first segment's silence decision, well before its final is due.
    const endFirst = Math.round((audible16[0].endMs + END_SILENCE + 100) * 16);
    feed(h, speech16.samples, 16000, 320, 0, endFirst - (endFirst % 320));
    // The first segment's silence is decided and its final pending; the second has not started.
    expect(h.clock.pendingTimers()).toBe(1);
    const before = h.events.length;
    h.controller.abort();
    expect(h.clock.pendingTimers()).toBe(0);
    feed(h, speech16.samples, 16000, 320, endFirst - (endFirst % 320));
    h.stream.finalize();
    h.clock.advance(5000);
    expect(h.events.length).toBe(before);
    expect(finals(h.events)).toEqual([]);
  });

  it('abort in the middle of a segment stops its partials', () => {
    const h = openStt(16000);
    const midSecond = Math.round(((speech16.placements[1].startMs + speech16.placements[1].endMs) / 2) * 16);
    feed(h, speech16.samples, 16000, 320, 0, midSecond - (midSecond % 320));
    const before = h.events.length;
    expect(h.events[before - 1].event.type).toBe('partial');
    h.controller.abort();
    feed(h, speech16.samples, 16000, 320, midSecond - (midSecond % 320));
    h.clock.advance(5000);
    expect(h.events.length).toBe(before);
  });

  it('an abort from inside onEvent silences the rest of the same write', () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const events: SttEvent[] = [];
    const stream = new SimulatedStt({ clock, script: TEXTS, finalDelayMs: 0 }).open({
      sampleRate: 16000,
      signal: controller.signal,
      onEvent: (e) => {
        events.push(e);
        controller.abort();
      },
    });
    stream.write(speech16.samples);
    clock.advance(1000);
    expect(events).toEqual([{ type: 'partial', text: 'hello', startMs: 740, endMs: 940 }]);
  });

  it('close() drops a pending final and ignores later audio', () => {
    const h = openStt(16000);
    const endFirst = Math.round((audible16[0].endMs + END_SILENCE + 100) * 16);
    feed(h, speech16.samples, 16000, 320, 0, endFirst - (endFirst % 320));
    expect(h.clock.pendingTimers()).toBe(1);
    const before = h.events.length;
    h.stream.close();
    expect(h.clock.pendingTimers()).toBe(0);
    feed(h, speech16.samples, 16000, 320, endFirst - (endFirst % 320));
    h.clock.advance(5000);
    expect(h.events.length).toBe(before);
  });

  it('an already aborted signal yields nothing', () => {
    const clock = new VirtualClock();
    const events: SttEvent[] = [];
    const stream = new SimulatedStt({ clock, script: TEXTS, finalDelayMs: 0 }).open({
      sampleRate: 16000,
      signal: AbortSignal.abort(),
      onEvent: (e) => events.push(e),
    });
    stream.write(speech16.samples);
    stream.finalize();
    clock.advance(1000);
    expect(events).toEqual([]);
  });
});

describe('SimulatedStt on audio without speech', () => {
  it('says nothing for an all-zero stream', () => {
    const h = openStt(16000);
    feed(h, new Int16Array(16000 * 5), 16000, 320);
    h.stream.finalize();
    h.clock.advance(5000);
    expect(h.events).toEqual([]);
  });

  it('says nothing for quiet noise below the onset threshold', () => {
    const h = openStt(16000);
    // Deterministic noise at about -50 dBFS RMS (uniform in ±178).
    const noise = new Int16Array(16000 * 5);
    let seed = 12345;
    for (let i = 0; i < noise.length; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      noise[i] = Math.round(((seed / 0xffffffff) * 2 - 1) * 178);
    }
    feed(h, noise, 16000, 320);
    h.clock.advance(5000);
    expect(h.events).toEqual([]);
  });

  it('the same noise made louder than the threshold is heard as one segment', () => {
    const h = openStt(16000, { script: ['loud noise'] });
    const noise = new Int16Array(16000 * 2);
    let seed = 12345;
    for (let i = 0; i < 16000; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      noise[i] = Math.round(((seed / 0xffffffff) * 2 - 1) * 3000);
    }
    feed(h, noise, 16000, 320);
    h.clock.advance(FINAL_DELAY);
    expect(finals(h.events)).toMatchObject([{ text: 'loud noise', startMs: 0, endMs: 1000, at: 1300 + FINAL_DELAY }]);
  });

  it('rejects impossible options', () => {
    const clock = new VirtualClock();
    expect(() => new SimulatedStt({ clock, script: [], finalDelayMs: -1 })).toThrow(RangeError);
    expect(() => new SimulatedStt({ clock, script: [], finalDelayMs: 0, partialIntervalMs: 0 })).toThrow(RangeError);
  });
});
