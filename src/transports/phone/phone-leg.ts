// The seam between a telephony transport (Twilio Media Streams, the SIP/RTP endpoint) and an agent
// call. A transport decodes the line's G.711 into PCM16 at 8 kHz and hands it over; it gets the
// agent's audio back as paced 20 ms frames at 8 kHz, encodes and sends them. Everything else a phone
// call can do (DTMF, hang-up, transfer) goes through the same two interfaces.

export type PhoneTransport = 'twilio' | 'sip';

/** The line rate of every phone transport (G.711). */
export const PHONE_SAMPLE_RATE = 8000;

/** What the agent side can ask of a phone leg. */
export interface PhoneLeg {
  readonly transport: PhoneTransport;
  /** Agent audio: one 20 ms frame (160 samples) of PCM16 mono at 8 kHz, given when it is due. */
  sendAudio(frame: Int16Array): void;
  /** Barge-in: the far end drops agent audio it holds and has not played yet. */
  clearAudio(): void;
  /**
   * Agent audio sent but not yet played out at the far end, in ms, when the transport can tell
   * (Twilio marks); 0 when it cannot. What the caller heard = what was sent minus this.
   */
  unplayedMs(): number;
  /** Sends DTMF digits (0-9, *, #, A-D) to the far end; rejects when the leg cannot. */
  sendDtmf(digits: string): Promise<void>;
  /** Ends the call on the line (SIP BYE, Twilio call completed). Idempotent. */
  hangup(reason: string): Promise<void>;
  /**
   * Moves the caller to `target` (a phone number or SIP URI). `blind` hands the caller over and
   * the agent leaves; `warm` dials the target first and bridges the two once it answers.
   */
  transfer(target: string, mode: 'blind' | 'warm'): Promise<void>;
}

/** What a phone transport reports about a leg, once an agent has it. */
export interface PhoneLegEvents {
  /** Caller audio, PCM16 mono at 8 kHz, any length, in order. */
  audio(samples: Int16Array): void;
  /** One key the caller pressed (RFC 4733 event, SIP INFO or a Twilio `dtmf` message). */
  dtmf(digit: string): void;
  /** The line is gone (caller hung up, stream stopped, transfer completed). */
  ended(reason: string): void;
}

/** A call arriving on a phone transport (or an outbound one that was answered). */
export interface PhoneCallInfo {
  transport: PhoneTransport;
  direction: 'inbound' | 'outbound';
  /** The caller (E.164 number or SIP user), as the line gives it. */
  from: string;
  /** The dialled number or SIP user part, used for routing to an agent. */
  to: string;
  /** The transport's own id for the call (Twilio CallSid, SIP Call-ID). */
  externalId: string;
  /** Parley's call id when it was chosen before the call connected (outbound calls). */
  callId?: string;
  /** The agent, when the transport already names it (Twilio stream parameter, outbound request). */
  agent?: string;
  /** The tenant, when known (outbound calls); otherwise the routing decides. */
  tenantId?: string;
  /** Values for the agent's prompt and flow (`{{name}}` placeholders), from the request or the line. */
  variables: Record<string, string>;
}

/** Thrown by `PhoneCallAcceptor.accept` when a call may not start; transports map it to a line reply. */
export class PhoneCallRefusedError extends Error {
  constructor(
    readonly reason: 'no_route' | 'unknown_agent' | 'busy' | 'unavailable' | 'budget_exceeded',
    message: string,
  ) {
    super(message);
    this.name = 'PhoneCallRefusedError';
  }
}

/** Starts an agent on a phone leg. Implemented by the composition root. */
export interface PhoneCallAcceptor {
  /**
   * Builds and starts the agent call for `leg`. Resolves with the sink for the leg's events, or
   * rejects with PhoneCallRefusedError (no route, unknown agent, draining, budget).
   */
  accept(info: PhoneCallInfo, leg: PhoneLeg): Promise<{ callId: string; events: PhoneLegEvents }>;
}
