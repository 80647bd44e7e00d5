// Parley's side of one Twilio media stream, as a PhoneLeg: agent frames go out as μ-law `media`
// messages with a `mark` every few frames (so Parley knows what the caller has heard), a barge-in
// is a `clear`, keys are sent as in-band tones, and hang-up and transfer go through the REST API.
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { muLawEncode } from '../../audio/g711.js';
import { FRAME_MS, samplesPerFrame } from '../../audio/pcm.js';
import type { Clock, TimerHandle } from '../../clock.js';
import { PHONE_SAMPLE_RATE, type PhoneLeg } from '../phone/phone-leg.js';
import { dtmfTones } from './dtmf-tones.js';
import { PlayoutMarks } from './playout-marks.js';
import type { TwilioRestClient } from './twilio-rest.js';
import { clearOut, markOut, mediaOut } from './twilio-stream-messages.js';
import { dialTwiml } from './twiml.js';

/** What went over one stream, both ways (logged when it ends). */
export type TwilioStreamStats = {
  /** Every text frame received, `connected` and `start` included. */
  messagesIn: number;
  /** Every message sent. */
  messagesOut: number;
  mediaIn: number;
  mediaOut: number;
  marksOut: number;
  marksIn: number;
  clears: number;
  dtmfIn: number;
  dtmfOut: number;
  /** Messages skipped: malformed, unknown, out of place. */
  ignored: number;
};

export function newStreamStats(): TwilioStreamStats {
  return { messagesIn: 0, messagesOut: 0, mediaIn: 0, mediaOut: 0, marksOut: 0, marksIn: 0, clears: 0, dtmfIn: 0, dtmfOut: 0, ignored: 0 };
}

export type TwilioMediaLegDeps = {
  clock: Clock;
  log: Logger;
  /** Hang-up goes through it when set (otherwise closing the stream ends the call); transfer needs it. */
  rest?: TwilioRestClient;
  /** A mark after this many agent frames. */
  markEveryFrames: number;
  stats: TwilioStreamStats;
};

/** A pause in agent frames this long ends the run: a mark covers its tail. */
const TRAILING_MARK_AFTER_MS = FRAME_MS * 1.5;
/** Hang-up and transfer wait for the far end to play what it holds, at most this much beyond it. */
const DRAIN_SLACK_MS = 1000;
const LINE_FRAME = samplesPerFrame(PHONE_SAMPLE_RATE);

export class TwilioMediaLeg implements PhoneLeg {
  readonly transport = 'twilio' as const;
  private readonly marks: PlayoutMarks;
  private markTimer: TimerHandle | null = null;
  private ended = false;
  private transferTarget: string | null = null;
  private hangingUp: Promise<void> | null = null;
  private hangupReason: string | null = null;
  private drainWaiters: Array<() => boolean> = [];

  constructor(
    private readonly ws: WebSocket,
    readonly callSid: string,
    readonly streamSid: string,
    private readonly deps: TwilioMediaLegDeps,
  ) {
    this.marks = new PlayoutMarks(deps.markEveryFrames);
  }

  get stats(): Readonly<TwilioStreamStats> {
    return this.deps.stats;
  }

  sendAudio(frame: Int16Array): void {
    if (this.ended) return;
    this.send(mediaOut(this.streamSid, muLawEncode(frame)));
    this.deps.stats.mediaOut++;
    if (this.marks.sent((frame.length * 1000) / PHONE_SAMPLE_RATE)) {
      this.sendMark();
      return;
    }
    // Frames come paced, one per 20 ms; when they stop, the tail gets its mark.
    this.markTimer?.cancel();
    this.markTimer = this.deps.clock.setTimeout(() => {
      this.markTimer = null;
      if (this.marks.unmarked && !this.ended) this.sendMark();
    }, TRAILING_MARK_AFTER_MS);
  }

  clearAudio(): void {
    if (this.ended) return;
    this.send(clearOut(this.streamSid));
    this.deps.stats.clears++;
    this.markTimer?.cancel();
    this.markTimer = null;
    // Twilio returns the pending marks after a clear; `cleared` makes them stale.
    this.marks.cleared();
    this.wakeDrainWaiters();
  }

  unplayedMs(): number {
    return this.marks.unplayedMs();
  }

  /**
   * Media Streams cannot send a key press as a message, so the keys go out as DTMF tones (100 ms
   * each, 50 ms apart) queued after whatever audio Twilio already holds. Resolves once handed over.
   */
  async sendDtmf(digits: string): Promise<void> {
    if (this.ended || this.hangingUp) throw new Error('the call has ended: no keypad tones can be sent');
    if (digits.length === 0) throw new Error('no digits to send');
    const tones = dtmfTones(digits, { sampleRate: PHONE_SAMPLE_RATE });
    for (let at = 0; at < tones.length; at += LINE_FRAME) {
      const frame = new Int16Array(LINE_FRAME);
      frame.set(tones.subarray(at, at + LINE_FRAME));
      this.send(mediaOut(this.streamSid, muLawEncode(frame)));
      this.deps.stats.mediaOut++;
    }
    this.deps.stats.dtmfOut += digits.length;
    this.deps.log.info({ digits: digits.length }, 'keypad tones sent in-band');
  }

  hangup(reason: string): Promise<void> {
    this.hangupReason ??= reason;
    this.hangingUp ??= this.endCall(reason);
    return this.hangingUp;
  }

  async transfer(target: string, mode: 'blind' | 'warm'): Promise<void> {
    const rest = this.deps.rest;
    if (!rest) throw new Error('transfers over Twilio need its REST API: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN');
    if (this.ended || this.hangingUp) throw new Error('the call has already ended');
    const twiml = dialTwiml(target, mode);
    await this.playedOut();
    if (this.ended) throw new Error('the call ended before the transfer');
    this.transferTarget = target;
    try {
      await rest.updateCall(this.callSid, { twiml });
    } catch (err) {
      this.transferTarget = null;
      throw new Error(`Twilio did not transfer the call to ${target}: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.deps.log.info({ target, mode }, 'call transferred through Twilio');
  }

  /** Twilio echoed a mark. */
  markEchoed(name: string): void {
    this.deps.stats.marksIn++;
    if (this.marks.echoed(name) === 'unknown') this.deps.log.debug({ mark: name }, 'Twilio echoed a mark Parley did not send');
    if (this.marks.drained) this.wakeDrainWaiters();
  }

  /** The stream is over (stop, or the socket closed); returns why, for the agent side. */
  streamEnded(): string {
    this.ended = true;
    this.markTimer?.cancel();
    this.markTimer = null;
    this.wakeDrainWaiters();
    if (this.transferTarget) return `transferred to ${this.transferTarget}`;
    return this.hangupReason !== null ? `hung up: ${this.hangupReason}` : 'caller hung up';
  }

  /** Closes the socket; Twilio then runs the TwiML after <Connect>, and there is none: the call ends. */
  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
  }

  private async endCall(reason: string): Promise<void> {
    await this.playedOut();
    const rest = this.deps.rest;
    if (rest && !this.ended) {
      try {
        await rest.updateCall(this.callSid, { status: 'completed' });
      } catch (err) {
        // Closing the stream below still ends the call.
        this.deps.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'Twilio REST hang-up failed; closing the stream instead');
      }
    }
    this.deps.log.info({ reason }, 'hanging up the Twilio call');
    this.close(1000, 'call ended');
  }

  /** Waits until the far end has played what it holds (marks back), the stream ends, or that should have happened. */
  private playedOut(): Promise<void> {
    if (this.ended) return Promise.resolve();
    if (this.marks.unmarked) this.sendMark();
    if (this.marks.drained) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let settled = false;
      const finish = (): boolean => {
        if (!settled) {
          settled = true;
          timer.cancel();
          resolve();
        }
        return true;
      };
      const waiter = (): boolean => (this.ended || this.marks.drained ? finish() : settled);
      const timer = this.deps.clock.setTimeout(() => {
        finish();
        this.drainWaiters = this.drainWaiters.filter((w) => w !== waiter);
      }, this.marks.unplayedMs() + DRAIN_SLACK_MS);
      this.drainWaiters.push(waiter);
    });
  }

  /** Re-checks every drain waiter; keeps those still waiting. */
  private wakeDrainWaiters(): void {
    this.drainWaiters = this.drainWaiters.filter((waiter) => !waiter());
  }

  private sendMark(): void {
    this.markTimer?.cancel();
    this.markTimer = null;
    this.send(markOut(this.streamSid, this.marks.nextMark()));
    this.deps.stats.marksOut++;
  }

  private send(text: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(text);
    this.deps.stats.messagesOut++;
  }
}
