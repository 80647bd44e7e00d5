// DTMF carried in SIP INFO bodies: `application/dtmf-relay` (`Signal=5` and `Duration=160` lines,
// the de-facto Cisco format) and `application/dtmf` (the bare key). Some phones send the RFC 4733
// event number (10 for *, 11 for #) instead of the character.

const EVENT_KEYS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'];

export const DTMF_INFO_TYPES = ['application/dtmf-relay', 'application/dtmf'] as const;

/** The key in an INFO body of `contentType`, or null when the body holds none. */
export function dtmfFromInfo(contentType: string, body: string): string | null {
  let value: string | null = null;
  if (contentType === 'application/dtmf-relay') {
    const line = body.split(/\r?\n/).find((l) => /^\s*signal\s*=/i.test(l));
    value = line ? line.slice(line.indexOf('=') + 1).trim() : null;
  } else if (contentType === 'application/dtmf') {
    value = body.trim();
  }
  if (value === null || value === '') return null;
  const upper = value.toUpperCase();
  if (/^[0-9*#A-D]$/.test(upper)) return upper;
  if (/^\d{1,2}$/.test(value) && Number(value) < EVENT_KEYS.length) return EVENT_KEYS[Number(value)];
  return null;
}

/** An `application/dtmf-relay` body for one key. */
export function dtmfRelayBody(digit: string, durationMs = 160): string {
  return `Signal=${digit}\r\nDuration=${durationMs}\r\n`;
}
