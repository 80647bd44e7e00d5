// The pocketsphinx provider as a stream: real speech in real time, finalize latency, 8 kHz input,
// grammar and keyword modes, and the process lifecycle (abort, crash, close, missing files).
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/providers/provider-error.js';
import { bookingDomainPhrases } from '../../../src/providers/local/pocketsphinx-booking-domain.js';
import { PocketsphinxStt, type PocketsphinxSttStream } from '../../../src/providers/local/pocketsphinx-stt.js';
import type { SttEvent } from '../../../src/providers/types.js';
import { silence, speak } from '../../helpers/speech.js';
import { wordErrorRate } from '../../helpers/wer.js';

type Final = Extract<SttEvent, { type: 'final' }>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function collect(provider: PocketsphinxStt, sampleRate: number, signal = new AbortController().signal) {
  const events: (SttEvent & { at: number })[] = [];
  const stream = provider.open({ sampleRate, signal, onEvent: (e) => events.push({ ...e, at: performance.now() }) });
  return { stream, events, finals: () => events.filter((e): e is Final & { at: number } => e.type === 'final') };
}

/** Processes of a group that are still running (a zombie is dead, only not yet reaped by init). */
function livingGroupMembers(pgid: number): string[] {
  const living: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') living.push(`${entry} ${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}`);
  }
  return living;
}

function groupAlive(pgid: number): boolean {
  return livingGroupMembers(pgid).length > 0;
}

function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

let fakeDir: string;
let domainStt: PocketsphinxStt;

beforeAll(() => {
  fakeDir = mkdtempSync(join(tmpdir(), 'fake-pocketsphinx-'));
  domainStt = new PocketsphinxStt({ phrases: bookingDomainPhrases() });
});

afterAll(() => {
  rmSync(fakeDir, { recursive: true, force: true });
});

/** A stand-in decoder: a shell script that gets the same arguments and reads the FIFO (last argument). */
function fakeDecoder(name: string, body: string): string {
  const path = join(fakeDir, name);
  writeFileSync(path, `#!/bin/sh\nfor a; do last="$a"; done\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('PocketsphinxStt on real speech', () => {
  it('streams in real time: one final per utterance after finalize(), word times in stream ms, partials only from the streaming decoder', async () => {
    const texts = ['I would like to book an appointment', 'tomorrow at three pm', 'my name is John Smith'];
    const clips = texts.map((t) => speak(t, 'flite', 16000));
    const configs = [
      { name: 'booking domain', provider: domainStt },
      { name: 'general model', provider: new PocketsphinxStt() },
      { name: 'general model, pocketsphinx_continuous', provider: new PocketsphinxStt({ streamDecoder: null }) },
    ];
    const results = await Promise.all(
      configs.map(async ({ name, provider }) => {
        const partials = provider.capabilities.streaming;
        const { stream, events, finals } = collect(provider, 16000);
        const latencies: number[] = [];
        const spans: { startMs: number; endMs: number }[] = [];
        let at = 0;
        const play = async (samples: Int16Array) => {
          const started = performance.now();
          for (let i = 0, n = 0; i < samples.length; i += 320, n++) {
            stream.write(samples.subarray(i, i + 320));
            const wait = started + (n + 1) * 20 - performance.now();
            if (wait > 0) await sleep(wait);
          }
          at += (samples.length * 1000) / 16000;
        };
        await play(silence(300));
        for (const clip of clips) {
          spans.push({ startMs: at, endMs: at + (clip.length * 1000) / 16000 });
          await play(clip);
          // 250 ms of pause is less than the decoder's own 500 ms end silence: only finalize() ends it.
          await play(silence(250));
          const before = finals().length;
          const finalizedAt = performance.now();
          stream.finalize();
          await waitFor(() => finals().length > before, 3000, `${name} final after finalize`);
          latencies.push(finals()[finals().length - 1].at - finalizedAt);
        }
        stream.close();
        return { name, partials, events, finals: finals(), latencies, spans };
      }),
    );
    for (const r of results) {
      console.log(`pocketsphinx ${r.name}: finalize->final ${r.latencies.map((l) => l.toFixed(0)).join(', ')} ms (real-time input)`);
      expect(r.events.filter((e) => e.type !== 'final' && e.type !== 'partial')).toEqual([]);
      expect(r.events.some((e) => e.type === 'partial')).toBe(r.partials);
      expect(r.finals).toHaveLength(texts.length);
      const { wer } = wordErrorRate(r.finals.map((f, i) => ({ reference: texts[i], hypothesis: f.text })));
      expect(wer).toBeLessThanOrEqual(0.15);
      r.finals.forEach((f, i) => {
        const words = f.words ?? [];
        expect(words.length).toBeGreaterThan(0);
        expect(f.text).toBe(words.map((w) => w.word).join(' '));
        expect(f.startMs).toBe(words[0].startMs);
        expect(f.endMs).toBe(words[words.length - 1].endMs);
        expect(f.confidence).toBeGreaterThan(0);
        expect(f.confidence).toBeLessThanOrEqual(1);
        let previous = r.spans[i].startMs;
        for (const w of words) {
          expect(w.startMs).toBeGreaterThanOrEqual(previous);
          expect(w.endMs).toBeGreaterThan(w.startMs);
          previous = w.endMs;
        }
        expect(previous).toBeLessThanOrEqual(r.spans[i].endMs);
      });
    }
  });

  it('resamples 8 kHz input and reports times on the 8 kHz stream clock', async () => {
    const texts = ['I would like to book an appointment', 'can I move it to Wednesday', 'cancel my appointment'];
    const { stream, finals } = collect(domainStt, 8000);
    const spans: { startMs: number; endMs: number }[] = [];
    let at = 0;
    for (const text of texts) {
      const clip = speak(text, 'flite', 8000);
      spans.push({ startMs: at, endMs: at + clip.length / 8 });
      for (let i = 0; i < clip.length; i += 160) stream.write(clip.subarray(i, i + 160));
      stream.write(silence(300, 8000));
      at += clip.length / 8 + 300;
      const before = finals().length;
      stream.finalize();
      await waitFor(() => finals().length > before, 5000, '8 kHz final');
    }
    stream.close();
    const got = finals();
    expect(got).toHaveLength(texts.length);
    expect(wordErrorRate(got.map((f, i) => ({ reference: texts[i], hypothesis: f.text }))).wer).toBeLessThanOrEqual(0.15);
    got.forEach((f, i) => {
      expect(f.startMs).toBeGreaterThanOrEqual(spans[i].startMs);
      expect(f.endMs).toBeLessThanOrEqual(spans[i].endMs);
    });
  });

  it('restricts to a JSGF grammar', async () => {
    const grammar = [
      '#JSGF V1.0;',
      'grammar answer;',
      'public <answer> = yes [please] | no [thanks] | [on] <day> [at <hour> [am | pm]];',
      '<day> = monday | tuesday | wednesday | thursday | friday;',
      '<hour> = one | two | three | four | five | nine | ten;',
    ].join('\n');
    const { stream, finals } = collect(new PocketsphinxStt({ grammar }), 16000);
    for (const text of ['yes please', 'on Friday at three pm']) {
      const before = finals().length;
      stream.write(speak(text, 'flite', 16000));
      stream.write(silence(200));
      stream.finalize();
      await waitFor(() => finals().length > before, 5000, 'grammar final');
    }
    stream.close();
    expect(finals().map((f) => f.text)).toEqual(['yes please', 'on friday at three pm']);
  });

  it('spots keyphrases and reports nothing else', async () => {
    const { stream, finals } = collect(new PocketsphinxStt({ keyphrases: ['cancel', 'opening hours'] }), 16000);
    stream.write(silence(300));
    stream.write(speak('I want to cancel my appointment', 'flite', 16000));
    stream.write(silence(300));
    stream.finalize();
    await waitFor(() => finals().length > 0, 5000, 'keyphrase final');
    stream.close();
    const words = finals().flatMap((f) => f.words ?? []).map((w) => w.word);
    expect(words).toContain('cancel');
    expect(words.every((w) => w === 'cancel' || w === 'opening hours')).toBe(true);
  });
});

describe('PocketsphinxStt process lifecycle', () => {
  it('kills the decoder and its feeder at once on abort, and says nothing after', async () => {
    const abort = new AbortController();
    const { stream, events } = collect(domainStt, 16000, abort.signal);
    const pid = (stream as PocketsphinxSttStream).pid;
    expect(pid).toBeGreaterThan(0);
    stream.write(speak('I would like to book an appointment', 'flite', 16000));
    await sleep(300);
    expect(pidAlive(pid!)).toBe(true);
    // The decoder, and with pocketsphinx_continuous the `cat` feeding its FIFO.
    expect(livingGroupMembers(pid!)).toHaveLength(domainStt.capabilities.streaming ? 1 : 2);
    // Partials of the utterance in progress may have come (streaming decoder); no final has.
    expect(events.filter((e) => e.type !== 'partial')).toEqual([]);
    const before = events.length;
    const abortedAt = performance.now();
    abort.abort();
    await waitFor(() => !pidAlive(pid!) && !groupAlive(pid!), 2000, 'decoder gone');
    console.log(`pocketsphinx abort: decoder process group gone after ${(performance.now() - abortedAt).toFixed(1)} ms`);
    stream.write(silence(1000));
    stream.finalize();
    await sleep(100);
    expect(events.slice(before)).toEqual([]);
  });

  it('starts no process when the signal has already fired', () => {
    const abort = new AbortController();
    abort.abort();
    const { stream, events } = collect(domainStt, 16000, abort.signal);
    expect((stream as PocketsphinxSttStream).pid).toBeUndefined();
    stream.write(silence(100));
    stream.finalize();
    expect(events).toEqual([]);
  });

  it('reports a decoder crash as one recoverable error and ends the stream', async () => {
    const { stream, events } = collect(domainStt, 16000);
    const pid = (stream as PocketsphinxSttStream).pid!;
    stream.write(silence(500));
    await sleep(200);
    process.kill(pid, 'SIGKILL');
    await waitFor(() => events.length > 0, 2000, 'error event');
    stream.write(speak('yes please', 'flite', 16000));
    stream.finalize();
    stream.close();
    await sleep(100);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event.type).toBe('error');
    if (event.type !== 'error') return;
    expect(event.recoverable).toBe(true);
    expect(event.error).toBeInstanceOf(ProviderError);
    expect(event.error?.code).toBe('decoder_exited');
    expect(event.message).toMatch(/killed by SIGKILL/);
    await waitFor(() => !groupAlive(pid), 2000, 'feeder gone');
  });

  it('explains a decoder that exits on its own with what it logged', async () => {
    const binary = fakeDecoder('dies', 'echo "ERROR: \\"acmod.c\\", line 83: model exploded" >&2\nexit 3');
    const { events } = collect(new PocketsphinxStt({ binary }), 16000);
    await waitFor(() => events.length > 0, 2000, 'error event');
    await sleep(50);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'error', recoverable: true });
    expect(events[0].type === 'error' && events[0].message).toMatch(/exited with code 3: ERROR: "acmod.c", line 83: model exploded/);
  });

  it('ignores garbage on the decoder output and still reads the utterances around it', async () => {
    const binary = fakeDecoder(
      'garbage',
      [
        "printf '\\001\\002 binary junk\\nINFO: 1.0 2.0\\n'",
        "printf 'hello world\\n<s> 0.000 0.100 1.0\\nhello 0.100 0.400 0.9\\nworld 0.410 0.800 0.7\\n</s> 0.810 0.900 1.0\\n'",
        'exec cat "$last" > /dev/null',
      ].join('\n'),
    );
    const { stream, events } = collect(new PocketsphinxStt({ binary }), 16000);
    stream.write(silence(1000));
    await waitFor(() => events.length > 0, 2000, 'final');
    await sleep(100);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'final', text: 'hello world', startMs: 100, endMs: 800, confidence: 0.8 });
    stream.close();
  });

  it('close() ends the input so the decoder exits by itself, with no event after', async () => {
    const { stream, events } = collect(domainStt, 16000);
    const pid = (stream as PocketsphinxSttStream).pid!;
    stream.write(speak('cancel my appointment', 'flite', 16000));
    await sleep(300);
    // Partials of the utterance in progress may have come (streaming decoder); no final has.
    expect(events.filter((e) => e.type !== 'partial')).toEqual([]);
    const before = events.length;
    const closedAt = performance.now();
    stream.close();
    await waitFor(() => !pidAlive(pid), 1500, 'decoder exit after close');
    console.log(`pocketsphinx close: decoder exited ${(performance.now() - closedAt).toFixed(0)} ms after close()`);
    await sleep(100);
    expect(events.slice(before)).toEqual([]);
  });

  it('refuses missing model files or binary with the path and the package to install', () => {
    const attempt = (options: ConstructorParameters<typeof PocketsphinxStt>[0]) => {
      try {
        new PocketsphinxStt(options);
      } catch (err) {
        return err;
      }
      return null;
    };
    const missingHmm = attempt({ hmmDir: '/nowhere/en-us' });
    expect(missingHmm).toBeInstanceOf(ProviderError);
    expect(missingHmm).toMatchObject({ kind: 'bad_request', code: 'not_installed' });
    expect(String((missingHmm as Error).message)).toBe('pocketsphinx: acoustic model directory /nowhere/en-us not found: install it with `apt-get install pocketsphinx pocketsphinx-en-us`');
    expect((attempt({ lmPath: '/nowhere/en-us.lm.bin' }) as Error).message).toMatch(/language model \/nowhere\/en-us\.lm\.bin not found.*apt-get install pocketsphinx pocketsphinx-en-us/);
    expect((attempt({ binary: 'pocketsphinx_nonexistent' }) as Error).message).toMatch(/decoder binary `pocketsphinx_nonexistent` not found on PATH/);
    // A domain replaces the general language model, so its absence does not matter then.
    expect(attempt({ lmPath: '/nowhere/en-us.lm.bin', vocabulary: ['yes', 'no'] })).toBeNull();
  });

  it('reports domain words missing from the dictionary', () => {
    const stt = new PocketsphinxStt({ phrases: ['book with Drqxlo please'], vocabulary: ['yes'] });
    expect(stt.unknownWords).toEqual(['drqxlo']);
    expect(stt.capabilities).toEqual({ sampleRates: [16000], wordTimestamps: true, languages: ['en'], streaming: true });
    expect(stt.name).toBe('pocketsphinx');
  });
});
