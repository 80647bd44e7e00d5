// What a WebSocket close from Deepgram means. The reason string carries Deepgram's payload code
// (NET-0001, DATA-0000, …); the numeric code pairing is not consistent across Deepgram's docs, so the
// reason decides first and the code only when the reason says nothing.
import { ProviderError, type ProviderErrorKind } from '../provider-error.js';

const BY_REASON: Record<string, { kind: ProviderErrorKind; text: string }> = {
  'NET-0000': { kind: 'server', text: 'Deepgram had an internal error' },
  'NET-0001': { kind: 'timeout', text: 'Deepgram received no data in time and closed the stream' },
  'NET-0002': { kind: 'server', text: 'Deepgram failed to send' },
  'NET-0003': { kind: 'timeout', text: 'the connection reached its time limit' },
  // The adapter always sends what it declares, so undecodable data is the vendor's (or a proxy's) problem.
  'DATA-0000': { kind: 'protocol', text: 'Deepgram could not decode the data it received' },
  'DATA-0001': { kind: 'rate_limited', text: 'too many characters in the time window' },
  'MESSAGE-0000': { kind: 'protocol', text: 'Deepgram refused a message type' },
  'BIG-0000': { kind: 'bad_request', text: 'a message was too large' },
  'BIG-0001': { kind: 'bad_request', text: 'too many characters' },
};

export function errorForClose(provider: string, code: number, reason: string): ProviderError {
  const known = BY_REASON[reason];
  const detail = `(close ${code}${reason ? ` ${reason}` : ''})`;
  if (known) return new ProviderError(provider, known.kind, `${known.text} ${detail}`, { code: reason });
  if (code === 1011) return new ProviderError(provider, 'server', `Deepgram closed the stream on a server error ${detail}`, { code: reason || undefined });
  if (code === 1008 || code === 1003 || code === 1007) return new ProviderError(provider, 'protocol', `Deepgram refused the stream's data ${detail}`, { code: reason || undefined });
  if (code === 1009) return new ProviderError(provider, 'bad_request', `a message was too large ${detail}`, { code: reason || undefined });
  return new ProviderError(provider, 'network', `connection closed unexpectedly ${detail}`, { code: reason || undefined });
}
