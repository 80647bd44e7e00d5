// SIP and SIPS URIs (RFC 3261 19.1): `sip:user:password@host:port;uri-parameters?headers`.
// The user part is kept as it was escaped on the wire, so a URI read and written again is the same
// URI; `userText` gives it unescaped for routing.
import { SipParams } from './sip-params.js';
import { SipSyntaxError } from './sip-syntax.js';

export type SipUriScheme = 'sip' | 'sips';

export interface SipUri {
  scheme: SipUriScheme;
  /** As on the wire (escaped); null when the URI has no user part. */
  user: string | null;
  password: string | null;
  /** A host name, an IPv4 address, or an IPv6 address without its brackets. */
  host: string;
  port: number | null;
  params: SipParams;
  /** The `?h=v&...` part without the `?`, as on the wire; null when absent. */
  headers: string | null;
}

const HOSTNAME_RE = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?\.)*[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?\.?$/;
const IPV4_RE = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6_RE = /^[0-9A-Fa-f:.]+$/;
const USER_RE = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$/;
const PASSWORD_RE = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,]|%[0-9A-Fa-f]{2})*$/;

export function isIpv4(host: string): boolean {
  return IPV4_RE.test(host);
}

export function isIpv6(host: string): boolean {
  return host.includes(':') && IPV6_RE.test(host);
}

/** Checks a host (name, IPv4, or IPv6 without brackets). */
export function isValidHost(host: string): boolean {
  return isIpv4(host) || isIpv6(host) || (HOSTNAME_RE.test(host) && host.length <= 255);
}

/** Parses `host[:port]` where an IPv6 host is in brackets. */
export function parseHostPort(text: string): { host: string; port: number | null } {
  let host: string;
  let rest: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw new SipSyntaxError('unterminated IPv6 reference');
    host = text.slice(1, close);
    if (!isIpv6(host)) throw new SipSyntaxError(`bad IPv6 address "${host}"`);
    rest = text.slice(close + 1);
  } else {
    const colon = text.indexOf(':');
    host = colon < 0 ? text : text.slice(0, colon);
    rest = colon < 0 ? '' : text.slice(colon);
    if (!isValidHost(host) || isIpv6(host)) throw new SipSyntaxError(`bad host "${host}"`);
  }
  if (rest === '') return { host, port: null };
  if (!/^:\d{1,5}$/.test(rest)) throw new SipSyntaxError(`bad port in "${text}"`);
  const port = Number(rest.slice(1));
  if (port > 65535) throw new SipSyntaxError(`port ${port} out of range`);
  return { host, port };
}

export function formatHostPort(host: string, port: number | null): string {
  const h = isIpv6(host) ? `[${host}]` : host;
  return port === null ? h : `${h}:${port}`;
}

/** Parses a sip: or sips: URI; anything else (tel:, http:, garbage) is a SipSyntaxError. */
export function parseSipUri(text: string): SipUri {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  if (colon < 0) throw new SipSyntaxError(`"${clip(trimmed)}" is not a URI`);
  const scheme = trimmed.slice(0, colon).toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips') throw new SipSyntaxError(`unsupported URI scheme "${clip(scheme)}"`);
  let rest = trimmed.slice(colon + 1);
  if (/\s/.test(rest)) throw new SipSyntaxError('white space inside a URI');
  let headers: string | null = null;
  const q = rest.indexOf('?');
  if (q >= 0) {
    headers = rest.slice(q + 1);
    rest = rest.slice(0, q);
    if (!/^(?:[A-Za-z0-9\-_.!~*'()[\]/?:+$&=]|%[0-9A-Fa-f]{2})*$/.test(headers)) throw new SipSyntaxError('bad URI headers');
  }
  let user: string | null = null;
  let password: string | null = null;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const pc = userinfo.indexOf(':');
    user = pc < 0 ? userinfo : userinfo.slice(0, pc);
    password = pc < 0 ? null : userinfo.slice(pc + 1);
    if (!USER_RE.test(user)) throw new SipSyntaxError(`bad user part "${clip(user)}"`);
    if (password !== null && !PASSWORD_RE.test(password)) throw new SipSyntaxError('bad password part');
  }
  const semi = rest.indexOf(';');
  const hostport = semi < 0 ? rest : rest.slice(0, semi);
  const { host, port } = parseHostPort(hostport);
  const params = SipParams.parse(semi < 0 ? '' : rest.slice(semi + 1));
  return { scheme, user, password, host, port, params, headers };
}

export function formatSipUri(uri: SipUri): string {
  let out = `${uri.scheme}:`;
  if (uri.user !== null) out += uri.password === null ? `${uri.user}@` : `${uri.user}:${uri.password}@`;
  out += formatHostPort(uri.host, uri.port);
  out += uri.params.toString();
  if (uri.headers !== null) out += `?${uri.headers}`;
  return out;
}

/** The user part unescaped (`%2B1555` -> `+1555`); bad escapes are left as they are. */
export function userText(uri: SipUri): string {
  if (uri.user === null) return '';
  try {
    return decodeURIComponent(uri.user);
  } catch {
    return uri.user;
  }
}

/** Escapes a user part for a URI (phone numbers keep `+`, `*` and `#` is escaped as RFC 3261 requires). */
export function escapeUser(user: string): string {
  return user.replace(/[^A-Za-z0-9\-_.!~*'()&=+$,;?/]/g, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
