// The TwiML Parley answers Twilio with: a bidirectional media stream for a call, and the <Dial>
// that moves a caller elsewhere (transfer). Built as text with every value XML-escaped.

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ENTITIES[c]);
}

const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

const PROLOG = '<?xml version="1.0" encoding="UTF-8"?>';

/**
 * `<Connect><Stream>`: Twilio opens a WebSocket to `streamUrl` and carries the call's audio both
 * ways until the socket closes; nothing follows, so closing the socket ends the call. Stream URLs
 * take no query string, which is why everything the call needs travels as `<Parameter>`s.
 */
export function connectStreamTwiml(streamUrl: string, parameters: Record<string, string>): string {
  const params = Object.entries(parameters)
    .map(([name, value]) => `<Parameter name="${escapeXml(name)}" value="${escapeXml(value)}"/>`)
    .join('');
  return `${PROLOG}<Response><Connect><Stream url="${escapeXml(streamUrl)}">${params}</Stream></Connect></Response>`;
}

const PHONE_NUMBER = /^\+?[0-9*#]{2,32}$/;
const SIP_URI = /^sips?:[^\s<>"]{3,256}$/i;

/**
 * Replaces the call's TwiML with a <Dial> to `target` (a phone number or sip: URI). `warm` keeps the
 * caller hearing ringing until the target answers and only then bridges (answerOnBridge); an agent
 * introducing the caller first would need a conference, which this does not do.
 */
export function dialTwiml(target: string, mode: 'blind' | 'warm'): string {
  const t = target.trim();
  const isSip = SIP_URI.test(t);
  if (!isSip && !PHONE_NUMBER.test(t)) throw new Error(`cannot transfer to "${target}": not a phone number (E.164) or sip: URI`);
  const open = mode === 'warm' ? '<Dial answerOnBridge="true">' : '<Dial>';
  const body = isSip ? `<Sip>${escapeXml(t)}</Sip>` : escapeXml(t);
  return `${PROLOG}<Response>${open}${body}</Dial></Response>`;
}
