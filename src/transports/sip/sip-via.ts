// The Via header (RFC 3261 20.42, 18.2.1; RFC 3581 rport): `SIP/2.0/UDP host:port;branch=...`.
// Responses travel back along it, and its branch names the transaction.
import { SipParams } from './sip-params.js';
import { formatHostPort, parseHostPort } from './sip-uri.js';
import { isToken, SipSyntaxError } from './sip-syntax.js';

/** RFC 3261's magic cookie: a branch that starts with it is unique per transaction. */
export const BRANCH_COOKIE = 'z9hG4bK';

export interface Via {
  /** Upper case: UDP, TCP, TLS, SCTP, WS, ... */
  transport: string;
  host: string;
  port: number | null;
  params: SipParams;
}

export function parseVia(value: string): Via {
  const text = value.trim();
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport, with LWS allowed around the slashes.
  const m = /^([^\s/]+)\s*\/\s*([^\s/]+)\s*\/\s*([^\s/;]+)\s+([^;]+?)\s*(?:;(.*))?$/s.exec(text);
  if (!m) throw new SipSyntaxError(`bad Via "${clip(text)}"`);
  const [, name, version, transport, sentBy, paramText] = m;
  if (name.toUpperCase() !== 'SIP' || version !== '2.0') throw new SipSyntaxError(`Via protocol is not SIP/2.0`);
  if (!isToken(transport)) throw new SipSyntaxError('bad Via transport');
  const { host, port } = parseHostPort(sentBy.replace(/\s*:\s*/, ':'));
  const params = SipParams.parse(paramText ?? '');
  const rport = params.get('rport');
  if (rport !== undefined && rport !== null && !/^\d{1,5}$/.test(rport)) throw new SipSyntaxError('bad Via rport');
  const ttl = params.get('ttl');
  if (ttl !== undefined && (ttl === null || !/^\d{1,3}$/.test(ttl))) throw new SipSyntaxError('bad Via ttl');
  const branch = params.get('branch');
  if (branch !== undefined && (branch === null || !isToken(branch))) throw new SipSyntaxError('bad Via branch');
  return { transport: transport.toUpperCase(), host, port, params };
}

export function formatVia(via: Via): string {
  return `SIP/2.0/${via.transport} ${formatHostPort(via.host, via.port)}${via.params.toString()}`;
}

export function viaBranch(via: Via): string | null {
  const b = via.params.get('branch');
  return typeof b === 'string' ? b : null;
}

/** `host:port` as the Via names it (the port defaulted), used to key server transactions. */
export function viaSentBy(via: Via): string {
  return `${via.host.toLowerCase()}:${via.port ?? defaultPortFor(via.transport)}`;
}

export function defaultPortFor(transport: string): number {
  return transport.toUpperCase() === 'TLS' ? 5061 : 5060;
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}
