// The espeak-ng processes behind EspeakTts, watched through /proc: audio streams while espeak is
// still running, abort and early exit kill it, waiting (warm) processes are used and cleaned up,
// and every way the process can fail (missing binary, bad exit, garbage output) is a ProviderError.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { EspeakTts, type EspeakTtsOptions } from '../../../src/providers/local/espeak-tts.js';
import { AbortedError, type TtsAudio } from '../../../src/providers/types.js';
import { providerFailure } from '../../helpers/provider-failure.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-espeak-fake-'));
const created: EspeakTts[] = [];
afterAll(async () => {
  await Promise.all(created.map((t) => t.close()));
  rmSync(dir, { recursive: true, force: true });
});

function tts(options: EspeakTtsOptions = {}): EspeakTts {
  const t = new EspeakTts({ warmProcesses: 0, ...options });
  created.push(t);
  return t;
}

/** ~3 MB of audio (about 70 s): more than the reader queues before pausing espeak (1 MB). */
const LONG = Array.from({ length: 30 }, (_, i) => `This is sentence number ${i + 1} of a long reply that keeps on going.`).join(' ');

/** Live (not zombie) child processes of this test worker, pid → command name. */
function liveChildren(): Map<number, string> {
  const found = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const close = stat.lastIndexOf(')');
    const [state, ppid] = stat.slice(close + 2).split(' ');
    if (Number(ppid) === process.pid && state !== 'Z') found.set(Number(entry), stat.slice(stat.indexOf('(') + 1, close));
  }
  return found;
}

const espeakPids = () => [...liveChildren()].filter(([, name]) => name === 'espeak-ng').map(([pid]) => pid);

/** Polls until `pid` is no longer a live child; returns how long that took, or Infinity after `limitMs`. */
async function goneWithin(pid: number, limitMs: number): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < limitMs) {
    if (!liveChildren().has(pid)) return performance.now() - start;
    await new Promise((r) => setTimeout(r, 2));
  }
  return Infinity;
}

/** A stand-in espeak-ng: voice listings come from the real one, synthesis does `body`. */
let fakes = 0;
function fakeEspeak(body: string): string {
  const file = join(dir, `espeak-fake-${++fakes}.sh`);
  writeFileSync(file, `#!/bin/sh\ncase "$1" in --voices*) exec espeak-ng "$1";; esac\n${body}\n`, { mode: 0o755 });
  return file;
}


async function drain(provider: EspeakTts, text: string, chunks: TtsAudio[] = []): Promise<TtsAudio[]> {
  for await (const chunk of provider.synthesize({ text, sampleRate: 16000, signal: new AbortController().signal })) chunks.push(chunk);
  return chunks;
}

describe('EspeakTts streaming and cancellation', () => {
  it('yields the first audio while espeak-ng is still synthesizing a long text', async () => {
    const provider = tts();
    await provider.ready();
    expect(espeakPids()).toEqual([]);
    let atFirst: number[] | null = null;
    let samples = 0;
    for await (const chunk of provider.synthesize({ text: LONG, sampleRate: 16000, signal: new AbortController().signal })) {
      atFirst ??= espeakPids();
      samples += chunk.samples.length;
    }
    expect(atFirst).toHaveLength(1);
    expect(samples / 16000).toBeGreaterThan(60);
    expect(espeakPids()).toEqual([]);
  });

  it('also streams before a slow process ends', async () => {
    // espeak-ng, then the same process lingers for 3 s before exiting.
    const provider = tts({ binary: fakeEspeak('espeak-ng "$@"\nexec sleep 3') });
    const start = performance.now();
    const iterator = provider.synthesize({ text: 'Hello there.', sampleRate: 16000, signal: new AbortController().signal })[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    expect(performance.now() - start).toBeLessThan(2500);
    await iterator.return?.();
  });

  it('kills espeak-ng at once on abort mid-sentence, dropping the audio it had queued', async () => {
    const provider = tts();
    await provider.ready();
    const controller = new AbortController();
    const iterator = provider.synthesize({ text: LONG, sampleRate: 16000, signal: controller.signal })[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    const [pid] = espeakPids();
    expect(pid).toBeDefined();
    // Not pulling: espeak fills the queue and then blocks on its pipe, so only a kill can end it.
    await new Promise((r) => setTimeout(r, 300));
    expect(liveChildren().has(pid)).toBe(true);

    controller.abort();
    expect(await goneWithin(pid, 1000)).toBeLessThan(1000);
    // Over a megabyte of audio was queued; none of it comes out after the abort.
    await expect(iterator.next()).rejects.toBeInstanceOf(AbortedError);
    expect((await iterator.next()).done).toBe(true);
  });

  it('ends a wait for audio at once on abort, and kills the process', async () => {
    const provider = tts({ binary: fakeEspeak('espeak-ng "$@"\nexec sleep 30') });
    const controller = new AbortController();
    const iterator = provider.synthesize({ text: 'Hello there.', sampleRate: 16000, signal: controller.signal })[Symbol.asyncIterator]();
    for (;;) {
      const r = await iterator.next();
      expect(r.done).toBe(false);
      // Everything espeak said is out; the next pull waits on the lingering process.
      if (liveChildren().size === 1 && [...liveChildren().values()][0] === 'sleep') break;
    }
    const [pid] = liveChildren().keys();
    const pending = iterator.next();
    const abortedAt = performance.now();
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    expect(performance.now() - abortedAt).toBeLessThan(50);
    expect(await goneWithin(pid, 1000)).toBeLessThan(1000);
  });

  it('kills the process when the consumer stops early', async () => {
    const provider = tts();
    await provider.ready();
    let pid: number | undefined;
    for await (const chunk of provider.synthesize({ text: LONG, sampleRate: 16000, signal: new AbortController().signal })) {
      expect(chunk.samples.length).toBeGreaterThan(0);
      [pid] = espeakPids();
      await new Promise((r) => setTimeout(r, 300));
      break;
    }
    expect(pid).toBeDefined();
    expect(await goneWithin(pid!, 1000)).toBeLessThan(1000);
  });

  it('throws AbortedError without starting espeak when already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const iterator = tts().synthesize({ text: 'Hello.', sampleRate: 16000, signal: controller.signal })[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toBeInstanceOf(AbortedError);
    expect(espeakPids()).toEqual([]);
  });
});

describe('EspeakTts warm processes', () => {
  it('serves a request from a process already waiting, starts a replacement, and kills them on close', async () => {
    const provider = new EspeakTts({ warmProcesses: 1 });
    await provider.ready();
    await new Promise((r) => setTimeout(r, 50));
    const [warm] = provider.warmPids;
    expect(provider.warmPids).toHaveLength(1);
    expect(espeakPids()).toEqual([warm]);

    let serving: number[] | null = null;
    // A long text, so the serving process is still there to be seen at the first chunk.
    for await (const _ of provider.synthesize({ text: LONG, sampleRate: 16000, signal: new AbortController().signal })) serving ??= espeakPids();
    expect(serving).toContain(warm);
    await new Promise((r) => setTimeout(r, 50));
    expect(provider.warmPids).toHaveLength(1);
    expect(provider.warmPids[0]).not.toBe(warm);
    expect(liveChildren().has(warm)).toBe(false);

    // Another voice needs other arguments: it starts its own process and leaves the waiting one.
    const before = provider.warmPids[0];
    for await (const _ of provider.synthesize({ text: 'Hello.', sampleRate: 16000, voice: 'en-gb', signal: new AbortController().signal })) void _;
    expect(provider.warmPids).toEqual([before]);

    await provider.close();
    expect(provider.warmPids).toEqual([]);
    expect(espeakPids()).toEqual([]);
    // Synthesis still works after close, one process per request.
    expect((await drain(provider, 'Still here.')).length).toBeGreaterThan(0);
    expect(espeakPids()).toEqual([]);
  });
});

describe('EspeakTts process failures', () => {
  it('names apt-get install when the binary is missing', async () => {
    const provider = tts({ binary: join(dir, 'no-such-espeak-ng') });
    for (const run of [() => provider.ready(), () => drain(provider, 'Hello.')]) {
      const err = await providerFailure(run);
      expect(err.kind).toBe('bad_request');
      expect(err.code).toBe('espeak_missing');
      expect(err.message).toMatch(/not found; install it with `sudo apt-get install espeak-ng`/);
    }
  });

  it('turns a binary path Node cannot even pass into a ProviderError', async () => {
    const err = await providerFailure(() => drain(tts({ binary: 'espeak\u0000ng' }), 'Hello.'));
    expect(err.code).toBe('espeak_spawn_failed');
  });

  it('reports a non-zero exit with what espeak said on stderr', async () => {
    const err = await providerFailure(() => drain(tts({ binary: fakeEspeak('cat >/dev/null\necho "phontab: no such file" >&2\nexit 3') }), 'Hello.'));
    expect(err.kind).toBe('server');
    expect(err.code).toBe('espeak_exit');
    expect(err.message).toMatch(/exited with code 3: phontab: no such file; .*apt-get install --reinstall espeak-ng/);
  });

  it('yields the audio made before a crash, then reports the crash', async () => {
    const chunks: TtsAudio[] = [];
    const err = await providerFailure(() => drain(tts({ binary: fakeEspeak('espeak-ng "$@" | head -c 20000\nkill -SEGV $$') }), 'Hello there, how are you today?', chunks));
    expect(chunks.reduce((n, c) => n + c.samples.length, 0)).toBeGreaterThan(5000);
    expect(err.message).toMatch(/was killed by SIGSEGV/);
    expect(err.code).toBe('espeak_killed');
  });

  it('refuses output that is not a WAV stream, or stops inside its header', async () => {
    const garbage = await providerFailure(() => drain(tts({ binary: fakeEspeak('cat >/dev/null\necho "this is not audio"') }), 'Hello.'));
    expect(garbage.kind).toBe('protocol');
    expect(garbage.code).toBe('wrong_audio_format');
    expect(garbage.message).toMatch(/not the expected WAV stream: expected a WAV stream, got bytes starting "this is "/);
    const cut = await providerFailure(() => drain(tts({ binary: fakeEspeak('espeak-ng "$@" | head -c 30') }), 'Hello.'));
    expect(cut.code).toBe('wrong_audio_format');
    expect(cut.message).toMatch(/inside the WAV header after 30 bytes/);
  });

  it('reports a voice listing that fails', async () => {
    const file = join(dir, 'espeak-no-voices.sh');
    writeFileSync(file, '#!/bin/sh\necho "cannot open espeak-ng-data" >&2\nexit 1\n', { mode: 0o755 });
    const err = await providerFailure(() => tts({ binary: file }).ready());
    expect(err.message).toMatch(/--voices.* exited with code 1: cannot open espeak-ng-data/);
  });
});
