// What can be done to a live call from outside its conversation: hang up, transfer, send keypad
// tones. The composition root registers one control per call (its hang-up ends the session after
// the current reply; transfer and tones go to the phone leg); the agent's call tools and the API
// find it by call id. A call without a control (ended, or in another process) cannot be acted on.

export interface CallControl {
  /** Ends the call after what the agent is saying now (Session.endAfterReply). */
  hangup(reason: string): Promise<void>;
  /** Moves the caller to `target` (E.164 number or sip: URI); rejects when the call cannot be transferred. */
  transfer(target: string, mode: 'blind' | 'warm'): Promise<void>;
  /** Sends keypad tones (0-9, *, #, A-D) on the line; rejects when the call cannot. */
  sendDtmf(digits: string): Promise<void>;
}

export class CallControls {
  private readonly controls = new Map<string, CallControl>();

  /**
   * Makes `control` the one of `callId` (replacing an earlier one: a resumed call registers
   * again). Returns the release, which removes it only while it is still the registered one.
   */
  register(callId: string, control: CallControl): () => void {
    this.controls.set(callId, control);
    return () => {
      if (this.controls.get(callId) === control) this.controls.delete(callId);
    };
  }

  get(callId: string): CallControl | undefined {
    return this.controls.get(callId);
  }

  /** Live calls with a control. */
  get size(): number {
    return this.controls.size;
  }
}
