// RFC 3261 17 timer values. T1 is the round-trip estimate, T2 the cap on non-INVITE retransmission
// intervals, T4 how long a message can live in the network; the lettered timers derive from them.

export interface SipTimerValues {
  /** ms, default 500. */
  t1: number;
  /** ms, default 4000. */
  t2: number;
  /** ms, default 5000. */
  t4: number;
}

export const DEFAULT_SIP_TIMERS: Readonly<SipTimerValues> = { t1: 500, t2: 4000, t4: 5000 };

/** 64*T1: timers B, F, H, J, L, M and the UAS wait for an ACK. */
export function transactionTimeout(t: SipTimerValues): number {
  return 64 * t.t1;
}

/** Timer D: how long an INVITE client keeps absorbing retransmitted final responses (at least 32 s on UDP). */
export function timerD(t: SipTimerValues, reliable: boolean): number {
  return reliable ? 0 : Math.max(32_000, 64 * t.t1);
}
