// RFC 4733 telephone events: the DTMF keys carried as RTP packets of their own payload type instead
// of tones in the audio (which G.711 would carry, but which a jitter buffer's concealment mangles).
// The receiver turns a stream of event packets into one digit per key press; the sender turns
// digits into event packets, one per 20 ms slot of the outgoing stream.

/** Events 0-15 are the keys; 16 is hook flash, which is not a digit. */
const DIGITS = '0123456789*#ABCD';
const EVENT_PAYLOAD_BYTES = 4;
/** Event packets of one press, one per 20 ms slot: 5 growing in duration (100 ms), the last with E. */
const TONE_PACKETS = 5;
/** The final (E bit) packet goes out three times in all (RFC 4733 section 2.5.1.4). */
const END_REPEATS = 3;
const SAMPLES_PER_PACKET = 160;
/** Pause between two digits, so the far end hears two presses. */
export const DTMF_GAP_MS = 50;
/** -10 dBm0, the level a phone's own keypad tones have. */
const VOLUME = 10;
/** A press whose end packets were all lost is reported once nothing more came for this long. */
const STALE_EVENT_MS = 800;
/** Event timestamps remembered, so retransmitted end packets are not taken as new presses. */
const REMEMBERED_EVENTS = 16;

export function isDtmfDigit(c: string): boolean {
  return c.length === 1 && DIGITS.includes(c.toUpperCase());
}

export function encodeTelephoneEvent(event: number, end: boolean, duration: number): Uint8Array {
  const out = new Uint8Array(EVENT_PAYLOAD_BYTES);
  out[0] = event;
  out[1] = (end ? 0x80 : 0) | VOLUME;
  out[2] = (duration >> 8) & 0xff;
  out[3] = duration & 0xff;
  return out;
}

export interface TelephoneEvent {
  event: number;
  end: boolean;
  volume: number;
  duration: number;
}

export function decodeTelephoneEvent(payload: Uint8Array): TelephoneEvent | null {
  if (payload.length < EVENT_PAYLOAD_BYTES) return null;
  return {
    event: payload[0],
    end: (payload[1] & 0x80) !== 0,
    volume: payload[1] & 0x3f,
    duration: (payload[2] << 8) | payload[3],
  };
}

/** Reports each key press once: at its end packet, or when a later press or silence shows it ended. */
export class DtmfReceiver {
  private pending: { timestamp: number; event: number; lastSeenMs: number } | null = null;
  private readonly reported: number[] = [];

  constructor(private readonly onDigit: (digit: string) => void) {}

  /** One event packet; false when the payload is not a valid event. */
  packet(timestamp: number, payload: Uint8Array, nowMs: number): boolean {
    const ev = decodeTelephoneEvent(payload);
    if (ev === null || ev.event > 16) return false;
    if (this.reported.includes(timestamp)) return true;
    if (this.pending && this.pending.timestamp !== timestamp) this.report();
    this.pending = { timestamp, event: ev.event, lastSeenMs: nowMs };
    if (ev.end) this.report();
    return true;
  }

  /** Called on the session's clock: a press that went quiet without an end packet ends now. */
  tick(nowMs: number): void {
    if (this.pending && nowMs - this.pending.lastSeenMs >= STALE_EVENT_MS) this.report();
  }

  /** A new RTP source: its timestamps have nothing to do with the old one's. */
  reset(): void {
    this.pending = null;
    this.reported.length = 0;
  }

  private report(): void {
    const p = this.pending!;
    this.pending = null;
    this.reported.push(p.timestamp);
    if (this.reported.length > REMEMBERED_EVENTS) this.reported.shift();
    if (p.event < DIGITS.length) this.onDigit(DIGITS[p.event]);
  }
}

export interface DtmfPacket {
  payload: Uint8Array;
  marker: boolean;
  /** The slot the press began in: every packet of one press carries that slot's timestamp. */
  startSlot: number;
}

interface Job {
  remaining: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Digits waiting to go out, and the one going out; asked for a packet whenever a slot is free. */
export class DtmfSender {
  private readonly queue: { event: number; job: Job }[] = [];
  private current: { event: number; job: Job; startSlot: number; sent: number } | null = null;
  private gapUntilMs = Number.NEGATIVE_INFINITY;

  /** Queues the digits (already checked); resolves when the last one's final packet was handed out. */
  enqueue(digits: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const job: Job = { remaining: digits.length, resolve, reject };
      for (const c of digits) this.queue.push({ event: DIGITS.indexOf(c.toUpperCase()), job });
    });
  }

  /** True while a press is being sent: audio must not go out in its slots. */
  get sending(): boolean {
    return this.current !== null;
  }

  get idle(): boolean {
    return this.current === null && this.queue.length === 0;
  }

  /** The event packet for `slot`, or null when the slot belongs to audio. */
  next(slot: number, nowMs: number): DtmfPacket | null {
    if (this.current === null) {
      if (this.queue.length === 0 || nowMs < this.gapUntilMs) return null;
      const { event, job } = this.queue.shift()!;
      this.current = { event, job, startSlot: slot, sent: 0 };
    }
    const c = this.current;
    const index = c.sent++;
    const end = index >= TONE_PACKETS - 1;
    const duration = Math.min(index + 1, TONE_PACKETS) * SAMPLES_PER_PACKET;
    const packet = { payload: encodeTelephoneEvent(c.event, end, duration), marker: index === 0, startSlot: c.startSlot };
    if (c.sent >= TONE_PACKETS - 1 + END_REPEATS) {
      this.current = null;
      this.gapUntilMs = nowMs + DTMF_GAP_MS;
      if (--c.job.remaining === 0) c.job.resolve();
    }
    return packet;
  }

  /** Drops everything queued or going out (hold, close); their promises reject with `err`. */
  abort(err: Error): void {
    const jobs = new Set<Job>();
    if (this.current) jobs.add(this.current.job);
    for (const q of this.queue) jobs.add(q.job);
    this.current = null;
    this.queue.length = 0;
    for (const job of jobs) job.reject(err);
  }
}
