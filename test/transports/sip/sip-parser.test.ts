import { describe, expect, it } from 'vitest';
import { SipHeaders } from '../../../src/transports/sip/sip-headers.js';
import { SipRequest, SipResponse } from '../../../src/transports/sip/sip-message.js';
import { parseSipMessage, SipParseError } from '../../../src/transports/sip/sip-parser.js';
import { SipStreamParser } from '../../../src/transports/sip/sip-stream-parser.js';

const CRLF = '\r\n';
const msg = (...lines: string[]): Buffer => Buffer.from(lines.join(CRLF), 'utf8');

function parseError(data: Buffer | string, options = {}): SipParseError {
  try {
    parseSipMessage(typeof data === 'string' ? Buffer.from(data, 'utf8') : data, options);
  } catch (err) {
    if (err instanceof SipParseError) return err;
    throw err;
  }
  throw new Error('expected a parse error');
}

const INVITE = [
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@pc33.atlanta.example.com>',
  'Content-Type: application/sdp',
  'Content-Length: 4',
  '',
  'v=0\n',
];

describe('parseSipMessage', () => {
  it('reads a plain INVITE: start line, headers, accessors and body', () => {
    const m = parseSipMessage(msg(...INVITE));
    expect(m).toBeInstanceOf(SipRequest);
    const r = m as SipRequest;
    expect(r.method).toBe('INVITE');
    expect(r.uri).toBe('sip:bob@biloxi.example.com');
    expect(r.callId).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(r.cseq).toEqual({ seq: 314159, method: 'INVITE' });
    expect(r.fromTag).toBe('1928301774');
    expect(r.toTag).toBeNull();
    expect(r.topVia.params.get('branch')).toBe('z9hG4bK776asdhds');
    expect(r.contentType).toBe('application/sdp');
    expect(r.bodyText).toBe('v=0\n');
  });

  it('reads a response', () => {
    const m = parseSipMessage(
      msg('SIP/2.0 180 Ringing', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'To: <sip:b@h>;tag=x', 'From: <sip:a@h>;tag=y', 'Call-ID: 1', 'CSeq: 1 INVITE', '', ''),
    );
    expect(m).toBeInstanceOf(SipResponse);
    expect((m as SipResponse).status).toBe(180);
    expect((m as SipResponse).reason).toBe('Ringing');
  });

  it('expands compact forms, splits list headers on commas outside quotes and <>, and unfolds lines', () => {
    const m = parseSipMessage(
      msg(
        'OPTIONS sip:x@example.com SIP/2.0',
        'v: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com;branch=z9hG4bK2',
        'v: SIP/2.0/UDP c.example.com;branch=z9hG4bK3',
        'f: "Last, First" <sip:first@example.com>;tag=9',
        't: <sip:x@example.com>',
        'i: callid-1',
        'CSeq: 7',
        ' OPTIONS',
        'm: <sip:a@h1;x=1,2>;q=0.5, "B, C" <sip:b@h2>',
        'k: timer, 100rel',
        'Subject: a folded',
        '\tsubject line',
        'l: 0',
        '',
        '',
      ),
    ) as SipRequest;
    expect(m.headers.getAll('Via')).toHaveLength(3);
    expect(m.vias.map((v) => v.host)).toEqual(['a.example.com', 'b.example.com', 'c.example.com']);
    expect(m.from.displayName).toBe('Last, First');
    expect(m.headers.getAll('Contact')).toEqual(['<sip:a@h1;x=1,2>;q=0.5', '"B, C" <sip:b@h2>']);
    expect(m.headers.getAll('Supported')).toEqual(['timer', '100rel']);
    expect(m.headers.get('Subject')).toBe('a folded subject line');
    expect(m.cseq).toEqual({ seq: 7, method: 'OPTIONS' });
  });

  it('keeps header-name case out of lookups and comma-carrying headers whole', () => {
    const m = parseSipMessage(
      msg(
        'REGISTER sip:registrar.example.com SIP/2.0',
        'VIA: SIP/2.0/UDP h;branch=z9hG4bK1',
        'fROM: <sip:a@h>;tag=1',
        'TO: <sip:a@h>',
        'CALL-ID: c',
        'cseq: 1 REGISTER',
        'Authorization: Digest username="a", realm="r", nonce="n,1", uri="sip:h", response="x"',
        'Date: Sat, 13 Nov 2010 23:29:00 GMT',
        '',
        '',
      ),
    );
    expect(m.headers.getAll('Authorization')).toHaveLength(1);
    expect(m.headers.get('date')).toBe('Sat, 13 Nov 2010 23:29:00 GMT');
    expect(m.callId).toBe('c');
  });

  // Torture-test style messages (written for Parley in the manner of RFC 4475): valid but unusual.
  it('accepts unusual but valid messages', () => {
    const wsInside = msg(
      'INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0',
      'TO :',
      ' sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n',
      'from   : "J Rosenberg \\\\\\""       <sip:jdrosen@example.com>',
      '  ;',
      '  tag = 98asjd8',
      'MaX-fOrWaRdS: 0068',
      'Call-ID: wsinv.ndaksdj@192.0.2.1',
      'Content-Length   : 0',
      'cseq: 0009',
      '  INVITE',
      'Via  : SIP  /   2.0',
      ' /UDP',
      '    192.0.2.2;branch=390skdjuw',
      's :',
      'NewFangledHeader:   newfangled value',
      ' continued newfangled value',
      'UnknownHeaderWithUnusualValue: ;;,,;;,;',
      'm:"Quoted string\\"\\"" <sip:jdrosen@example.com> ; newparam =',
      '      newvalue ;',
      '  secondparam ; q = 0.33',
      '',
      '',
    );
    const m = parseSipMessage(wsInside) as SipRequest;
    expect(m.cseq).toEqual({ seq: 9, method: 'INVITE' });
    expect(m.toTag).toBe('1918181833n');
    expect(m.fromTag).toBe('98asjd8');
    expect(m.from.displayName).toBe('J Rosenberg \\"');
    expect(m.headers.get('NewFangledHeader')).toBe('newfangled value continued newfangled value');
    expect(m.topVia.host).toBe('192.0.2.2');
    expect(m.headers.get('Max-Forwards')).toBe('0068');

    const escapedUser = parseSipMessage(
      msg(
        'INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0',
        'To: sip:%61lice@example.com',
        'From: <sip:I%20have%20spaces@example.net>;tag=938',
        'Max-Forwards: 87',
        'i: esc01.239409asdfakjkn23onasd0-3234',
        'CSeq: 234234 INVITE',
        'Via: SIP/2.0/UDP host5.example.net;branch=z9hG4bKkdjuw',
        'C: application/sdp',
        'Contact: <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>',
        'Content-Length: 0',
        '',
        '',
      ),
    ) as SipRequest;
    expect(escapedUser.uri).toBe('sip:sips%3Auser%40example.com@example.net');

    // Leading CRLFs before the start line are ignored (RFC 3261 7.5); LF-only line ends are tolerated.
    const lf = Buffer.from('\r\n\r\nBYE sip:a@h SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK9\nFrom: <sip:b@h>;tag=1\nTo: <sip:a@h>;tag=2\nCall-ID: x\nCSeq: 2 BYE\n\n');
    expect((parseSipMessage(lf) as SipRequest).method).toBe('BYE');

    // Unknown method, unknown scheme-free extension headers, an empty Supported.
    const unknown = parseSipMessage(
      msg('NEWMETHOD sip:user@example.com SIP/2.0', 'Via: SIP/2.0/TCP h;branch=z9hG4bK1', 'To: <sip:u@e>', 'From: <sip:u@e>;tag=1', 'Call-ID: n', 'CSeq: 8 NEWMETHOD', 'Supported:', 'Max-Forwards: 70', '', ''),
    ) as SipRequest;
    expect(unknown.method).toBe('NEWMETHOD');
    expect(unknown.headers.has('Supported')).toBe(true);
  });

  it('discards bytes past Content-Length on a datagram and refuses a Content-Length larger than the body', () => {
    const lines = [...INVITE];
    const data = msg(...lines.slice(0, -2), '', 'v=0\nEXTRA');
    expect((parseSipMessage(data) as SipRequest).bodyText).toBe('v=0\n');
    const short = msg(...lines.slice(0, 9), 'Content-Length: 50', '', 'v=0');
    const err = parseError(short);
    expect(err.status).toBe(400);
    expect(err.reason).toMatch(/Content-Length 50 is more than the 3 body bytes/);
  });

  const base = (replace: Record<string, string | null>, start = 'INVITE sip:bob@example.com SIP/2.0'): Buffer => {
    const headers: Array<[string, string]> = [
      ['Via', 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx'],
      ['From', '<sip:a@example.com>;tag=1'],
      ['To', '<sip:bob@example.com>'],
      ['Call-ID', 'abc@192.0.2.1'],
      ['CSeq', '1 INVITE'],
      ['Max-Forwards', '70'],
    ];
    const out = headers.filter(([n]) => replace[n] !== null).map(([n, v]) => `${n}: ${replace[n] ?? v}`);
    for (const [n, v] of Object.entries(replace)) if (v !== null && !headers.some(([h]) => h === n)) out.push(`${n}: ${v}`);
    return msg(start, ...out, '', '');
  };

  it.each([
    [{ 'Call-ID': null }, 'missing Call-ID'],
    [{ CSeq: null }, 'missing CSeq'],
    [{ From: null }, 'missing From'],
    [{ To: null }, 'missing To'],
    [{ Via: null }, 'missing Via'],
    [{ CSeq: 'abc INVITE' }, 'bad CSeq'],
    [{ CSeq: '4294967296 INVITE' }, 'bad CSeq'],
    [{ CSeq: '1 BYE' }, 'CSeq method does not match'],
    [{ 'Max-Forwards': '300' }, 'bad Max-Forwards'],
    [{ 'Max-Forwards': 'ten' }, 'bad Max-Forwards'],
    [{ From: 'not an address' }, 'bad From'],
    [{ To: '<sip:bob@example.com' }, 'bad To'],
    [{ 'Call-ID': 'has space' }, 'bad Call-ID'],
    [{ 'Content-Length': '-1' }, 'bad Content-Length'],
    [{ Expires: 'never' }, 'bad Expires'],
    [{ Contact: '<sip:broken' }, 'bad Contact'],
    [{ Via: 'SIP/2.0/UDP 192.0.2.1, garbage' }, 'bad Via'],
  ])('refuses a request with %o (400: %s), keeping what it can read', (replace, reason) => {
    const err = parseError(base(replace));
    expect(err.status).toBe(400);
    expect(err.reason).toContain(reason);
    expect(err.salvage?.method).toBe('INVITE');
  });

  it('refuses two values of a single-value header', () => {
    const data = msg('OPTIONS sip:a@b SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'From: <sip:a@b>;tag=1', 'To: <sip:a@b>', 'Call-ID: one', 'Call-ID: two', 'CSeq: 1 OPTIONS', '', '');
    expect(parseError(data).reason).toBe('more than one Call-ID header');
  });

  it('answers an unknown SIP version with 505 and an unknown Request-URI scheme with 416', () => {
    expect(parseError(base({}, 'INVITE sip:bob@example.com SIP/7.0')).status).toBe(505);
    const tel = parseError(base({}, 'INVITE tel:+15551234 SIP/2.0'));
    expect(tel.status).toBe(416);
    expect(tel.salvage?.headers.get('Via')).toContain('192.0.2.1');
  });

  it('refuses bad start lines and header lines, still salvaging a request', () => {
    const spaces = parseError(base({}, 'INVITE  sip:bob@example.com  SIP/2.0'));
    expect(spaces.reason).toBe('bad request line');
    expect(spaces.salvage?.method).toBe('INVITE');
    expect(spaces.salvage?.headers.get('Call-ID')).toBe('abc@192.0.2.1');
    const noColon = parseError(msg('BYE sip:a@b SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'this line has no colon', '', ''));
    expect(noColon.reason).toMatch(/^malformed header line/);
    expect(noColon.salvage?.headers.get('Via')).toBe('SIP/2.0/UDP h;branch=z9hG4bK1');
    const ctl = parseError(msg('BYE sip:a@b SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'Subject: bell\x07', '', ''));
    expect(ctl.reason).toBe('control characters in Subject');
    expect(parseError(msg('INVITE sip:a@b SIP/2.0', 'Via: SIP/2.0/UDP h', '')).reason).toBe('no empty line after the headers');
  });

  it('never salvages a response or garbage', () => {
    expect(parseError(msg('SIP/2.0 2000 OK', 'Via: SIP/2.0/UDP h', '', '')).salvage).toBeNull();
    expect(parseError(Buffer.from([0xff, 0x00, 0x13, 0x37])).salvage).toBeNull();
    expect(parseError('').reason).toBe('empty message');
  });

  it('refuses a message over the size limit with 513', () => {
    const big = msg('MESSAGE sip:a@b SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', `X-Filler: ${'a'.repeat(2000)}`, '', '');
    const err = parseError(big, { maxBytes: 1000 });
    expect(err.status).toBe(513);
    expect(err.salvage?.headers.get('Via')).toBe('SIP/2.0/UDP h;branch=z9hG4bK1');
  });

  it('makes reasons safe for a reason phrase', () => {
    const err = parseError(base({ From: '<sip:\u00e9\u00e9@x' }));
    expect(err.reason).toMatch(/^[\x20-\x7e]+$/);
  });
});

describe('serialising', () => {
  it('writes a message that parses back to the same thing, with the right Content-Length', () => {
    const h = new SipHeaders();
    h.append('Via', 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc;rport');
    h.append('From', '"A" <sip:a@10.0.0.1>;tag=1');
    h.append('To', '<sip:b@10.0.0.2>');
    h.append('Call-ID', 'id@10.0.0.1');
    h.append('CSeq', '5 INFO');
    h.append('Content-Length', '999');
    h.append('Content-Type', 'application/dtmf-relay');
    const req = new SipRequest('INFO', 'sip:b@10.0.0.2', h, Buffer.from('Signal=5\r\nDuration=160\r\n'));
    const wire = req.serialize().toString();
    expect(wire).toContain('Content-Length: 24\r\n\r\nSignal=5');
    expect(wire).not.toContain('999');
    const back = parseSipMessage(req.serialize()) as SipRequest;
    expect(back.bodyText).toBe('Signal=5\r\nDuration=160\r\n');
    expect(back.headers.entries()).toEqual(req.headers.entries().filter((e) => e.name !== 'Content-Length').concat([{ name: 'Content-Length', value: '24' }]));
  });
});

describe('writing list headers', () => {
  it('writes token lists on one line and keeps routing headers one value per line', () => {
    const h = SipHeaders.fromRaw([
      { name: 'Via', value: 'SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2' },
      { name: 'Allow', value: 'INVITE, ACK' },
      { name: 'Route', value: '<sip:p1;lr>, <sip:p2;lr>' },
      { name: 'Allow', value: 'BYE' },
      { name: 'k', value: '' },
    ]);
    expect(h.wireLines()).toEqual([
      ['Via', 'SIP/2.0/UDP a;branch=z9hG4bK1'],
      ['Via', 'SIP/2.0/UDP b;branch=z9hG4bK2'],
      ['Allow', 'INVITE, ACK, BYE'],
      ['Route', '<sip:p1;lr>'],
      ['Route', '<sip:p2;lr>'],
      ['Supported', ''],
    ]);
  });
});

describe('SipStreamParser', () => {
  const one = (body = ''): Buffer =>
    msg('MESSAGE sip:a@b SIP/2.0', 'Via: SIP/2.0/TCP h;branch=z9hG4bK1', 'From: <sip:a@b>;tag=1', 'To: <sip:a@b>', 'Call-ID: s', 'CSeq: 1 MESSAGE', `Content-Length: ${Buffer.byteLength(body)}`, '', body);

  it('frames messages split across chunks byte by byte', () => {
    const p = new SipStreamParser();
    const data = one('hello world');
    const items = [];
    for (let i = 0; i < data.length; i++) items.push(...p.push(data.subarray(i, i + 1)));
    expect(items).toHaveLength(1);
    expect(items[0].kind).toBe('message');
    expect(items[0].kind === 'message' && items[0].message.bodyText).toBe('hello world');
    expect(p.pending).toBe(0);
  });

  it('frames several messages in one chunk, with keep-alive pings between them', () => {
    const p = new SipStreamParser();
    const items = p.push(Buffer.concat([one('a'), Buffer.from('\r\n\r\n'), one('bb'), one(''), Buffer.from('\r\n')]));
    expect(items.map((i) => i.kind)).toEqual(['message', 'ping', 'message', 'message']);
    expect(items.map((i) => (i.kind === 'message' ? i.message.bodyText : '-'))).toEqual(['a', '-', 'bb', '']);
  });

  it('reports a message without Content-Length and goes on with the next', () => {
    const p = new SipStreamParser();
    const missing = msg('OPTIONS sip:a@b SIP/2.0', 'Via: SIP/2.0/TCP h;branch=z9hG4bK1', 'From: <sip:a@b>;tag=1', 'To: <sip:a@b>', 'Call-ID: s', 'CSeq: 1 OPTIONS', '', '');
    const items = p.push(Buffer.concat([missing, one('x')]));
    expect(items[0]).toMatchObject({ kind: 'error', fatal: false });
    expect(items[0].kind === 'error' && items[0].error.reason).toBe('missing Content-Length');
    expect(items[1].kind).toBe('message');
  });

  it('gives up on a stream it cannot frame: endless headers (513) or an impossible Content-Length', () => {
    const p = new SipStreamParser(2048);
    const items = p.push(Buffer.from(`INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nX: ${'y'.repeat(3000)}`));
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ kind: 'error', fatal: true });
    expect(items[0].kind === 'error' && items[0].error.status).toBe(513);
    expect(items[0].kind === 'error' && items[0].error.salvage?.headers.get('Via')).toBe('SIP/2.0/TCP h;branch=z9hG4bK1');
    expect(p.push(one('after'))).toEqual([]);

    const q = new SipStreamParser(2048);
    const bad = q.push(Buffer.from('INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nl: lots\r\n\r\n'));
    expect(bad[0]).toMatchObject({ kind: 'error', fatal: true });
    const huge = new SipStreamParser(2048).push(Buffer.from('INVITE sip:a@b SIP/2.0\r\nContent-Length: 99999\r\n\r\n'));
    expect(huge[0].kind === 'error' && huge[0].error.status).toBe(513);
  });
});
