// What `to` means for an outbound call or a transfer: a sip: URI is called directly; a phone number
// goes to the configured trunk (sip:<number>@<trunk>), with the trunk's credentials for its
// challenges; `user@host` is read as sip:user@host.
import type { DigestCredentials } from './sip-digest.js';
import type { SipTransportName } from './sip-transport.js';
import { escapeUser, formatHostPort, parseSipUri } from './sip-uri.js';
import { SipSyntaxError } from './sip-syntax.js';

export interface SipTrunk {
  /** `sip:host[:port]` */
  uri: string;
  username?: string;
  password?: string;
  register?: boolean;
  registerExpiresS?: number;
  /** Our number / user at the trunk (From of outbound calls). */
  fromUser?: string;
  transport?: SipTransportName;
}

export interface DialTarget {
  /** The Request-URI (and To) of the INVITE or the Refer-To of a REFER. */
  uri: string;
  transport: SipTransportName | undefined;
  credentials: DigestCredentials | null;
  /** Through the trunk: From is the trunk account at the trunk's domain. */
  viaTrunk: boolean;
}

export class DialTargetError extends Error {
  override readonly name = 'DialTargetError';
}

const NUMBER_RE = /^\+?[0-9*#][0-9*#\s\-().]*$/;

export function isPhoneNumber(to: string): boolean {
  return NUMBER_RE.test(to.trim());
}

export function dialTarget(to: string, trunk: SipTrunk | undefined): DialTarget {
  const text = to.trim();
  if (/^sips?:/i.test(text)) {
    try {
      const uri = parseSipUri(text);
      if (uri.scheme === 'sips') throw new DialTargetError('sips: (TLS) is not supported');
      const t = uri.params.get('transport');
      return { uri: text, transport: t === 'tcp' || t === 'udp' ? t : undefined, credentials: null, viaTrunk: false };
    } catch (err) {
      if (err instanceof SipSyntaxError) throw new DialTargetError(`"${text.slice(0, 60)}" is not a valid SIP URI: ${err.message}`);
      throw err;
    }
  }
  if (isPhoneNumber(text)) {
    if (!trunk) throw new DialTargetError(`cannot dial the number ${text.slice(0, 30)}: no SIP trunk is configured`);
    const number = text.replace(/[\s\-().]/g, '');
    const trunkUri = parseSipUri(trunk.uri);
    const transport = trunk.transport ?? (trunkUri.params.get('transport') === 'tcp' ? 'tcp' : undefined);
    const uri = `sip:${escapeUser(number)}@${formatHostPort(trunkUri.host, trunkUri.port)}${transport === 'tcp' ? ';transport=tcp' : ''}`;
    const credentials = trunk.username && trunk.password ? { username: trunk.username, password: trunk.password } : null;
    return { uri, transport, credentials, viaTrunk: true };
  }
  if (/^[^@\s<>"]+@[^@\s<>"]+$/.test(text)) return dialTarget(`sip:${text}`, trunk);
  throw new DialTargetError(`"${text.slice(0, 60)}" is neither a phone number nor a SIP URI`);
}
