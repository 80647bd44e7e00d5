// What we know about the stream we receive, the way RFC 3550 counts it (appendix A.1 sequence
// tracking, A.3 loss, A.8 interarrival jitter): it fills the report blocks of our RTCP reports and
// the loss and jitter figures of the call's stats.
import type { ReportBlock } from './rtcp-packet.js';

const SEQ_MOD = 65536;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const TS_MOD = 2 ** 32;

export class ReceptionStats {
  private started = false;
  private baseSeq = 0;
  private maxSeq = 0;
  private cycles = 0;
  private badSeq = SEQ_MOD + 1;
  private received = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private jitterUnits = 0;
  private lastArrival: number | null = null;
  private lastTimestamp = 0;

  constructor(private readonly clockRate: number) {}

  /**
   * Counts one packet of the stream. `timed` is false for packets whose timestamp does not move
   * with time (RFC 4733 events keep the event's start), so they stay out of the jitter.
   */
  update(seq: number, timestamp: number, arrivalMs: number, timed = true): void {
    if (!this.started) {
      this.restart(seq);
      this.started = true;
    } else {
      const udelta = (seq - this.maxSeq + SEQ_MOD) % SEQ_MOD;
      if (udelta < MAX_DROPOUT) {
        if (seq < this.maxSeq) this.cycles += SEQ_MOD;
        this.maxSeq = seq;
      } else if (udelta <= SEQ_MOD - MAX_MISORDER) {
        // A big jump: taken as a restarted source only when the next packet follows it.
        if (seq !== this.badSeq) {
          this.badSeq = (seq + 1) % SEQ_MOD;
          return;
        }
        this.restart(seq);
      }
      // else: a duplicate or a reordered packet, counted but not moving the highest number.
    }
    this.received++;
    if (timed) this.updateJitter(timestamp, arrivalMs);
  }

  get packetsReceived(): number {
    return this.received;
  }

  get extendedHighestSequence(): number {
    return this.cycles + this.maxSeq;
  }

  /** Expected minus received since the start; negative when duplicates outnumber losses. */
  get cumulativeLost(): number {
    return this.started ? this.expected() - this.received : 0;
  }

  get jitterMs(): number {
    return (this.jitterUnits / this.clockRate) * 1000;
  }

  /** A report block for `ssrc`; the fraction lost covers the time since the previous call. */
  reportBlock(ssrc: number, lastSr: number, delaySinceLastSr: number): ReportBlock {
    const expected = this.expected();
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.received - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    return {
      ssrc,
      fractionLost: Math.min(255, fractionLost),
      cumulativeLost: this.cumulativeLost,
      extendedHighestSequence: this.extendedHighestSequence >>> 0,
      jitter: this.jitterUnits,
      lastSr,
      delaySinceLastSr,
    };
  }

  private expected(): number {
    return this.extendedHighestSequence - this.baseSeq + 1;
  }

  private restart(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.cycles = 0;
    this.badSeq = SEQ_MOD + 1;
    this.received = 0;
    this.expectedPrior = 0;
    this.receivedPrior = 0;
  }

  /** J += (|D| - J) / 16, with D the change in transit time between consecutive packets. */
  private updateJitter(timestamp: number, arrivalMs: number): void {
    if (this.lastArrival !== null) {
      let tsDelta = (timestamp - this.lastTimestamp) % TS_MOD;
      if (tsDelta >= TS_MOD / 2) tsDelta -= TS_MOD;
      if (tsDelta < -TS_MOD / 2) tsDelta += TS_MOD;
      const arrivalDelta = ((arrivalMs - this.lastArrival) * this.clockRate) / 1000;
      const d = Math.abs(arrivalDelta - tsDelta);
      this.jitterUnits += (d - this.jitterUnits) / 16;
    }
    this.lastArrival = arrivalMs;
    this.lastTimestamp = timestamp;
  }
}
