// DeepgramStt against the simulator over real sockets: transcripts of real (flite) speech, control
// messages as the server sees them, every fault, the idle timeout, and cancellation timing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pcm16FromBytes } from '../../../src/audio/pcm.js';
import { writeWav } from '../../../src/audio/wav.js';
import { DeepgramStt, deepgramListenUrl, type DeepgramSttOptions } from '../../../src/providers/deepgram/deepgram-stt.js';
import { ProviderError } from '../../../src/providers/provider-error.js';
import { startSimServer, type SimServer } from '../../../sim/sim-server.js';
import type { SimFault } from '../../../sim/sim-control.js';
import { silence, speak } from '../../helpers/speech.js';
import { pause, SttHarness } from './stt-harness.js';

const LINE = 'Please book a table for two at seven tonight.';
const FINAL_DELAY_MS = 20;

let sim: SimServer;
let speech: Int16Array;
let tagCounter = 0;

beforeAll(async () => {
  sim = await startSimServer({
    script: [LINE],
    latencies: { sttFinalDelayMs: FINAL_DELAY_MS, sttInterimIntervalMs: 200, sttEndpointingMs: 300 },
  });
  speech = speak(LINE);
});
afterAll(async () => {
  await sim.close();
});

/** A provider on its own script tag, so every test hears the script from its first line. */
function stt(options: Partial<DeepgramSttOptions> = {}): DeepgramStt {
  return new DeepgramStt({ apiKey: sim.control.keys.deepgram, baseUrl: sim.wsUrl, tag: `stt-test-${++tagCounter}`, ...options });
}

function fault(f: SimFault): void {
  sim.control.addFault({ vendor: 'deepgram', path: '/v1/listen', fault: f, times: 1 });
}

const lastListen = () => sim.control.last('deepgram', '/v1/listen')!;

async function expectSilenceAfter(h: SttHarness, count: number): Promise<void> {
  await pause(150);
  expect(h.events).toHaveLength(count);
}

describe('DeepgramStt happy path', () => {
  it('transcribes real speech: partials, then a final with the script line, word timings and confidence', async () => {
    const h = new SttHarness(stt());
    // Written before the socket is open: held and sent on open.
    h.write(silence(400));
    h.write(speech);
    h.write(silence(800));
    const final = await h.waitForType('final');
    expect(final.text).toBe(LINE);
    expect(final.confidence).toBeGreaterThan(0.5);
    expect(final.words?.map((w) => w.word).join(' ')).toBe(LINE);
    const words = final.words!;
    expect(words[0].startMs).toBeGreaterThanOrEqual(400);
    expect(words.at(-1)!.endMs).toBeLessThanOrEqual(400 + (speech.length / 16000) * 1000 + 50);
    for (let i = 1; i < words.length; i++) expect(words[i].startMs).toBeGreaterThanOrEqual(words[i - 1].endMs);
    expect(final.startMs).toBe(words[0].startMs);
    expect(final.endMs).toBe(words.at(-1)!.endMs);
    const partials = h.of('partial');
    expect(partials.length).toBeGreaterThan(0);
    expect(partials.every((p) => p.text.length > 0 && p.at < final.at)).toBe(true);
    h.stream.close();
  });

  it('asks for linear16 at the stream rate with the configured options, and no secret in the URL', () => {
    const url = new URL(deepgramListenUrl({ apiKey: 'secret-key', baseUrl: 'https://api.example.com/', model: 'nova-2', endpointingMs: 250, utteranceEndMs: 1000, tag: 't', smartFormat: true }, 8000, 'de'));
    expect(url.protocol).toBe('wss:');
    expect(url.pathname).toBe('/v1/listen');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      model: 'nova-2',
      encoding: 'linear16',
      sample_rate: '8000',
      language: 'de',
      interim_results: 'true',
      endpointing: '250',
      utterance_end_ms: '1000',
      tag: 't',
      smart_format: 'true',
    });
    expect(url.toString()).not.toContain('secret-key');
  });

  it('finalize() sends Finalize and gets the final of speech that has not ended in silence', async () => {
    const h = new SttHarness(stt());
    h.write(silence(300));
    h.write(speech);
    h.stream.finalize();
    const final = await h.waitForType('final');
    expect(final.text).toBe(LINE);
    expect(lastListen().events.map((e) => e.type)).toContain('finalize');
    h.stream.close();
  });

  it('close() ends gracefully with CloseStream (the server closes) and emits nothing more', async () => {
    const h = new SttHarness(stt());
    h.write(silence(300));
    await sim.control.waitFor(() => (lastListen()?.closedAt === null ? lastListen() : undefined));
    const connection = lastListen();
    await pause(50);
    h.write(speech);
    h.stream.close();
    // CloseStream makes the server finalize the open speech; the adapter must not report it.
    await sim.control.waitFor(() => connection.closedBy ?? undefined);
    expect(connection.events.map((e) => e.type)).toContain('close_stream');
    expect(connection.closedBy).toBe('server');
    await expectSilenceAfter(h, 0);
  });

  it('sends KeepAlive while no audio flows, which keeps the stream past the idle window', async () => {
    sim.control.timeouts.deepgramIdleMs = 200;
    try {
      const h = new SttHarness(stt({ keepAliveMs: 60 }));
      h.write(silence(200));
      await sim.control.waitFor(() => (lastListen()?.events.filter((e) => e.type === 'keepalive').length ?? 0) >= 5 || undefined, 2000);
      expect(lastListen().closedAt).toBeNull();
      expect(h.of('error')).toHaveLength(0);
      h.stream.close();
    } finally {
      sim.control.timeouts.deepgramIdleMs = 10_000;
    }
  });
});

describe('DeepgramStt failures: exactly one error event, then silence', () => {
  it('wrong key: non-recoverable auth error', async () => {
    const h = new SttHarness(stt({ apiKey: 'wrong-key' }));
    h.write(speech);
    const error = await h.waitForType('error');
    expect(error.recoverable).toBe(false);
    expect(error.error).toBeInstanceOf(ProviderError);
    expect(error.error).toMatchObject({ kind: 'auth', status: 401 });
    expect(error.message).toContain('Invalid credentials');
    expect(error.message).not.toContain('wrong-key');
    await expectSilenceAfter(h, 1);
  });

  it('status 401 fault: non-recoverable', async () => {
    fault({ type: 'status', status: 401 });
    const h = new SttHarness(stt());
    const error = await h.waitForType('error');
    expect(error).toMatchObject({ recoverable: false, error: { kind: 'auth', status: 401 } });
    await expectSilenceAfter(h, 1);
  });

  it('429 with retry-after: recoverable rate_limited with retryAfterMs', async () => {
    fault({ type: 'status', status: 429, retryAfterS: 3 });
    const h = new SttHarness(stt());
    const error = await h.waitForType('error');
    expect(error.recoverable).toBe(true);
    expect(error.error).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 3000 });
    await expectSilenceAfter(h, 1);
  });

  it('500: recoverable server error', async () => {
    fault({ type: 'status', status: 500 });
    const h = new SttHarness(stt());
    const error = await h.waitForType('error');
    expect(error).toMatchObject({ recoverable: true, error: { kind: 'server', status: 500 } });
    await expectSilenceAfter(h, 1);
  });

  it('connection dropped after N ms: recoverable network error', async () => {
    fault({ type: 'drop', afterMs: 80 });
    const h = new SttHarness(stt());
    h.write(silence(300));
    const error = await h.waitForType('error');
    expect(error).toMatchObject({ recoverable: true, error: { kind: 'network' } });
    expect(error.at - lastListen().openedAt).toBeGreaterThanOrEqual(70);
    await expectSilenceAfter(h, 1);
  });

  it('slow: the final still arrives, after the slowed final delay', async () => {
    fault({ type: 'slow', factor: 10 });
    const h = new SttHarness(stt());
    h.write(silence(300));
    h.write(speech);
    const speechEndWritten = performance.now();
    h.write(silence(800));
    const final = await h.waitForType('final');
    expect(final.text).toBe(LINE);
    expect(final.at - speechEndWritten).toBeGreaterThanOrEqual(FINAL_DELAY_MS * 10 - 5);
    h.stream.close();
  });

  it('malformed frame from the provider: a clear protocol error, recoverable', async () => {
    fault({ type: 'malformed' });
    const h = new SttHarness(stt());
    h.write(silence(300));
    h.write(speech);
    h.write(silence(800));
    const error = await h.waitForType('error');
    expect(error.recoverable).toBe(true);
    expect(error.error).toMatchObject({ kind: 'protocol', code: 'malformed_message' });
    expect(error.message).toMatch(/not JSON/);
    const count = h.events.length;
    expect(h.events.at(-1)!.type).toBe('error');
    await expectSilenceAfter(h, count);
  });

  it('audio the server cannot decode (a WAV header) ends with DATA-0000 as a protocol error', async () => {
    const h = new SttHarness(stt());
    const wav = writeWav({ sampleRate: 16000, channels: 1, samples: speech });
    h.write(pcm16FromBytes(new Uint8Array(wav.subarray(0, wav.length - (wav.length % 2)))));
    const error = await h.waitForType('error');
    expect(error).toMatchObject({ recoverable: true, error: { kind: 'protocol', code: 'DATA-0000' } });
    await expectSilenceAfter(h, 1);
  });

  it('no audio within the idle window: NET-0001 timeout error', async () => {
    sim.control.timeouts.deepgramIdleMs = 120;
    try {
      const h = new SttHarness(stt());
      const error = await h.waitForType('error');
      expect(error).toMatchObject({ recoverable: true, error: { kind: 'timeout', code: 'NET-0001' } });
      expect(lastListen().events.map((e) => e.type)).toContain('idle_timeout');
      await expectSilenceAfter(h, 1);
    } finally {
      sim.control.timeouts.deepgramIdleMs = 10_000;
    }
  });

  it('connection refused at the TCP level: recoverable network error', async () => {
    const h = new SttHarness(new DeepgramStt({ apiKey: 'k', baseUrl: 'ws://127.0.0.1:1' }));
    const error = await h.waitForType('error');
    expect(error).toMatchObject({ recoverable: true, error: { kind: 'network' } });
    await expectSilenceAfter(h, 1);
  });
});

describe('DeepgramStt cancellation', () => {
  it('abort mid-stream: the simulator sees the client close within 50 ms, and no event follows', async () => {
    const h = new SttHarness(stt());
    h.write(silence(300));
    h.write(speech.subarray(0, speech.length / 2));
    await h.waitForType('partial');
    const connection = lastListen();
    const abortedAt = performance.now();
    h.controller.abort();
    h.write(speech.subarray(speech.length / 2));
    h.write(silence(800));
    await sim.control.waitFor(() => connection.closedAt ?? undefined);
    expect(connection.closedBy).toBe('client');
    expect(connection.closedAt! - abortedAt).toBeLessThanOrEqual(50);
    const count = h.events.length;
    await expectSilenceAfter(h, count);
    expect(h.events.every((e) => e.at <= abortedAt)).toBe(true);
  });

  it('abort while connecting: the handshake is dropped and nothing is emitted', async () => {
    const h = new SttHarness(stt());
    h.write(speech);
    h.controller.abort();
    await pause(150);
    expect(h.events).toHaveLength(0);
  });

  it('an already-aborted signal opens nothing', async () => {
    const before = sim.control.connections.length;
    const controller = new AbortController();
    controller.abort();
    const events: unknown[] = [];
    const stream = stt().open({ sampleRate: 16000, signal: controller.signal, onEvent: (e) => events.push(e) });
    stream.write(speech);
    await pause(100);
    expect(events).toHaveLength(0);
    expect(sim.control.connections.length).toBe(before);
  });
});
