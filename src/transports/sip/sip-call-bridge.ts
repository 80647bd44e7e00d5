// The two calls of a warm transfer, joined by Parley: each side's decoded audio is sent on the
// other side's RTP frame by frame, keys pressed on one side are sent to the other, and when either
// side hangs up the other is hung up too. The agent is no longer part of it.
import type { SipCall } from './sip-call.js';

export class SipCallBridge {
  private over = false;

  private constructor(
    readonly a: SipCall,
    readonly b: SipCall,
  ) {}

  /** Joins two connected calls. */
  static join(a: SipCall, b: SipCall): SipCallBridge {
    const bridge = new SipCallBridge(a, b);
    a.joinBridge(bridge);
    b.joinBridge(bridge);
    return bridge;
  }

  audio(from: SipCall, samples: Int16Array): void {
    if (!this.over) this.other(from).sendBridged(samples);
  }

  dtmf(from: SipCall, digit: string): void {
    if (!this.over) this.other(from).sendBridgedDtmf(digit);
  }

  /** One side is gone: the other is hung up. */
  legEnded(from: SipCall): void {
    if (this.over) return;
    this.over = true;
    void this.other(from).hangup('transfer partner hung up');
  }

  private other(side: SipCall): SipCall {
    return side === this.a ? this.b : this.a;
  }
}
