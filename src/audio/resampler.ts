// Streaming sample-rate conversion between any two rates with a rational ratio L/M.
// A Kaiser-windowed sinc, designed at the common upsampled rate L*fromRate and split into L
// polyphase branches, so each output sample costs one short dot product and no allocation.
import { clampToInt16 } from './pcm.js';

/** Passband edge and stopband edge as fractions of the lower of the two rates. */
const PASSBAND_EDGE = 0.4;
const STOPBAND_EDGE = 0.55;
/** Stopband attenuation the Kaiser design aims for, in dB. */
const STOPBAND_DB = 60;
/** Keeps odd rate pairs (e.g. 44100 -> 44099) from building a gigantic bank. */
const MAX_PHASES = 4096;

type FilterBank = {
  /** Upsampling factor: number of phases. */
  readonly up: number;
  /** Downsampling factor: upsampled-grid step between consecutive output samples. */
  readonly down: number;
  /** Taps per phase. */
  readonly taps: number;
  /**
   * Phase p occupies coefficients[p*taps .. p*taps+taps-1], stored oldest-input-first so an
   * output is a forward dot product with the input history.
   */
  readonly coefficients: Float64Array;
  /** Phase of the output after an output at phase p. */
  readonly nextPhase: Int32Array;
  /** Input samples to advance after an output at phase p. */
  readonly inputStep: Int32Array;
  /** Group delay in output samples. */
  readonly delayOut: number;
};

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for the betas used). */
function besselI0(x: number): number {
  const q = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

function kaiserBeta(attenuationDb: number): number {
  if (attenuationDb > 50) return 0.1102 * (attenuationDb - 8.7);
  if (attenuationDb >= 21) return 0.5842 * (attenuationDb - 21) ** 0.4 + 0.07886 * (attenuationDb - 21);
  return 0;
}

const cache = new Map<string, FilterBank>();

/** The bank for a rate pair; shared by every Resampler of that pair since it never changes. */
function filterBankFor(fromRate: number, toRate: number): FilterBank {
  const key = `${fromRate}:${toRate}`;
  let bank = cache.get(key);
  if (!bank) {
    bank = designFilterBank(fromRate, toRate);
    cache.set(key, bank);
  }
  return bank;
}

function designFilterBank(fromRate: number, toRate: number): FilterBank {
  const g = gcd(fromRate, toRate);
  const up = toRate / g;
  const down = fromRate / g;
  if (up > MAX_PHASES) {
    throw new RangeError(`resampling ${fromRate} -> ${toRate} Hz needs ${up} filter phases (max ${MAX_PHASES})`);
  }
  const upRate = fromRate * up;
  const minRate = Math.min(fromRate, toRate);
  const passHz = PASSBAND_EDGE * minRate;
  const stopHz = STOPBAND_EDGE * minRate;
  const cutoff = (passHz + stopHz) / 2 / upRate; // cycles per upsampled sample
  const transition = (2 * Math.PI * (stopHz - passHz)) / upRate; // radians per upsampled sample
  const idealLength = Math.ceil((STOPBAND_DB - 7.95) / (2.285 * transition)) + 1;
  const taps = Math.max(2, Math.ceil(idealLength / up));
  const length = taps * up;
  const centre = (length - 1) / 2;
  const beta = kaiserBeta(STOPBAND_DB);
  const i0Beta = besselI0(beta);

  const prototype = new Float64Array(length);
  for (let n = 0; n < length; n++) {
    const t = n - centre;
    const x = 2 * Math.PI * cutoff * t;
    const sinc = t === 0 ? 1 : Math.sin(x) / x;
    const r = t / centre;
    const window = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta;
    prototype[n] = 2 * cutoff * sinc * window;
  }

  // Phase p computes y = sum_k h[p + k*up] * x[n - k]; store it reversed (k = taps-1 first) and
  // scaled so each phase has unity DC gain, which keeps DC from leaking into phase-periodic tones.
  const coefficients = new Float64Array(length);
  for (let p = 0; p < up; p++) {
    let sum = 0;
    for (let k = 0; k < taps; k++) sum += prototype[p + k * up];
    for (let k = 0; k < taps; k++) {
      coefficients[p * taps + (taps - 1 - k)] = prototype[p + k * up] / sum;
    }
  }

  const nextPhase = new Int32Array(up);
  const inputStep = new Int32Array(up);
  for (let p = 0; p < up; p++) {
    nextPhase[p] = (p + down) % up;
    inputStep[p] = Math.floor((p + down) / up);
  }
  return { up, down, taps, coefficients, nextPhase, inputStep, delayOut: centre / down };
}

/**
 * Converts PCM16 between two sample rates, carrying filter state across calls: feeding the input
 * in any chunking gives the same output, sample for sample, as feeding it in one piece.
 * Output is delayed by `delaySamples` (the filter's group delay); `flush` drains that tail.
 */
export class Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  /** Group delay of the filter, in output samples (may be fractional; 0 when the rates match). */
  readonly delaySamples: number;
  private readonly bank: FilterBank | null;
  /** Input history (taps-1 samples) followed by the chunk being processed. */
  private work: Float64Array;
  private phase = 0;
  /** Index, relative to the start of the next chunk, of the newest input the next output uses. */
  private nextInput = 0;

  constructor(fromRate: number, toRate: number) {
    for (const rate of [fromRate, toRate]) {
      if (!Number.isInteger(rate) || rate <= 0) {
        throw new RangeError(`sample rate must be a positive integer, got ${rate}`);
      }
    }
    this.fromRate = fromRate;
    this.toRate = toRate;
    this.bank = fromRate === toRate ? null : filterBankFor(fromRate, toRate);
    this.delaySamples = this.bank ? this.bank.delayOut : 0;
    this.work = new Float64Array(this.bank ? this.bank.taps - 1 + 2048 : 0);
  }

  /** Output samples that `process` would return for an input of this many samples right now. */
  outputLengthFor(inputLength: number): number {
    const bank = this.bank;
    if (!bank) return inputLength;
    const start = this.nextInput * bank.up + this.phase;
    const end = inputLength * bank.up;
    return start < end ? Math.ceil((end - start) / bank.down) : 0;
  }

  process(input: Int16Array): Int16Array {
    const bank = this.bank;
    if (!bank) return input.slice();
    const { taps, coefficients } = bank;
    const history = taps - 1;
    const count = this.outputLengthFor(input.length);
    const output = new Int16Array(count);

    if (this.work.length < history + input.length) {
      const grown = new Float64Array(history + input.length);
      grown.set(this.work.subarray(0, history));
      this.work = grown;
    }
    const work = this.work;
    for (let i = 0; i < input.length; i++) work[history + i] = input[i];

    const n = bank.up === 1
      ? decimate(coefficients, taps, bank.down, work, this.nextInput, output)
      : polyphase(bank, work, this.phase, this.nextInput, output);
    if (bank.up !== 1) this.phase = (this.phase + count * bank.down) % bank.up;
    this.nextInput = n - input.length;
    work.copyWithin(0, input.length, input.length + history);
    return output;
  }

  /** Emits the delayed tail (as if the input were followed by silence), then resets. */
  flush(): Int16Array {
    const bank = this.bank;
    if (!bank) return new Int16Array(0);
    const tailInputs = Math.ceil((bank.delayOut * bank.down) / bank.up);
    const tail = this.process(new Int16Array(tailInputs));
    this.reset();
    return tail;
  }

  /** Forgets all history, as if newly constructed. */
  reset(): void {
    this.phase = 0;
    this.nextInput = 0;
    this.work.fill(0);
  }
}

/**
 * General path: output m uses phase p and input window work[n .. n+taps-1].
 * Returns the window start for the output after the last one written.
 */
function polyphase(bank: FilterBank, work: Float64Array, phase: number, n: number, output: Int16Array): number {
  const { taps, coefficients, nextPhase, inputStep } = bank;
  for (let m = 0; m < output.length; m++) {
    const c = phase * taps;
    // Four independent sums let the CPU overlap the multiply-adds instead of chaining them.
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let j = 0;
    for (; j + 3 < taps; j += 4) {
      a0 += coefficients[c + j] * work[n + j];
      a1 += coefficients[c + j + 1] * work[n + j + 1];
      a2 += coefficients[c + j + 2] * work[n + j + 2];
      a3 += coefficients[c + j + 3] * work[n + j + 3];
    }
    for (; j < taps; j++) a0 += coefficients[c + j] * work[n + j];
    output[m] = clampToInt16(a0 + a1 + a2 + a3);
    n += inputStep[phase];
    phase = nextPhase[phase];
  }
  return n;
}

/**
 * Integer decimation (one phase): the filter is symmetric, so mirrored inputs are added before
 * multiplying, halving the multiplies.
 */
function decimate(coefficients: Float64Array, taps: number, down: number, work: Float64Array, n: number, output: Int16Array): number {
  const half = taps >> 1;
  const odd = taps & 1;
  for (let m = 0; m < output.length; m++) {
    const last = n + taps - 1;
    let a0 = 0;
    let a1 = 0;
    let j = 0;
    for (; j + 1 < half; j += 2) {
      a0 += coefficients[j] * (work[n + j] + work[last - j]);
      a1 += coefficients[j + 1] * (work[n + j + 1] + work[last - j - 1]);
    }
    for (; j < half; j++) a0 += coefficients[j] * (work[n + j] + work[last - j]);
    if (odd) a0 += coefficients[half] * work[n + half];
    output[m] = clampToInt16(a0 + a1);
    n += down;
  }
  return n;
}
