import { describe, it, expect } from 'vitest';
import { EnergyMeter, SILENCE_DBFS, frameDbfs, frameRms, rmsToDbfs } from '../../src/audio/energy-meter.js';

const FRAME = 320;

function sine(dbfs: number, hz = 1000, samples = FRAME): Int16Array {
  const peak = 32768 * 10 ** (dbfs / 20) * Math.SQRT2;
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = Math.round(peak * Math.sin((2 * Math.PI * hz * i) / 16000));
  return out;
}

/** A square wave: every sample ±amplitude, so its RMS is exactly the amplitude. */
function square(dbfs: number, samples = FRAME): Int16Array {
  const a = Math.round(32768 * 10 ** (dbfs / 20));
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = i % 2 ? a : -a;
  return out;
}

describe('frame level', () => {
  it('measures silence as SILENCE_DBFS, not -Infinity', () => {
    const meter = new EnergyMeter({ onDbfs: -40, offDbfs: -50 });
    expect(meter.measure(new Int16Array(FRAME))).toEqual({ rms: 0, dbfs: SILENCE_DBFS });
    expect(frameDbfs(new Int16Array(0))).toBe(SILENCE_DBFS);
    expect(rmsToDbfs(1e-9)).toBe(SILENCE_DBFS);
  });

  it('measures RMS relative to full scale', () => {
    const full = new Int16Array(FRAME).fill(-32768);
    expect(frameRms(full)).toBe(1);
    expect(frameDbfs(full)).toBe(0);
    expect(frameDbfs(square(-20))).toBeCloseTo(-20, 2);
    // Amplitudes are whole numbers, so compare with the level of the amplitude actually used.
    expect(frameDbfs(square(-60))).toBeCloseTo(20 * Math.log10(33 / 32768), 6);
    // 1 kHz fits 20 whole periods in 320 samples, so the frame's RMS is the sine's.
    expect(frameDbfs(sine(-30))).toBeCloseTo(-30, 2);
    const level = new EnergyMeter({ onDbfs: -40, offDbfs: -50 }).measure(square(-6));
    expect(level.rms).toBeCloseTo(10 ** (-6 / 20), 4);
    expect(level.dbfs).toBeCloseTo(-6, 2);
  });
});

describe('EnergyMeter hysteresis', () => {
  it('turns on at onDbfs and off only below offDbfs', () => {
    const meter = new EnergyMeter({ onDbfs: -30, offDbfs: -40 });
    const levels = [-60, -35, -29.9, -35, -39.9, -41, -35, -29, -45];
    const active = levels.map((db) => meter.update(square(db)));
    expect(active).toEqual([false, false, true, true, true, false, false, true, false]);
    expect(meter.active).toBe(false);
    expect(meter.lastDbfs).toBeCloseTo(-45, 1);
  });

  it('rejects thresholds without a gap', () => {
    expect(() => new EnergyMeter({ onDbfs: -40, offDbfs: -40 })).toThrow(RangeError);
    expect(
      () => new EnergyMeter({ onDbfs: -40, offDbfs: -50, noiseFloor: { onAboveFloorDb: 5, offAboveFloorDb: 6 } }),
    ).toThrow(/offAboveFloorDb/);
  });

  it('resets to inactive', () => {
    const meter = new EnergyMeter({ onDbfs: -30, offDbfs: -40 });
    meter.update(square(-10));
    meter.reset();
    expect(meter.active).toBe(false);
    expect(meter.lastDbfs).toBe(SILENCE_DBFS);
  });
});

describe('EnergyMeter noise floor', () => {
  const floorOptions = { onAboveFloorDb: 10, offAboveFloorDb: 5 };

  it('starts from the first frame, and without tracking has no floor', () => {
    expect(new EnergyMeter({ onDbfs: -40, offDbfs: -50 }).noiseFloorDbfs).toBeNull();
    const meter = new EnergyMeter({ onDbfs: -40, offDbfs: -50, noiseFloor: floorOptions });
    expect(meter.noiseFloorDbfs).toBeNull();
    expect(meter.onThresholdDbfs).toBe(-40);
    meter.update(square(-30));
    expect(meter.noiseFloorDbfs).toBeCloseTo(-30, 1);
    expect(meter.onThresholdDbfs).toBeCloseTo(-20, 1);
    expect(meter.offThresholdDbfs).toBeCloseTo(-25, 1);
  });

  it('never lowers the thresholds below the absolute ones', () => {
    const meter = new EnergyMeter({ onDbfs: -40, offDbfs: -50, noiseFloor: { ...floorOptions, initialDbfs: -80 } });
    expect(meter.noiseFloorDbfs).toBe(-80);
    expect(meter.onThresholdDbfs).toBe(-40);
    expect(meter.offThresholdDbfs).toBe(-50);
    expect(meter.update(square(-45))).toBe(false);
  });

  it('raises the thresholds on a noisy line, so the noise itself is not activity', () => {
    const plain = new EnergyMeter({ onDbfs: -40, offDbfs: -50 });
    const tracking = new EnergyMeter({ onDbfs: -40, offDbfs: -50, noiseFloor: floorOptions });
    const noiseActive = { plain: 0, tracking: 0 };
    for (let i = 0; i < 50; i++) {
      if (plain.update(square(-35))) noiseActive.plain++;
      if (tracking.update(square(-35))) noiseActive.tracking++;
    }
    expect(noiseActive).toEqual({ plain: 50, tracking: 0 });
    // Speech 15 dB over the noise still counts.
    expect(tracking.update(square(-20))).toBe(true);
    expect(tracking.update(square(-35))).toBe(false);
  });

  it('follows quieter input down within a few time constants', () => {
    const meter = new EnergyMeter({
      onDbfs: -60,
      offDbfs: -70,
      noiseFloor: { ...floorOptions, initialDbfs: -30, fallTimeMs: 100 },
    });
    for (let i = 0; i < 5; i++) meter.update(square(-60)); // 100 ms = one time constant
    expect(meter.noiseFloorDbfs).toBeCloseTo(-30 + (-60 + 30) * (1 - Math.exp(-1)), 1);
    for (let i = 0; i < 45; i++) meter.update(square(-60)); // 1 s in all
    expect(meter.noiseFloorDbfs).toBeCloseTo(-60, 0);
  });

  it('climbs toward louder input at riseDbPerSec, so a lasting new background stops counting as activity', () => {
    const meter = new EnergyMeter({
      onDbfs: -60,
      offDbfs: -70,
      noiseFloor: { ...floorOptions, initialDbfs: -60, riseDbPerSec: 5 },
    });
    const active: boolean[] = [];
    for (let i = 0; i < 250; i++) active.push(meter.update(square(-40))); // 5 s of a louder background
    // 1 s in, the floor has risen 5 dB: -55 + 10 is still below -40, so still active.
    expect(meter.noiseFloorDbfs).not.toBeNull();
    expect(active[49]).toBe(true);
    // Off once -40 < floor + 5, i.e. floor > -45: after 15 dB of rise = 3 s = 150 frames.
    const firstOff = active.indexOf(false);
    expect(firstOff).toBeGreaterThanOrEqual(148);
    expect(firstOff).toBeLessThanOrEqual(152);
    expect(active.slice(firstOff).every((a) => !a)).toBe(true);
    expect(meter.noiseFloorDbfs).toBeCloseTo(-40, 1);
  });

  it('resets the floor to its starting point', () => {
    const meter = new EnergyMeter({ onDbfs: -40, offDbfs: -50, noiseFloor: floorOptions });
    meter.update(square(-30));
    meter.reset();
    expect(meter.noiseFloorDbfs).toBeNull();
  });
});
