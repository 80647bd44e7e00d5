import { describe, expect, it } from 'vitest';
import { digestAuthorization, parseAuthParams, parseChallenge, pickChallenge } from '../../../src/transports/sip/sip-digest.js';
import { SipSyntaxError } from '../../../src/transports/sip/sip-syntax.js';

describe('digest authentication', () => {
  it('answers the RFC 2617 3.5 example (MD5, qop=auth) with its published response', () => {
    const challenge = parseChallenge(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
    const header = digestAuthorization({
      challenge,
      credentials: { username: 'Mufasa', password: 'Circle Of Life' },
      method: 'GET',
      uri: '/dir/index.html',
      nc: 1,
      cnonce: '0a4f113b',
    });
    const p = parseAuthParams(header.replace(/^Digest /, ''));
    expect(p.get('response')).toBe('6629fae49393a05397450978507c4ef1');
    expect(p.get('qop')).toBe('auth');
    expect(p.get('nc')).toBe('00000001');
    expect(p.get('opaque')).toBe('5ccc069c403ebaf9f0171e9517f40e41');
    expect(p.get('algorithm')).toBe('MD5');
  });

  it('answers the RFC 7616 3.9.1 example (SHA-256) with its published response', () => {
    const challenge = parseChallenge(
      'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    );
    const header = digestAuthorization({
      challenge,
      credentials: { username: 'Mufasa', password: 'Circle of Life' },
      method: 'GET',
      uri: '/dir/index.html',
      nc: 1,
      cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    });
    expect(parseAuthParams(header.slice(7)).get('response')).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });

  it('answers an RFC 2069 challenge (no qop) without cnonce and nc', () => {
    const header = digestAuthorization({
      challenge: parseChallenge('Digest realm="r", nonce="n"'),
      credentials: { username: 'u', password: 'p' },
      method: 'REGISTER',
      uri: 'sip:r',
      nc: 1,
    });
    const p = parseAuthParams(header.slice(7));
    expect(p.has('cnonce')).toBe(false);
    expect(p.has('nc')).toBe(false);
    expect(p.get('response')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('prefers SHA-256 when offered beside MD5 and skips schemes it cannot answer', () => {
    const c = pickChallenge(['Basic realm="x"', 'Digest realm="r", nonce="1", algorithm=MD5', 'Digest realm="r", nonce="2", algorithm=SHA-256']);
    expect(c?.algorithm).toBe('SHA-256');
    expect(pickChallenge(['Basic realm="x"', 'Digest realm="r", nonce="3", algorithm=AKAv1-MD5'])).toBeNull();
  });

  it('refuses broken challenges', () => {
    expect(() => parseChallenge('Digest nonce="x"')).toThrow(SipSyntaxError);
    expect(() => parseChallenge('Digest realm="unterminated, nonce="x"')).toThrow(SipSyntaxError);
    expect(() => parseChallenge('Digest realm')).toThrow(SipSyntaxError);
  });
});
