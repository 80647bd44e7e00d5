// Frame loudness and a hysteresis on/off decision on it: the basis of the fallback VAD.
// RMS is relative to full scale (a full-scale square wave is 1.0 = 0 dBFS; a full-scale sine -3 dBFS).

/** What digital silence measures as, instead of -Infinity. */
export const SILENCE_DBFS = -100;

export interface FrameLevel {
  /** Root mean square of the samples, 0..1 of full scale. */
  rms: number;
  /** 20·log10(rms), clamped to SILENCE_DBFS. */
  dbfs: number;
}

export interface NoiseFloorOptions {
  /** Turns on once the level is this far above the tracked floor (and above onDbfs). */
  onAboveFloorDb: number;
  /** Turns off once the level is less than this far above the floor (or below offDbfs). */
  offAboveFloorDb: number;
  /** Floor before anything was measured. Default: the level of the first frame (calls start with background). */
  initialDbfs?: number;
  /** How fast the floor climbs toward louder input; slow, so speech barely lifts it. Default 3 dB/s. */
  riseDbPerSec?: number;
  /** Time constant with which the floor follows quieter input down. Default 100 ms. */
  fallTimeMs?: number;
}

export interface EnergyMeterOptions {
  /** Goes active when the level rises to or above this. */
  onDbfs: number;
  /** Goes inactive when the level falls below this; must be below onDbfs. */
  offDbfs: number;
  /** Tracks the background level and raises the thresholds above it (noisy lines). */
  noiseFloor?: NoiseFloorOptions;
  /** Needed to turn frame lengths into time for the floor tracker. Default 16000. */
  sampleRate?: number;
}

const FULL_SCALE = 32768;

/** Level of one frame; the helper behind EnergyMeter.measure, usable without a meter. */
export function frameDbfs(frame: Int16Array): number {
  return rmsToDbfs(frameRms(frame));
}

export function frameRms(frame: Int16Array): number {
  if (frame.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < frame.length; i++) {
    const s = frame[i];
    sum += s * s;
  }
  return Math.sqrt(sum / frame.length) / FULL_SCALE;
}

export function rmsToDbfs(rms: number): number {
  if (rms <= 0) return SILENCE_DBFS;
  return Math.max(SILENCE_DBFS, 20 * Math.log10(rms));
}

export class EnergyMeter {
  private readonly onDbfs: number;
  private readonly offDbfs: number;
  private readonly floor: (Required<Omit<NoiseFloorOptions, 'initialDbfs'>> & { initialDbfs?: number }) | null;
  private readonly sampleRate: number;
  private isActive = false;
  private floorDbfs: number;
  private levelDbfs = SILENCE_DBFS;

  constructor(options: EnergyMeterOptions) {
    const { onDbfs, offDbfs, noiseFloor } = options;
    if (!(offDbfs < onDbfs)) throw new RangeError(`offDbfs (${offDbfs}) must be below onDbfs (${onDbfs})`);
    this.onDbfs = onDbfs;
    this.offDbfs = offDbfs;
    this.sampleRate = options.sampleRate ?? 16_000;
    if (noiseFloor) {
      if (!(noiseFloor.offAboveFloorDb < noiseFloor.onAboveFloorDb)) {
        throw new RangeError(
          `offAboveFloorDb (${noiseFloor.offAboveFloorDb}) must be below onAboveFloorDb (${noiseFloor.onAboveFloorDb})`,
        );
      }
      this.floor = { riseDbPerSec: 3, fallTimeMs: 100, ...noiseFloor };
      this.floorDbfs = this.floor.initialDbfs ?? Number.NaN;
    } else {
      this.floor = null;
      this.floorDbfs = SILENCE_DBFS;
    }
  }

  measure(frame: Int16Array): FrameLevel {
    const rms = frameRms(frame);
    return { rms, dbfs: rmsToDbfs(rms) };
  }

  /** Measures the frame and returns whether the meter is active after it. */
  update(frame: Int16Array): boolean {
    const dbfs = frameDbfs(frame);
    this.levelDbfs = dbfs;
    if (this.floor) this.trackFloor(dbfs, (frame.length / this.sampleRate) * 1000);
    if (this.isActive) {
      if (dbfs < this.offThresholdDbfs) this.isActive = false;
    } else if (dbfs >= this.onThresholdDbfs) {
      this.isActive = true;
    }
    return this.isActive;
  }

  get active(): boolean {
    return this.isActive;
  }

  /** Level of the last frame given to update. */
  get lastDbfs(): number {
    return this.levelDbfs;
  }

  /** The tracked background level; null without noise-floor tracking or before the first frame. */
  get noiseFloorDbfs(): number | null {
    return this.floor && !Number.isNaN(this.floorDbfs) ? this.floorDbfs : null;
  }

  get onThresholdDbfs(): number {
    const floor = this.noiseFloorDbfs;
    return floor === null ? this.onDbfs : Math.max(this.onDbfs, floor + this.floor!.onAboveFloorDb);
  }

  get offThresholdDbfs(): number {
    const floor = this.noiseFloorDbfs;
    return floor === null ? this.offDbfs : Math.max(this.offDbfs, floor + this.floor!.offAboveFloorDb);
  }

  reset(): void {
    this.isActive = false;
    this.levelDbfs = SILENCE_DBFS;
    this.floorDbfs = this.floor ? (this.floor.initialDbfs ?? Number.NaN) : SILENCE_DBFS;
  }

  private trackFloor(dbfs: number, frameMs: number): void {
    const floor = this.floor!;
    if (Number.isNaN(this.floorDbfs)) {
      this.floorDbfs = dbfs;
    } else if (dbfs < this.floorDbfs) {
      // Quieter input is the best evidence of the background: follow it quickly.
      this.floorDbfs += (dbfs - this.floorDbfs) * (1 - Math.exp(-frameMs / floor.fallTimeMs));
    } else {
      // Louder input may be speech: climb slowly, so only a lasting change of background moves the floor.
      this.floorDbfs = Math.min(dbfs, this.floorDbfs + (floor.riseDbPerSec * frameMs) / 1000);
    }
  }
}
