// The fallback detector: loudness with hysteresis over a tracked noise floor. It cannot tell
// speech from other sound (a tone or a door slam is "speech" to it), but it needs nothing to load.
import type { EnergyMeterOptions } from '../audio/energy-meter.js';
import { EnergyMeter } from '../audio/energy-meter.js';
import { SpeechSegmenter } from './speech-segmenter.js';
import type { Vad, VadEvent, VadSettings, VadStream } from './vad.js';
import { VAD_SAMPLE_RATE } from './vad.js';

export const defaultEnergyMeterOptions: Readonly<EnergyMeterOptions> = Object.freeze({
  onDbfs: -40,
  offDbfs: -48,
  noiseFloor: { onAboveFloorDb: 10, offAboveFloorDb: 5 },
});

export interface EnergyVadOptions {
  meter?: EnergyMeterOptions;
}

export class EnergyVad implements Vad {
  readonly kind = 'energy' as const;
  private readonly meterOptions: EnergyMeterOptions;
  private readonly streams = new Set<EnergyVadStream>();

  constructor(options: EnergyVadOptions = {}) {
    this.meterOptions = options.meter ?? defaultEnergyMeterOptions;
    new EnergyMeter(this.meterOptions); // rejects bad options here rather than at the first open
  }

  open(settings: VadSettings, onEvent: (e: VadEvent) => void): VadStream {
    const stream = new EnergyVadStream(
      new EnergyMeter(this.meterOptions),
      new SpeechSegmenter(settings),
      onEvent,
      (s) => this.streams.delete(s),
    );
    this.streams.add(stream);
    return stream;
  }

  async close(): Promise<void> {
    for (const stream of [...this.streams]) stream.close();
  }
}

class EnergyVadStream implements VadStream {
  private samples = 0;
  private closed = false;

  constructor(
    private readonly meter: EnergyMeter,
    private readonly segmenter: SpeechSegmenter,
    private readonly onEvent: (e: VadEvent) => void,
    private readonly onClosed: (s: EnergyVadStream) => void,
  ) {}

  get audioMs(): number {
    return (this.samples * 1000) / VAD_SAMPLE_RATE;
  }

  push(frame: Int16Array): void {
    if (this.closed) return;
    const startMs = this.audioMs;
    this.samples += frame.length;
    const active = this.meter.update(frame);
    const event = this.segmenter.push(active ? 1 : 0, startMs, this.audioMs);
    if (event) this.onEvent(event);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClosed(this);
    const event = this.segmenter.finish(this.audioMs);
    if (event) this.onEvent(event);
  }
}
