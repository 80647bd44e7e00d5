import { describe, expect, it } from 'vitest';
import { AudioTimeMap } from '../../src/session/audio-time-map.js';

/** Records `count` 20 ms frames arriving in real time from `clockStart` (frame k lands at clockStart + 20(k+1)). */
function realTime(map: AudioTimeMap, count: number, clockStart: number, audioStart = 0): void {
  for (let k = 1; k <= count; k++) map.record(audioStart + 20 * k, clockStart + 20 * k);
}

describe('AudioTimeMap', () => {
  it('with no records, audio time is taken as clock time', () => {
    expect(new AudioTimeMap().toClock(1234)).toBe(1234);
  });

  it('maps real-time arrivals: a moment of audio maps to when the frame holding it arrived', () => {
    const map = new AudioTimeMap();
    realTime(map, 50, 5000);
    expect(map.toClock(0)).toBe(5020);
    expect(map.toClock(10)).toBe(5020);
    expect(map.toClock(20)).toBe(5020);
    expect(map.toClock(20.5)).toBe(5040);
    expect(map.toClock(500)).toBe(5500);
    expect(map.toClock(999)).toBe(6000);
    expect(map.toClock(1000)).toBe(6000);
  });

  it('extrapolates in real time beyond the newest record', () => {
    const map = new AudioTimeMap();
    realTime(map, 50, 5000);
    expect(map.toClock(1001)).toBe(6001);
    expect(map.toClock(1250)).toBe(6250);
  });

  it('maps every frame of a burst to the instant the burst arrived', () => {
    const map = new AudioTimeMap();
    realTime(map, 3, 0); // audio 0..60 at clock 20..60
    // The network stalls, then five frames land at once at clock 300.
    for (let k = 4; k <= 8; k++) map.record(20 * k, 300);
    map.record(180, 320);
    expect(map.toClock(60)).toBe(60);
    expect(map.toClock(61)).toBe(300);
    expect(map.toClock(100)).toBe(300);
    expect(map.toClock(160)).toBe(300);
    expect(map.toClock(170)).toBe(320);
    expect(map.toClock(200)).toBe(340);
  });

  it('before the oldest record, assumes the audio arrived in real time before it', () => {
    const map = new AudioTimeMap(4);
    realTime(map, 10, 1000); // keeps audio 140..200 at clock 1140..1200
    expect(map.toClock(140)).toBe(1140);
    expect(map.toClock(125)).toBe(1140); // inside the oldest frame still known
    expect(map.toClock(100)).toBe(1100);
    expect(map.toClock(0)).toBe(1000);
  });

  it('stays correct as the ring wraps, wherever its head is', () => {
    for (let count = 4; count <= 13; count++) {
      const map = new AudioTimeMap(4);
      // Uneven arrival times so that a wrong slot gives a wrong answer.
      const clockOf = (k: number) => 10_000 + 20 * k + (k % 3) * 7;
      for (let k = 1; k <= count; k++) map.record(20 * k, clockOf(k));
      for (let k = count - 3; k <= count; k++) {
        expect(map.toClock(20 * k), `count ${count}, frame ${k}`).toBe(clockOf(k));
        expect(map.toClock(20 * k - 5), `count ${count}, inside frame ${k}`).toBe(clockOf(k));
      }
      expect(map.toClock(20 * count + 30)).toBe(clockOf(count) + 30);
      const oldest = count - 3;
      expect(map.toClock(20 * oldest - 60)).toBe(clockOf(oldest) - 60);
    }
  });

  it('keeps only the newest `capacity` records', () => {
    const map = new AudioTimeMap(1024);
    realTime(map, 5000, 0);
    expect(map.toClock(20 * 5000)).toBe(100_000);
    // Audio from long before the window is estimated from the oldest kept record.
    const oldestAudio = 20 * (5000 - 1023);
    expect(map.toClock(oldestAudio)).toBe(oldestAudio);
    expect(map.toClock(40)).toBe(40);
  });
});
