// Joins a phone leg to an agent Session: caller audio at the line rate (8 kHz) is resampled to the
// session rate and pushed in; the session's paced agent frames are resampled to 8 kHz and handed to
// the leg in 20 ms frames. A barge-in clears what the far end still holds; the end of the session
// hangs up the line, and the line going away ends the session.
import type { Logger } from 'pino';
import { FrameAssembler } from '../../audio/frame-assembler.js';
import { samplesPerFrame } from '../../audio/pcm.js';
import { Resampler } from '../../audio/resampler.js';
import type { Session } from '../../session/session.js';
import { PHONE_SAMPLE_RATE, type PhoneLeg, type PhoneLegEvents } from './phone-leg.js';

export interface PhoneBridgeOptions {
  /** The rate the session runs at (audio in and out). */
  sessionSampleRate: number;
  log: Logger;
}

export class PhoneBridge {
  private readonly inbound: Resampler | null;
  private readonly outbound: Resampler | null;
  private readonly lineFrames = new FrameAssembler(samplesPerFrame(PHONE_SAMPLE_RATE));
  private lineEnded = false;

  constructor(
    private readonly leg: PhoneLeg,
    private readonly options: PhoneBridgeOptions,
  ) {
    const rate = options.sessionSampleRate;
    this.inbound = rate === PHONE_SAMPLE_RATE ? null : new Resampler(PHONE_SAMPLE_RATE, rate);
    this.outbound = rate === PHONE_SAMPLE_RATE ? null : new Resampler(rate, PHONE_SAMPLE_RATE);
  }

  /** The session's audio sink: one paced frame at the session rate. */
  readonly sendAudio = (frame: Int16Array, _dueAt: number): void => {
    if (this.lineEnded) return;
    const line = this.outbound ? this.outbound.process(frame) : frame;
    this.lineFrames.push(line, (out) => this.leg.sendAudio(out));
  };

  /** Connects the running session to the leg; returns what the transport reports into. */
  attach(session: Session): PhoneLegEvents {
    session.timeline.subscribe((e) => {
      if (e.type === 'agent.audio_end' && e.interrupted) {
        // At once, in the same tick the barge-in was detected: the far end drops what it holds,
        // and no resampler or frame remainder of the cut reply leaks into the next one.
        this.leg.clearAudio();
        this.outbound?.reset();
        this.lineFrames.reset();
      } else if (e.type === 'call.ended' && !this.lineEnded) {
        this.lineEnded = true;
        void this.leg.hangup(e.reason).catch((err: unknown) => this.options.log.warn({ err: String(err) }, 'hang-up failed'));
      }
    });
    return {
      audio: (samples) => {
        if (this.lineEnded) return;
        session.pushAudio(this.inbound ? this.inbound.process(samples) : samples);
      },
      dtmf: (digit) => {
        if (!this.lineEnded) session.dtmf(digit);
      },
      ended: (reason) => {
        if (this.lineEnded) return;
        this.lineEnded = true;
        session.end(reason);
      },
    };
  }
}
