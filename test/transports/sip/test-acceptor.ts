// A PhoneCallAcceptor for tests: records every leg it is given with the audio, keys and end
// reasons reported on it; can echo caller audio back, refuse calls, or hold accept() open.
import { PhoneCallRefusedError, type PhoneCallAcceptor, type PhoneCallInfo, type PhoneLeg, type PhoneLegEvents } from '../../../src/transports/phone/phone-leg.js';
import type { SipCall } from '../../../src/transports/sip/sip-call.js';

export interface AcceptedLeg {
  info: PhoneCallInfo;
  leg: PhoneLeg;
  audio: Int16Array[];
  dtmf: string[];
  ended: string[];
}

export class TestAcceptor implements PhoneCallAcceptor {
  readonly legs: AcceptedLeg[] = [];
  /** accept() calls, refused ones included. */
  offered = 0;
  refuse: PhoneCallRefusedError | Error | null = null;
  echo = false;
  private gate: Promise<void> | null = null;
  private openGate: (() => void) | null = null;

  /** Makes accept() wait until release(). */
  holdAccepts(): void {
    this.gate = new Promise((resolve) => {
      this.openGate = resolve;
    });
  }

  release(): void {
    this.openGate?.();
    this.gate = null;
  }

  async accept(info: PhoneCallInfo, leg: PhoneLeg): Promise<{ callId: string; events: PhoneLegEvents }> {
    this.offered += 1;
    if (this.gate) await this.gate;
    if (this.refuse) throw this.refuse;
    const rec: AcceptedLeg = { info, leg, audio: [], dtmf: [], ended: [] };
    this.legs.push(rec);
    return {
      callId: `parley-${this.legs.length}`,
      events: {
        audio: (samples) => {
          rec.audio.push(samples);
          if (this.echo) leg.sendAudio(samples);
        },
        dtmf: (digit) => rec.dtmf.push(digit),
        ended: (reason) => rec.ended.push(reason),
      },
    };
  }

  /** The n-th accepted leg as the SIP call it is. */
  call(n = 0): SipCall {
    return this.legs[n].leg as SipCall;
  }
}

export { PhoneCallRefusedError };

/** A 20 ms frame of a 440 Hz tone at 8 kHz. */
export function toneFrame(offset = 0, amplitude = 8000): Int16Array {
  const frame = new Int16Array(160);
  for (let i = 0; i < 160; i++) frame[i] = Math.round(amplitude * Math.sin((2 * Math.PI * 440 * (offset + i)) / 8000));
  return frame;
}

export function rms(frame: Int16Array): number {
  let sum = 0;
  for (const s of frame) sum += s * s;
  return Math.sqrt(sum / Math.max(1, frame.length));
}

/** Frames with clear signal in them (not silence or comfort noise). */
export function loudFrames(frames: Int16Array[]): number {
  return frames.filter((f) => rms(f) > 1000).length;
}
