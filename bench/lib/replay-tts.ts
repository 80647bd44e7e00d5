// A TTS for the capacity step with the simulated TTS's exact timing and audio, minus its CPU cost:
// the simulator renders its waveform sample by sample on the server's event loop, work a real
// (remote) TTS never puts there. Here each distinct text is rendered once, instantly (a simulated
// TTS on a frozen virtual clock with no delays), and every request replays those chunks on the
// simulator's schedule: first chunk at ttfbMs, then audio at `realtimeFactor` x real time.
import { VirtualClock, type Clock } from '../../src/clock.js';
import { sleepUntil, throwIfAborted } from '../../src/clock-sleep.js';
import { SimulatedTts } from '../../src/providers/simulated/index.js';
import type { ProviderCapabilities, TtsAudio, TtsProvider, TtsRequest } from '../../src/providers/types.js';

export class ReplayTts implements TtsProvider {
  readonly name = 'simulated';
  readonly capabilities: ProviderCapabilities = { sampleRates: [16000], wordTimestamps: true, languages: ['*'], streaming: true };
  private readonly renderer = new SimulatedTts({ clock: new VirtualClock(), ttfbMs: 0, realtimeFactor: Infinity });
  private readonly cache = new Map<string, Promise<TtsAudio[]>>();
  renders = 0;
  requests = 0;

  constructor(
    private readonly clock: Clock,
    private readonly timing: { ttfbMs: number; realtimeFactor: number },
  ) {}

  synthesize(request: TtsRequest): AsyncIterable<TtsAudio> {
    this.requests++;
    const key = `${request.sampleRate}|${request.voice ?? ''}|${request.text}`;
    let chunks = this.cache.get(key);
    if (!chunks) {
      this.renders++;
      chunks = this.render({ ...request, signal: new AbortController().signal });
      this.cache.set(key, chunks);
    }
    return this.replay(chunks, request, this.clock.now());
  }

  private async render(request: TtsRequest): Promise<TtsAudio[]> {
    const out: TtsAudio[] = [];
    for await (const audio of this.renderer.synthesize(request)) out.push(audio);
    return out;
  }

  private async *replay(rendered: Promise<TtsAudio[]>, request: TtsRequest, requestedAt: number): AsyncGenerator<TtsAudio> {
    const { signal, sampleRate } = request;
    throwIfAborted(signal);
    const chunks = await rendered;
    let producedMs = 0;
    for (const audio of chunks) {
      await sleepUntil(this.clock, requestedAt + this.timing.ttfbMs + producedMs / this.timing.realtimeFactor, signal);
      throwIfAborted(signal);
      producedMs += (audio.samples.length * 1000) / sampleRate;
      yield audio;
    }
  }
}
