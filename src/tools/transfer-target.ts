// Where a call may be transferred: a phone number in E.164 form (with its country code, as every
// carrier and Twilio accept it) or a SIP URI. Spoken-style numbers ("+1 (555) 123-4567") are
// accepted and reduced to their digits, since that is how a language model tends to write them.

const SEPARATORS = /[\s().-]/g;
const E164 = /^\+[1-9]\d{1,14}$/;
/** sip: or sips:, an optional user part, a host name or address (IPv6 in brackets), port and parameters. */
const SIP_URI = /^sips?:(?:[^\s<>"@]+@)?(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?(?:;[^\s<>"]*)?$/i;
const MAX_LENGTH = 256;

export const TRANSFER_TARGET_RULE = 'a phone number in E.164 form with its country code (e.g. "+15551234567") or a SIP URI (e.g. "sip:desk@example.com")';

/** The target in the form to dial (a number without separators), or null when it is neither kind. */
export function transferTarget(raw: string): string | null {
  const text = raw.trim();
  if (!text || text.length > MAX_LENGTH) return null;
  if (/^sips?:/i.test(text)) return SIP_URI.test(text) ? text : null;
  if (!/^\+?[\d\s().-]+$/.test(text)) return null;
  const number = text.replace(SEPARATORS, '');
  return E164.test(number) ? number : null;
}
