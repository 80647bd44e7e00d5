// WhisperStt against the real @napi-rs/whisper binding in runtimes/. There is no whisper model on
// this machine, so these tests cover the loading code, its errors, the worker and the stream's
// bookkeeping; no transcription of speech is exercised here.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalModelError } from '../../../src/providers/local/local-runtime-model-file.js';
import { LocalRuntimeMissingError, resolveRuntimePackage, RUNTIMES_INSTALL_COMMAND } from '../../../src/providers/local/local-runtime.js';
import { cleanTranscript, toWhisperInput, WhisperStt } from '../../../src/providers/local/whisper-stt.js';
import { ProviderError } from '../../../src/providers/provider-error.js';
import type { SttEvent } from '../../../src/providers/types.js';
import { speak } from '../../helpers/speech.js';

let dir: string;
let notAModel: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-whisper-'));
  notAModel = join(dir, 'ggml-base.en.bin');
  writeFileSync(notAModel, Buffer.from('this is a text file, not a whisper.cpp ggml model\n'.repeat(100)));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('whisper runtime', () => {
  it('resolves @napi-rs/whisper in runtimes/ and its native build loads', async () => {
    const entry = resolveRuntimePackage('@napi-rs/whisper');
    expect(entry).toMatch(/runtimes\/node_modules\/@napi-rs\/whisper\/index\.js$/);
    const binding = (await import(entry)) as { Whisper: { langId(lang: string): number } };
    expect(binding.Whisper.langId('en')).toBe(0);
  });

  it('names the install command when the runtimes folder lacks the binding', () => {
    const empty = join(dir, 'empty-runtimes');
    mkdirSync(empty, { recursive: true });
    writeFileSync(join(empty, 'package.json'), '{}');
    let err: unknown = null;
    try {
      new WhisperStt({ modelPath: notAModel, runtimesDir: empty });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LocalRuntimeMissingError);
    expect((err as Error).message).toContain('@napi-rs/whisper');
    expect((err as Error).message).toContain(RUNTIMES_INSTALL_COMMAND);
  });
});

describe('whisper model file errors', () => {
  it('no path names WHISPER_MODEL_PATH', () => {
    expect(() => new WhisperStt({})).toThrow(LocalModelError);
    expect(() => new WhisperStt({})).toThrow(/no model file given: set WHISPER_MODEL_PATH to the path of a whisper\.cpp ggml model/);
  });

  it('a missing file, a directory and an empty file are told apart', () => {
    expect(() => new WhisperStt({ modelPath: join(dir, 'missing.bin') })).toThrow(/missing\.bin \(WHISPER_MODEL_PATH\) does not exist/);
    expect(() => new WhisperStt({ modelPath: dir })).toThrow(/WHISPER_MODEL_PATH=.* is a directory/);
    const empty = join(dir, 'empty.bin');
    writeFileSync(empty, '');
    expect(() => new WhisperStt({ modelPath: empty })).toThrow(/is empty/);
  });

  it('a file that is not a ggml model: the worker reports the binding error, wrapped with the path and what is expected', async () => {
    const stt = new WhisperStt({ modelPath: notAModel });
    let err: unknown = null;
    try {
      await stt.load();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LocalModelError);
    expect((err as Error).message).toBe(
      `whisper: cannot load ${notAModel} (WHISPER_MODEL_PATH): Failed to initialize Whisper model from buffer; it must be a whisper.cpp ggml model file (e.g. ggml-base.en.bin from the whisper.cpp model list)`,
    );
    await stt.close();
  });

  it('the model loads in the worker thread: the event loop keeps running until the failure arrives', async () => {
    const stt = new WhisperStt({ modelPath: notAModel });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const settled = stt.load().then(
      () => 'loaded',
      () => 'failed',
    );
    // Were the model read on this thread, the load would finish before any timer could run.
    expect(await settled).toBe('failed');
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
    await stt.close();
  });
});

describe('whisper stream', () => {
  const open = (stt: WhisperStt, signal = new AbortController().signal) => {
    const events: SttEvent[] = [];
    let notify: () => void = () => undefined;
    const stream = stt.open({ sampleRate: 16000, signal, onEvent: (e) => (events.push(e), notify()) });
    const nextEvent = () => new Promise<void>((resolve) => (notify = resolve));
    return { stream, events, nextEvent };
  };

  it('finalize on real speech with a bad model: one non-recoverable error event naming the file', async () => {
    const stt = new WhisperStt({ modelPath: notAModel });
    const { stream, events, nextEvent } = open(stt);
    stream.write(speak('book a table for two'));
    const arrived = nextEvent();
    stream.finalize();
    await arrived;
    expect(events).toHaveLength(1);
    const event = events[0];
    if (event.type !== 'error') throw new Error(`expected an error event, got ${event.type}`);
    expect(event.recoverable).toBe(false);
    expect(event.error).toBeInstanceOf(ProviderError);
    expect(event.error?.code).toBe('model_load_failed');
    expect(event.message).toContain(notAModel);
    // The stream is finished: more audio and finals do nothing.
    stream.write(speak('hello'));
    stream.finalize();
    await new Promise((r) => setTimeout(r, 50));
    expect(events).toHaveLength(1);
    await stt.close();
  });

  it('a segment shorter than 100 ms and an aborted stream produce no event', async () => {
    const stt = new WhisperStt({ modelPath: notAModel });
    const short = open(stt);
    short.stream.write(new Int16Array(1000));
    short.stream.finalize();
    const controller = new AbortController();
    const aborted = open(stt, controller.signal);
    aborted.stream.write(speak('hello there'));
    controller.abort();
    aborted.stream.finalize();
    // The load failure reaches whatever is waiting on it; nothing is waiting here.
    await stt.load().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    expect(short.events).toEqual([]);
    expect(aborted.events).toEqual([]);
    await stt.close();
  });
});

describe('whisper input', () => {
  it('converts PCM16 at any rate to 16 kHz float32 in [-1, 1]', () => {
    const at48k = new Int16Array(48000).map((_, i) => Math.round(16000 * Math.sin((2 * Math.PI * 440 * i) / 48000)));
    const out = toWhisperInput(at48k, 48000);
    expect(Math.abs(out.length - 16000)).toBeLessThan(40);
    const peak = out.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(peak).toBeGreaterThan(0.4);
    expect(peak).toBeLessThan(0.6);
    expect(toWhisperInput(Int16Array.of(-32768, 0, 16384), 16000)).toEqual(Float32Array.of(-1, 0, 0.5));
  });

  it('drops whisper non-speech tags', () => {
    expect(cleanTranscript(' [BLANK_AUDIO]')).toBe('');
    expect(cleanTranscript(' (music) Hello there. [laughs] ')).toBe('Hello there.');
  });
});
