import { describe, expect, it } from 'vitest';
import { formatNameAddr, parseNameAddr } from '../../../src/transports/sip/sip-name-addr.js';
import { escapeUser, formatSipUri, parseSipUri, userText } from '../../../src/transports/sip/sip-uri.js';
import { SipSyntaxError, splitOutside } from '../../../src/transports/sip/sip-syntax.js';
import { formatVia, parseVia } from '../../../src/transports/sip/sip-via.js';

describe('SIP URIs', () => {
  it('reads every part of a full URI and writes it back the same', () => {
    const text = 'sip:alice:secret@atlanta.example.com:5070;transport=tcp;lr;maddr=10.0.0.1?subject=project%20x&priority=urgent';
    const uri = parseSipUri(text);
    expect(uri.scheme).toBe('sip');
    expect(uri.user).toBe('alice');
    expect(uri.password).toBe('secret');
    expect(uri.host).toBe('atlanta.example.com');
    expect(uri.port).toBe(5070);
    expect(uri.params.get('transport')).toBe('tcp');
    expect(uri.params.get('lr')).toBeNull();
    expect(uri.params.get('MADDR')).toBe('10.0.0.1');
    expect(uri.params.get('ttl')).toBeUndefined();
    expect(uri.headers).toBe('subject=project%20x&priority=urgent');
    expect(formatSipUri(uri)).toBe(text);
  });

  it('reads IPv6 references, hosts without users and escaped user parts', () => {
    const v6 = parseSipUri('sips:[2001:db8::10]:5061');
    expect(v6).toMatchObject({ scheme: 'sips', host: '2001:db8::10', port: 5061, user: null });
    expect(formatSipUri(v6)).toBe('sips:[2001:db8::10]:5061');
    const escaped = parseSipUri('sip:%2B1%20555@example.com');
    expect(escaped.user).toBe('%2B1%20555');
    expect(userText(escaped)).toBe('+1 555');
    expect(parseSipUri('SIP:bob@EXAMPLE.com').scheme).toBe('sip');
  });

  it('refuses what is not a SIP URI, with a reason', () => {
    for (const bad of ['tel:+15551234', 'sip:', 'sip:bob@', 'sip:bob@host:99999', 'sip:bob@ho st', 'sip:bob@[::1', 'sip:bob@host;;x', 'sip:a"b@host', 'http://x', 'sip:bob@-bad-.com']) {
      expect(() => parseSipUri(bad), bad).toThrow(SipSyntaxError);
    }
  });

  it('escapes a user part so it reads back as written', () => {
    const user = escapeUser('+1 (555) #12');
    expect(user).toBe('+1%20(555)%20%2312');
    expect(userText(parseSipUri(`sip:${user}@h`))).toBe('+1 (555) #12');
  });
});

describe('name-addr and addr-spec', () => {
  it('reads a quoted display name with escapes, URI parameters and header parameters apart', () => {
    const a = parseNameAddr('"Alice \\"A\\" Smith" <sip:alice@example.com;transport=udp>;tag=1928301774;x');
    expect(a.displayName).toBe('Alice "A" Smith');
    expect(a.uri).toBe('sip:alice@example.com;transport=udp');
    expect(a.params.get('tag')).toBe('1928301774');
    expect(a.params.has('x')).toBe(true);
    expect(a.params.has('transport')).toBe(false);
    expect(formatNameAddr(a)).toBe('"Alice \\"A\\" Smith" <sip:alice@example.com;transport=udp>;tag=1928301774;x');
  });

  it('gives the parameters of a bare addr-spec to the header, not the URI (RFC 3261 20.10)', () => {
    const a = parseNameAddr('sip:bob@biloxi.example.com;tag=a6c85cf');
    expect(a.uri).toBe('sip:bob@biloxi.example.com');
    expect(a.params.get('tag')).toBe('a6c85cf');
    expect(a.bracketed).toBe(false);
  });

  it('takes token display names and non-SIP URIs', () => {
    const a = parseNameAddr('Bob Jones <tel:+15551234567>');
    expect(a).toMatchObject({ displayName: 'Bob Jones', uri: 'tel:+15551234567' });
  });

  it('refuses broken addresses', () => {
    for (const bad of ['', '<sip:a@b', '"unterminated <sip:a@b>', 'Bob <sip:a@b> trailing', 'not a uri', '<>', 'sip:a@b?x=1', 'B@d <sip:a@b>']) {
      expect(() => parseNameAddr(bad), bad).toThrow(SipSyntaxError);
    }
  });
});

describe('Via', () => {
  it('reads sent-protocol with white space around the slashes, sent-by and parameters', () => {
    const via = parseVia('SIP / 2.0 / udp host.example.com:5066 ;branch=z9hG4bKabc;rport;received=192.0.2.1');
    expect(via.transport).toBe('UDP');
    expect(via.host).toBe('host.example.com');
    expect(via.port).toBe(5066);
    expect(via.params.get('branch')).toBe('z9hG4bKabc');
    expect(via.params.get('rport')).toBeNull();
    expect(formatVia(via)).toBe('SIP/2.0/UDP host.example.com:5066;branch=z9hG4bKabc;rport;received=192.0.2.1');
    expect(parseVia('SIP/2.0/TCP [::1]').host).toBe('::1');
  });

  it('refuses a Via that is not SIP/2.0 or has a bad rport or branch', () => {
    for (const bad of ['SIP/3.0/UDP h', 'HTTP/2.0/UDP h', 'SIP/2.0/UDP', 'SIP/2.0/UDP h;rport=abc', 'SIP/2.0/UDP h;branch', 'SIP/2.0/UDP h:70000']) {
      expect(() => parseVia(bad), bad).toThrow(SipSyntaxError);
    }
  });
});

describe('splitting lists', () => {
  it('splits on commas outside quotes and angle brackets only', () => {
    expect(splitOutside('"Doe, John" <sip:j@x;a=1,2>, <sip:k@y>;q=0.5', ',')).toEqual(['"Doe, John" <sip:j@x;a=1,2>', '<sip:k@y>;q=0.5']);
    expect(() => splitOutside('"open, <sip:a@b>', ',')).toThrow(SipSyntaxError);
  });
});
