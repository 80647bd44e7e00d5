// Adaptive jitter buffer for one incoming RTP audio stream. Pure: no I/O, no timers, no clock. The
// owner pushes decoded packets as they arrive and pops one frame per playout tick; every time is
// passed in, so the same arrivals and pops always give the same output (tested on scripted patterns).
//
// Order comes from the RTP sequence number (16 bits, wrapping), which is what tells a loss from a
// silence: a gap in sequence numbers is a lost packet; a gap in timestamps with consecutive sequence
// numbers is the sender pausing (a new talkspurt). The timestamps only feed the delay measurement.
//
// Depth adapts to the network: the spread of packet transit times (95th percentile over the last
// arrivals) sets a target depth; the buffer grows at once when the spread grows (an underrun simply
// does not advance playout, which adds one frame of delay), and shrinks slowly, one frame at a time,
// by dropping a frame, preferably a quiet one, once it has been deeper than needed for a while.
import { SortedWindow } from './sorted-window.js';

/**
 * accepted: stored for playing. duplicate: already stored or played. late: its slot has passed.
 * overflow: stored, but older unplayed audio was dropped to keep the delay bounded after a burst.
 */
export type JitterPushResult = 'accepted' | 'duplicate' | 'late' | 'overflow';
export type JitterFrameKind = 'audio' | 'concealed' | 'silence';

export interface JitterBufferOptions {
  /** Samples in one output frame (160 for 20 ms at 8 kHz). */
  frameSamples: number;
  /** Lowest target depth in frames (default 2). */
  minDepthFrames?: number;
  /** Highest target depth in frames (default 10 = 200 ms at 20 ms frames). */
  maxDepthFrames?: number;
  /** Sample rate of the RTP timestamps and samples (default 8000). */
  sampleRate?: number;
}

export interface JitterFrame {
  samples: Int16Array;
  kind: JitterFrameKind;
}

export interface JitterBufferStats {
  accepted: number;
  duplicates: number;
  late: number;
  /** Packets missing when their turn came while later audio was already there. */
  lost: number;
  /** Frames played while the buffer was empty (the sender paused or the network stalled). */
  underruns: number;
  /** Frames filled by repeating faded earlier audio. */
  concealedFrames: number;
  /** Frames dropped unplayed to bring the delay back down (too deep, or a burst past the bound). */
  droppedFrames: number;
  /** Times the stream was taken as new (sequence jump beyond RFC 3550's dropout/misorder bounds). */
  resyncs: number;
  targetDepthFrames: number;
  depthFrames: number;
  /** 95th percentile of transit-time spread over the recent arrivals, ms. */
  delaySpreadMs: number;
}

/** RFC 3550 appendix A.1 bounds: beyond these a sequence jump is a restarted stream, not reorder. */
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
/** Arrivals kept for the transit spread (2 s at 20 ms). */
const SPREAD_WINDOW = 100;
/** Arrivals needed before the spread is trusted to raise the target. */
const SPREAD_MIN_SAMPLES = 8;
/** A transit change beyond this is a timestamp jump of the sender, not network delay. */
const TRANSIT_JUMP_MS = 1000;
/** The target comes down by one frame at most this often, so a calm second does not undo a lesson. */
const SHRINK_EVERY_MS = 2000;
/** Pops over which the minimum depth is watched before deciding the buffer is too deep. */
const EXCESS_WINDOW_POPS = 25;
/** A frame this quiet (mean absolute sample) is dropped inaudibly; others only after waiting. */
const QUIET_MEAN_ABS = 200;
/** Empty pops in a row after which the stream counts as stopped and the next packet refills first. */
const STOPPED_AFTER_EMPTY_POPS = 3;
/** First lost frame: previous audio at -6 dB; second: -12 dB; then silence. */
const CONCEAL_GAINS = [0.5, 0.25];
const INITIAL_TARGET_FRAMES = 3;
const SEQ_MOD = 65536;
const TS_MOD = 2 ** 32;
/** Played sequence numbers remembered to tell a duplicate from a late packet. */
const PLAYED_MEMORY = 128;

interface Entry {
  samples: Int16Array;
}

/** Signed distance b - a on a wrapping counter of size `mod`. */
function wrapDelta(a: number, b: number, mod: number): number {
  let d = (b - a) % mod;
  if (d >= mod / 2) d -= mod;
  if (d < -mod / 2) d += mod;
  return d;
}

function meanAbs(samples: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += Math.abs(samples[i]);
  return samples.length ? sum / samples.length : 0;
}

export class JitterBuffer {
  private readonly frameSamples: number;
  private readonly minDepth: number;
  private readonly maxDepth: number;
  private readonly sampleRate: number;
  private readonly frameMs: number;

  private readonly entries = new Map<number, Entry>();
  /** Extended (unwrapped) sequence numbers; null before the first packet. */
  private highest: number | null = null;
  private next = 0;
  private playing = false;
  /** Arrival of the first packet waiting while not playing (prefill); null when none waits. */
  private prefillSince: number | null = null;
  private emptyPops = 0;
  private lossRun = 0;
  private lastPlayed: Int16Array | null = null;
  private lastPacketSamples: number;
  /** Decoded samples of a packet longer than a frame, waiting for the next pop. */
  private carry = new Int16Array(0);
  private carryKind: JitterFrameKind = 'audio';
  private readonly played = new Set<number>();
  private readonly playedOrder: number[] = [];

  private target: number;
  private targetChangedAt = Number.NEGATIVE_INFINITY;
  private readonly transits = new SortedWindow(SPREAD_WINDOW);
  private lastTransit: number | null = null;
  private lastTimestamp: number | null = null;
  private timestampExt = 0;

  private windowMinDepth = Number.POSITIVE_INFINITY;
  private windowPops = 0;
  private pendingDrop = false;
  private pendingDropPops = 0;

  private readonly counters = {
    accepted: 0,
    duplicates: 0,
    late: 0,
    lost: 0,
    underruns: 0,
    concealedFrames: 0,
    droppedFrames: 0,
    resyncs: 0,
  };

  constructor(options: JitterBufferOptions) {
    const { frameSamples } = options;
    if (!Number.isInteger(frameSamples) || frameSamples <= 0) {
      throw new RangeError(`frameSamples must be a positive integer, got ${frameSamples}`);
    }
    this.minDepth = options.minDepthFrames ?? 2;
    this.maxDepth = options.maxDepthFrames ?? 10;
    if (!Number.isInteger(this.minDepth) || this.minDepth < 1) {
      throw new RangeError(`minDepthFrames must be an integer >= 1, got ${this.minDepth}`);
    }
    if (!Number.isInteger(this.maxDepth) || this.maxDepth < this.minDepth) {
      throw new RangeError(`maxDepthFrames must be an integer >= minDepthFrames, got ${this.maxDepth}`);
    }
    this.sampleRate = options.sampleRate ?? 8000;
    if (!(this.sampleRate > 0)) throw new RangeError(`sampleRate must be positive, got ${this.sampleRate}`);
    this.frameSamples = frameSamples;
    this.frameMs = (frameSamples / this.sampleRate) * 1000;
    this.lastPacketSamples = frameSamples;
    this.target = Math.min(this.maxDepth, Math.max(this.minDepth, INITIAL_TARGET_FRAMES));
  }

  /** Audio waiting to be played, in frames (the span from the next packet to the newest one). */
  get depthFrames(): number {
    if (this.highest === null) return 0;
    const start = this.playing ? this.next : this.lowestKey();
    if (start === null || this.entries.size === 0) return this.carry.length / this.frameSamples;
    const span = this.highest - start + 1;
    return (span * this.lastPacketSamples + this.carry.length) / this.frameSamples;
  }

  get targetDepthFrames(): number {
    return this.target;
  }

  get stats(): JitterBufferStats {
    return {
      ...this.counters,
      targetDepthFrames: this.target,
      depthFrames: this.depthFrames,
      delaySpreadMs: this.spreadMs(),
    };
  }

  /**
   * Offers one packet's decoded audio. `marker` is the RTP marker bit: the first packet of a
   * talkspurt, which lets the buffer refill to its target before playing it.
   */
  push(seq: number, timestamp: number, samples: Int16Array, arrivalMs: number, marker = false): JitterPushResult {
    if (!Number.isInteger(seq) || seq < 0 || seq >= SEQ_MOD) throw new RangeError(`sequence number out of range: ${seq}`);
    if (!Number.isInteger(timestamp) || timestamp < 0 || timestamp >= TS_MOD) {
      throw new RangeError(`timestamp out of range: ${timestamp}`);
    }
    if (samples.length === 0) throw new RangeError('a packet needs at least one sample');
    if (!Number.isFinite(arrivalMs)) throw new RangeError(`arrival time must be finite, got ${arrivalMs}`);

    if (this.highest === null) {
      this.begin(seq, arrivalMs);
    } else {
      const ext = this.highest + wrapDelta(this.highest % SEQ_MOD, seq, SEQ_MOD);
      const delta = ext - this.next;
      if (delta > MAX_DROPOUT || delta < -MAX_MISORDER) {
        // A different stream as far as order goes (the sender restarted): start over with it.
        this.counters.resyncs++;
        this.restart();
        this.begin(seq, arrivalMs);
      } else if (delta < 0 && !this.playing && this.played.size === 0) {
        // Reordered ahead of the first packet, before anything was played: it simply goes first.
        this.next = ext;
      } else if (delta < 0) {
        if (this.played.has(ext)) {
          this.counters.duplicates++;
          return 'duplicate';
        }
        // Too late to play, but its delay is exactly what the depth has to learn from.
        this.observeTransit(timestamp, arrivalMs);
        this.counters.late++;
        return 'late';
      } else if (this.entries.has(ext)) {
        this.counters.duplicates++;
        return 'duplicate';
      }
    }

    const ext = this.highest! + wrapDelta(this.highest! % SEQ_MOD, seq, SEQ_MOD);
    this.entries.set(ext, { samples });
    if (ext > this.highest!) this.highest = ext;
    this.lastPacketSamples = samples.length;
    this.counters.accepted++;
    this.observeTransit(timestamp, arrivalMs);

    if (marker && this.playing && this.entries.size === 1 && this.emptyPops > 0) {
      // A new talkspurt while we were already running dry: refill before playing it.
      this.playing = false;
      this.prefillSince = null;
    }
    if (!this.playing && this.prefillSince === null) this.prefillSince = arrivalMs;
    return this.bound() ? 'overflow' : 'accepted';
  }

  /** The next frame to play, due at `nowMs`. Always exactly `frameSamples` samples. */
  pop(nowMs: number): JitterFrame {
    const out = new Int16Array(this.frameSamples);
    if (this.highest === null) return { samples: out, kind: 'silence' };

    let filled = 0;
    let audio = this.carry.length > 0 && this.carryKind === 'audio';
    let concealed = this.carry.length > 0 && this.carryKind === 'concealed';
    if (this.carry.length > 0) {
      filled = Math.min(this.carry.length, this.frameSamples);
      out.set(this.carry.subarray(0, filled));
      this.carry = this.carry.subarray(filled);
    }

    if (!this.playing && filled < this.frameSamples && this.readyToPlay(nowMs)) {
      this.playing = true;
      this.next = this.lowestKey()!;
      this.prefillSince = null;
      this.emptyPops = 0;
      this.resetExcessWindow();
    }
    if (this.playing) this.trimExcess();

    while (filled < this.frameSamples) {
      const part = this.playing ? this.takeNext() : null;
      if (part === null) {
        // Nothing to play: conceal the first frames of the gap, then silence.
        const rest = this.conceal(this.frameSamples - filled);
        if (rest.kind === 'concealed') concealed = true;
        out.set(rest.samples, filled);
        filled = this.frameSamples;
        if (this.playing) {
          this.counters.underruns++;
          if (++this.emptyPops >= STOPPED_AFTER_EMPTY_POPS) {
            this.playing = false;
            this.prefillSince = null;
          }
        }
        break;
      }
      if (part.kind === 'audio') audio = true;
      if (part.kind === 'concealed') concealed = true;
      const take = Math.min(part.samples.length, this.frameSamples - filled);
      out.set(part.samples.subarray(0, take), filled);
      filled += take;
      if (take < part.samples.length) {
        this.carry = part.samples.slice(take);
        this.carryKind = part.kind;
      }
    }

    if (concealed) this.counters.concealedFrames++;
    const kind: JitterFrameKind = concealed ? 'concealed' : audio ? 'audio' : 'silence';
    return { samples: out, kind };
  }

  /** Forgets everything (a new RTP source); the next packet starts a fresh stream. */
  reset(): void {
    this.restart();
    this.highest = null;
    this.lastPlayed = null;
    this.lossRun = 0;
    this.transits.clear();
    this.lastTransit = null;
    this.lastTimestamp = null;
  }

  private begin(seq: number, arrivalMs: number): void {
    this.highest = seq;
    this.next = seq;
    this.playing = false;
    this.prefillSince = arrivalMs;
  }

  private restart(): void {
    this.entries.clear();
    this.played.clear();
    this.playedOrder.length = 0;
    this.carry = new Int16Array(0);
    this.playing = false;
    this.prefillSince = null;
    this.emptyPops = 0;
    this.pendingDrop = false;
    this.resetExcessWindow();
  }

  private readyToPlay(nowMs: number): boolean {
    const lowest = this.lowestKey();
    if (lowest === null || this.highest === null) return false;
    const spanFrames = ((this.highest - lowest + 1) * this.lastPacketSamples) / this.frameSamples;
    if (spanFrames >= this.target) return true;
    // A stream that never fills (a lone packet, a very short burst) still gets played.
    return this.prefillSince !== null && nowMs - this.prefillSince >= (this.target + 1) * this.frameMs;
  }

  /** The packet (or the concealment for a lost one) at the playout point, or null when empty. */
  private takeNext(): JitterFrame | null {
    const entry = this.entries.get(this.next);
    if (entry) {
      this.entries.delete(this.next);
      this.markPlayed(this.next);
      this.next++;
      this.lossRun = 0;
      this.emptyPops = 0;
      this.lastPlayed = entry.samples;
      return { samples: entry.samples, kind: 'audio' };
    }
    if (this.entries.size === 0) return null;
    // Later packets are here, so this one is lost (or later than the buffer can wait for).
    this.counters.lost++;
    this.next++;
    this.emptyPops = 0;
    return this.conceal(this.lastPacketSamples);
  }

  private conceal(length: number): JitterFrame {
    this.lossRun++;
    const gain = CONCEAL_GAINS[this.lossRun - 1];
    const out = new Int16Array(length);
    if (gain === undefined || this.lastPlayed === null) return { samples: out, kind: 'silence' };
    const source = this.lastPlayed;
    for (let i = 0; i < length; i++) out[i] = Math.round(source[i % source.length] * gain);
    return { samples: out, kind: 'concealed' };
  }

  /**
   * Lowers the delay when the buffer has stayed deeper than its target over a whole window: one
   * frame is dropped, a quiet one if one comes along soon, otherwise whatever is next.
   */
  private trimExcess(): void {
    const depth = this.depthFrames;
    this.windowMinDepth = Math.min(this.windowMinDepth, depth);
    if (++this.windowPops >= EXCESS_WINDOW_POPS) {
      if (this.windowMinDepth >= this.target + 1) this.pendingDrop = true;
      this.resetExcessWindow();
    }
    if (!this.pendingDrop) return;
    const entry = this.entries.get(this.next);
    this.pendingDropPops++;
    if (!entry || depth < this.target + 1) {
      if (depth < this.target + 1) this.pendingDrop = false;
      return;
    }
    if (meanAbs(entry.samples) <= QUIET_MEAN_ABS || this.pendingDropPops >= EXCESS_WINDOW_POPS) {
      this.entries.delete(this.next);
      this.markPlayed(this.next);
      this.next++;
      this.counters.droppedFrames++;
      this.pendingDrop = false;
    }
  }

  private resetExcessWindow(): void {
    this.windowMinDepth = Number.POSITIVE_INFINITY;
    this.windowPops = 0;
    this.pendingDropPops = 0;
  }

  /** Keeps the span within twice the largest depth after a burst; true when audio was dropped. */
  private bound(): boolean {
    if (this.highest === null) return false;
    const start = this.playing ? this.next : this.lowestKey();
    if (start === null) return false;
    const spanFrames = ((this.highest - start + 1) * this.lastPacketSamples) / this.frameSamples;
    if (spanFrames <= this.maxDepth * 2) return false;
    const keepPackets = Math.max(1, Math.ceil((this.target * this.frameSamples) / this.lastPacketSamples));
    const newStart = this.highest - keepPackets + 1;
    let dropped = 0;
    for (const key of [...this.entries.keys()]) {
      if (key < newStart) {
        this.entries.delete(key);
        this.markPlayed(key);
        dropped++;
      }
    }
    this.counters.droppedFrames += dropped;
    if (this.playing) this.next = Math.max(this.next, newStart);
    return dropped > 0;
  }

  private lowestKey(): number | null {
    let lowest: number | null = null;
    for (const key of this.entries.keys()) if (lowest === null || key < lowest) lowest = key;
    return lowest;
  }

  private markPlayed(ext: number): void {
    this.played.add(ext);
    this.playedOrder.push(ext);
    if (this.playedOrder.length > PLAYED_MEMORY) this.played.delete(this.playedOrder.shift()!);
  }

  /** Transit = arrival minus media time; its spread over recent packets is the jitter to absorb. */
  private observeTransit(timestamp: number, arrivalMs: number): void {
    if (this.lastTimestamp === null) {
      this.timestampExt = timestamp;
      // The initial target holds for a while too: eight calm packets say little yet.
      if (this.targetChangedAt === Number.NEGATIVE_INFINITY) this.targetChangedAt = arrivalMs;
    } else this.timestampExt += wrapDelta(this.lastTimestamp, timestamp, TS_MOD);
    this.lastTimestamp = timestamp;
    const transit = arrivalMs - (this.timestampExt / this.sampleRate) * 1000;
    if (this.lastTransit !== null && Math.abs(transit - this.lastTransit) > TRANSIT_JUMP_MS) {
      // The sender's timestamps jumped (source switch): earlier transits no longer compare.
      this.transits.clear();
    }
    this.lastTransit = transit;
    this.transits.push(transit);
    if (this.transits.length < SPREAD_MIN_SAMPLES) return;

    const wanted = Math.min(this.maxDepth, Math.max(this.minDepth, Math.ceil(this.spreadMs() / this.frameMs) + 1));
    if (wanted > this.target) {
      this.target = wanted;
      this.targetChangedAt = arrivalMs;
    } else if (wanted < this.target && arrivalMs - this.targetChangedAt >= SHRINK_EVERY_MS) {
      this.target--;
      this.targetChangedAt = arrivalMs;
    }
  }

  /** The 95th percentile of transit above the smallest one in the window. */
  private spreadMs(): number {
    if (this.transits.length === 0) return 0;
    return this.transits.quantile(0.95) - this.transits.min();
  }
}
