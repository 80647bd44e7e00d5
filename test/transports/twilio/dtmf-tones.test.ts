// The in-band keypad tones Parley sends on Twilio calls, decoded by a Goertzel detector (each key's
// row and column energy) after the μ-law round trip the phone line puts them through.
import { describe, expect, it } from 'vitest';
import { muLawDecode, muLawEncode } from '../../../src/audio/g711.js';
import { dtmfFrequencies, dtmfTones } from '../../../src/transports/twilio/dtmf-tones.js';
import { decodeKeys } from './dtmf-detect.js';

describe('DTMF tones', () => {
  it('maps each key to its ITU-T Q.23 pair and refuses others', () => {
    expect(dtmfFrequencies('1')).toEqual([697, 1209]);
    expect(dtmfFrequencies('0')).toEqual([941, 1336]);
    expect(dtmfFrequencies('#')).toEqual([941, 1477]);
    expect(dtmfFrequencies('d')).toEqual([941, 1633]);
    expect(() => dtmfFrequencies('E')).toThrow(/not a DTMF key/);
    expect(() => dtmfFrequencies('12')).toThrow(/not a DTMF key/);
    expect(() => dtmfTones('12x')).toThrow(/"x" is not a DTMF key/);
  });

  it('sounds 100 ms per key and 50 ms of silence after it', () => {
    const tones = dtmfTones('19');
    expect(tones.length).toBe(2 * (800 + 400));
    expect(tones.subarray(800, 1200).every((x) => x === 0)).toBe(true);
    expect(tones.subarray(100, 700).some((x) => Math.abs(x) > 10000)).toBe(true);
    expect(Math.max(...tones.map(Math.abs))).toBeLessThan(32767);
  });

  it('decodes back to the same keys after μ-law, repeated keys included', () => {
    const digits = '0123456789*#ABCD1155';
    const line = muLawDecode(muLawEncode(dtmfTones(digits)));
    // The gap between two presses of one key reads as silence, so both presses are heard.
    expect(decodeKeys(line)).toBe(digits);
  });
});
