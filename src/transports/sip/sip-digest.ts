// HTTP Digest authentication as SIP uses it (RFC 3261 22, RFC 2617, RFC 7616, RFC 8760): reading a
// WWW-Authenticate / Proxy-Authenticate challenge and answering it with an Authorization /
// Proxy-Authorization header. MD5 and SHA-256 (and their -sess forms), qop auth and auth-int.
import { createHash, randomBytes } from 'node:crypto';
import { quote, SipSyntaxError, unquote } from './sip-syntax.js';

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque: string | null;
  algorithm: DigestAlgorithm;
  /** qop options offered; empty for an RFC 2069 challenge. */
  qop: string[];
  stale: boolean;
}

export interface DigestCredentials {
  username: string;
  password: string;
}

const ALGORITHMS: Record<string, DigestAlgorithm> = {
  md5: 'MD5',
  'md5-sess': 'MD5-sess',
  'sha-256': 'SHA-256',
  'sha-256-sess': 'SHA-256-sess',
};

/** `name=value, name="quoted, value"` after the scheme of an authentication header. */
export function parseAuthParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && (text[i] === ',' || text[i] === ' ' || text[i] === '\t')) i++;
    if (i >= n) break;
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new SipSyntaxError('authentication parameter without a value');
    const name = text.slice(i, eq).trim().toLowerCase();
    if (!/^[a-z0-9\-_.]+$/.test(name)) throw new SipSyntaxError(`bad authentication parameter "${name.slice(0, 30)}"`);
    i = eq + 1;
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
    let value: string;
    if (text[i] === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= n) throw new SipSyntaxError('unterminated quoted authentication parameter');
      value = unquote(text.slice(i, j + 1));
      i = j + 1;
    } else {
      const comma = text.indexOf(',', i);
      value = (comma < 0 ? text.slice(i) : text.slice(i, comma)).trim();
      i = comma < 0 ? n : comma;
    }
    params.set(name, value);
  }
  return params;
}

/** Reads one `Digest ...` challenge; other schemes and unknown algorithms are a SipSyntaxError. */
export function parseChallenge(value: string): DigestChallenge {
  const m = /^\s*(\S+)\s+([\s\S]*)$/.exec(value);
  if (!m || m[1].toLowerCase() !== 'digest') throw new SipSyntaxError('not a Digest challenge');
  const p = parseAuthParams(m[2]);
  const realm = p.get('realm');
  const nonce = p.get('nonce');
  if (realm === undefined || nonce === undefined) throw new SipSyntaxError('Digest challenge without realm or nonce');
  const algorithm = ALGORITHMS[(p.get('algorithm') ?? 'MD5').toLowerCase()];
  if (!algorithm) throw new SipSyntaxError(`unsupported Digest algorithm ${p.get('algorithm')}`);
  const qop = (p.get('qop') ?? '')
    .split(',')
    .map((q) => q.trim().toLowerCase())
    .filter((q) => q !== '');
  return { realm, nonce, opaque: p.get('opaque') ?? null, algorithm, qop, stale: (p.get('stale') ?? '').toLowerCase() === 'true' };
}

/** The strongest challenge Parley can answer among several (RFC 8760: SHA-256 over MD5). */
export function pickChallenge(values: readonly string[]): DigestChallenge | null {
  const parsed: DigestChallenge[] = [];
  for (const v of values) {
    try {
      parsed.push(parseChallenge(v));
    } catch {
      // A scheme or algorithm Parley cannot answer is skipped; another header may offer one it can.
    }
  }
  return parsed.find((c) => c.algorithm.startsWith('SHA-256')) ?? parsed[0] ?? null;
}

export function digestHash(algorithm: DigestAlgorithm, text: string): string {
  return createHash(algorithm.startsWith('SHA-256') ? 'sha256' : 'md5').update(text, 'utf8').digest('hex');
}

export interface DigestAnswer {
  challenge: DigestChallenge;
  credentials: DigestCredentials;
  method: string;
  /** The Request-URI of the request being authorised. */
  uri: string;
  /** Nonce count: how many requests used this nonce, this one included. */
  nc: number;
  /** Client nonce; random when not given (tests pass one). */
  cnonce?: string;
  /** The request body, for qop=auth-int. */
  body?: Buffer;
}

/** The `response` value (RFC 2617 3.2.2.1, RFC 7616 3.4.1). */
export function digestResponse(a: Required<Omit<DigestAnswer, 'body'>> & { body?: Buffer; qop: string | null }): string {
  const { challenge: c, credentials, method, uri, nc, cnonce, qop } = a;
  const H = (s: string): string => digestHash(c.algorithm, s);
  let ha1 = H(`${credentials.username}:${c.realm}:${credentials.password}`);
  if (c.algorithm.endsWith('-sess')) ha1 = H(`${ha1}:${c.nonce}:${cnonce}`);
  const ha2 = qop === 'auth-int' ? H(`${method}:${uri}:${digestHashBytes(c.algorithm, a.body ?? Buffer.alloc(0))}`) : H(`${method}:${uri}`);
  if (qop === null) return H(`${ha1}:${c.nonce}:${ha2}`);
  return H(`${ha1}:${c.nonce}:${ncText(nc)}:${cnonce}:${qop}:${ha2}`);
}

/** The Authorization / Proxy-Authorization header value answering `challenge`. */
export function digestAuthorization(answer: DigestAnswer): string {
  const c = answer.challenge;
  const qop = c.qop.includes('auth') ? 'auth' : c.qop.includes('auth-int') ? 'auth-int' : null;
  const cnonce = answer.cnonce ?? randomBytes(8).toString('hex');
  const response = digestResponse({ ...answer, cnonce, qop });
  const parts = [
    `username=${quote(answer.credentials.username)}`,
    `realm=${quote(c.realm)}`,
    `nonce=${quote(c.nonce)}`,
    `uri=${quote(answer.uri)}`,
    `response=${quote(response)}`,
    `algorithm=${c.algorithm}`,
  ];
  if (qop !== null) parts.push(`cnonce=${quote(cnonce)}`, `qop=${qop}`, `nc=${ncText(answer.nc)}`);
  if (c.opaque !== null) parts.push(`opaque=${quote(c.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}

function ncText(nc: number): string {
  return nc.toString(16).padStart(8, '0');
}

function digestHashBytes(algorithm: DigestAlgorithm, body: Buffer): string {
  return createHash(algorithm.startsWith('SHA-256') ? 'sha256' : 'md5').update(body).digest('hex');
}
