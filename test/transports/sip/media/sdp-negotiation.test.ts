import { describe, expect, it } from 'vitest';
import { parse } from 'sdp-transform';
import {
  SdpNegotiationError,
  answerOffer,
  createOffer,
  readAnswer,
  type LocalMedia,
} from '../../../../src/transports/sip/media/sdp-negotiation.js';

const local: LocalMedia = { address: '198.51.100.7', port: 20000, sessionId: '4711', sessionVersion: 1 };

/** SDP bodies use CRLF on the wire. */
function sdp(lines: string[]): string {
  return lines.join('\r\n') + '\r\n';
}

// baresip 3.x: opus first, G.722, then G.711, telephone-event 101 with events 0-15.
const BARESIP = sdp([
  'v=0',
  'o=- 1827311502 4128370118 IN IP4 192.0.2.20',
  's=-',
  'c=IN IP4 192.0.2.20',
  't=0 0',
  'm=audio 10312 RTP/AVP 96 9 0 8 101',
  'b=AS:128',
  'a=rtpmap:96 opus/48000/2',
  'a=fmtp:96 stereo=1;sprop-stereo=1',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=rtcp-rsize',
  'a=sendrecv',
  'a=label:1',
  'a=ssrc:3170357547 cname:71d5f2a8-8a6c-4b1e-b4e2-1a6d9a2c8e11',
]);

// sipp's built-in uac scenario: one codec, no direction attribute, no telephone-event.
const SIPP = sdp([
  'v=0',
  'o=user1 53655765 2353687637 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 6000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
]);

// Asterisk (chan_pjsip) to a European trunk: PCMA only, telephone-event on 101.
const ASTERISK_PCMA = sdp([
  'v=0',
  'o=- 1670950893 1670950893 IN IP4 203.0.113.10',
  's=Asterisk',
  'c=IN IP4 203.0.113.10',
  't=0 0',
  'm=audio 14864 RTP/AVP 8 101',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=maxptime:150',
  'a=sendrecv',
]);

// A carrier (Twilio Elastic SIP Trunking style): PCMU + telephone-event 101.
const CARRIER = sdp([
  'v=0',
  'o=root 1375718361 1375718361 IN IP4 203.0.113.77',
  's=Twilio Media Gateway',
  'c=IN IP4 203.0.113.77',
  't=0 0',
  'm=audio 17404 RTP/AVP 0 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=maxptime:150',
  'a=sendrecv',
]);

// A video phone: video first, then audio with PCMA preferred and telephone-event on 96.
const VIDEO_AND_AUDIO = sdp([
  'v=0',
  'o=- 38990265062388 38990265062388 IN IP4 192.0.2.55',
  's=-',
  'c=IN IP4 192.0.2.55',
  't=0 0',
  'm=video 49170 RTP/AVP 99 34',
  'a=rtpmap:99 H264/90000',
  'a=fmtp:99 profile-level-id=42801F',
  'a=rtpmap:34 H263/90000',
  'm=audio 49172 RTP/AVP 8 0 96',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:96 telephone-event/8000',
  'a=fmtp:96 0-15',
  'a=ptime:30',
  'a=sendrecv',
]);

// Asterisk re-INVITE putting the call on hold (RFC 3264 style).
const HOLD_SENDONLY = sdp([
  'v=0',
  'o=- 1670950893 1670950894 IN IP4 203.0.113.10',
  's=Asterisk',
  'c=IN IP4 203.0.113.10',
  't=0 0',
  'm=audio 14864 RTP/AVP 0 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=sendonly',
]);

// An older phone holding the old way (RFC 2543): connection address 0.0.0.0.
const HOLD_ZERO_ADDRESS = sdp([
  'v=0',
  'o=Phone 1234 1235 IN IP4 192.0.2.31',
  's=Talk',
  'c=IN IP4 0.0.0.0',
  't=0 0',
  'm=audio 5004 RTP/AVP 0 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
]);

// Only wideband/compressed codecs: G.722, G.729, opus.
const NO_COMMON_CODEC = sdp([
  'v=0',
  'o=- 1 1 IN IP4 192.0.2.40',
  's=-',
  'c=IN IP4 192.0.2.40',
  't=0 0',
  'm=audio 30000 RTP/AVP 9 18 111',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:18 G729/8000',
  'a=fmtp:18 annexb=no',
  'a=rtpmap:111 opus/48000/2',
]);

function mLines(text: string): string[] {
  return text.split('\r\n').filter((l) => l.startsWith('m='));
}

describe('createOffer', () => {
  it('offers PCMU, PCMA and telephone-event 0-16 at ptime 20, sendrecv, on our address', () => {
    const offer = createOffer(local);
    expect(offer).toContain('\r\n');
    const lines = offer.split('\r\n');
    expect(lines[0]).toBe('v=0');
    expect(lines).toContain('o=parley 4711 1 IN IP4 198.51.100.7');
    expect(lines).toContain('c=IN IP4 198.51.100.7');
    expect(lines).toContain('m=audio 20000 RTP/AVP 0 8 101');
    expect(lines).toContain('a=rtpmap:0 PCMU/8000');
    expect(lines).toContain('a=rtpmap:8 PCMA/8000');
    expect(lines).toContain('a=rtpmap:101 telephone-event/8000');
    expect(lines).toContain('a=fmtp:101 0-16');
    expect(lines).toContain('a=ptime:20');
    expect(lines).toContain('a=sendrecv');
  });

  it('follows the codec preference and direction given', () => {
    const offer = createOffer({ ...local, codecs: ['PCMA'], direction: 'sendonly' });
    expect(mLines(offer)).toEqual(['m=audio 20000 RTP/AVP 8 101']);
    expect(offer).not.toContain('PCMU');
    expect(offer).toContain('a=sendonly');
  });

  it('refuses a local description that is wrong', () => {
    expect(() => createOffer({ ...local, address: 'not-an-ip' })).toThrow(TypeError);
    expect(() => createOffer({ ...local, port: 0 })).toThrow(RangeError);
    expect(() => createOffer({ ...local, sessionId: 'abc' })).toThrow(/session id/);
    expect(() => createOffer({ ...local, codecs: [] })).toThrow(/codec/);
  });

  it('is read back by our own readAnswer as if it were an answer', () => {
    const media = readAnswer(createOffer(local), ['PCMU', 'PCMA']);
    expect(media).toMatchObject({ remoteAddress: '198.51.100.7', remotePort: 20000, codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101 });
  });
});

describe('answerOffer', () => {
  it('takes G.711 from a baresip offer led by opus and G.722, keeping its telephone-event 101', () => {
    const { sdp: answer, media } = answerOffer(BARESIP, local);
    expect(media).toEqual({
      remoteAddress: '192.0.2.20',
      remotePort: 10312,
      codec: 'PCMU',
      payloadType: 0,
      dtmfPayloadType: 101,
      ptimeMs: 20,
      direction: 'sendrecv',
      remoteRtcpPort: 10313,
    });
    expect(mLines(answer)).toEqual(['m=audio 20000 RTP/AVP 0 101']);
    expect(answer).toContain('a=fmtp:101 0-15');
    expect(answer).toContain('a=sendrecv');
    expect(answer).toContain('c=IN IP4 198.51.100.7');
    expect(answer).not.toContain('opus');
  });

  it('answers sipp PCMU without telephone-event', () => {
    const { sdp: answer, media } = answerOffer(SIPP, local);
    expect(media).toMatchObject({ remoteAddress: '127.0.0.1', remotePort: 6000, codec: 'PCMU', payloadType: 0, dtmfPayloadType: null, direction: 'sendrecv' });
    expect(mLines(answer)).toEqual(['m=audio 20000 RTP/AVP 0']);
    expect(answer).not.toContain('telephone-event');
  });

  it('answers a PCMA-only Asterisk offer with PCMA', () => {
    const { sdp: answer, media } = answerOffer(ASTERISK_PCMA, local);
    expect(media).toMatchObject({ codec: 'PCMA', payloadType: 8, dtmfPayloadType: 101, remotePort: 14864 });
    expect(mLines(answer)).toEqual(['m=audio 20000 RTP/AVP 8 101']);
    expect(answer).toContain('a=rtpmap:8 PCMA/8000');
  });

  it('answers a carrier PCMU + telephone-event offer', () => {
    const { media } = answerOffer(CARRIER, local);
    expect(media).toMatchObject({ remoteAddress: '203.0.113.77', remotePort: 17404, codec: 'PCMU', dtmfPayloadType: 101, direction: 'sendrecv' });
  });

  it('picks the first offered codec we support even when our preference differs', () => {
    const { media } = answerOffer(VIDEO_AND_AUDIO, { ...local, codecs: ['PCMU', 'PCMA'] });
    expect(media.codec).toBe('PCMA');
    // unless we do not take it at all
    expect(answerOffer(VIDEO_AND_AUDIO, { ...local, codecs: ['PCMU'] }).media.codec).toBe('PCMU');
  });

  it('rejects video with port 0 and keeps the m-lines in count and order', () => {
    const { sdp: answer, media } = answerOffer(VIDEO_AND_AUDIO, local);
    expect(mLines(answer)).toEqual(['m=video 0 RTP/AVP 99 34', 'm=audio 20000 RTP/AVP 8 96']);
    expect(media).toMatchObject({ remotePort: 49172, dtmfPayloadType: 96, ptimeMs: 30 });
    const parsed = parse(answer);
    expect(parsed.media[0].rtp).toEqual([]);
    expect(parsed.media[1].direction).toBe('sendrecv');
  });

  it('answers a sendonly hold with recvonly', () => {
    const { sdp: answer, media } = answerOffer(HOLD_SENDONLY, local);
    expect(media.direction).toBe('recvonly');
    expect(answer).toContain('a=recvonly');
  });

  it('takes c=0.0.0.0 as a hold: we only receive', () => {
    const { sdp: answer, media } = answerOffer(HOLD_ZERO_ADDRESS, local);
    expect(media.direction).toBe('recvonly');
    expect(media.remoteAddress).toBe('0.0.0.0');
    expect(answer).toContain('a=recvonly');
  });

  it('answers inactive with inactive, recvonly with sendonly', () => {
    expect(answerOffer(HOLD_SENDONLY.replace('a=sendonly', 'a=inactive'), local).media.direction).toBe('inactive');
    expect(answerOffer(HOLD_SENDONLY.replace('a=sendonly', 'a=recvonly'), local).media.direction).toBe('sendonly');
    // a session-level direction applies to the stream when it has none of its own
    const sessionLevel = SIPP.replace('t=0 0\r\n', 't=0 0\r\na=sendonly\r\n');
    expect(answerOffer(sessionLevel, local).media.direction).toBe('recvonly');
  });

  it('narrows the direction by our own', () => {
    expect(answerOffer(CARRIER, { ...local, direction: 'recvonly' }).media.direction).toBe('recvonly');
    expect(answerOffer(HOLD_SENDONLY, { ...local, direction: 'sendonly' }).media.direction).toBe('inactive');
  });

  it('refuses an offer with no common codec with 488', () => {
    const err = catchError(() => answerOffer(NO_COMMON_CODEC, local));
    expect(err).toBeInstanceOf(SdpNegotiationError);
    expect(err.status).toBe(488);
    expect(err.message).toMatch(/no common codec.*G722\/8000.*G729\/8000/);
  });

  it('refuses video-only, SRTP-only and disabled audio with 488', () => {
    const videoOnly = sdp(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'm=video 5000 RTP/AVP 99', 'a=rtpmap:99 H264/90000']);
    const srtp = CARRIER.replace('RTP/AVP', 'RTP/SAVP');
    const disabled = CARRIER.replace('m=audio 17404', 'm=audio 0');
    for (const offer of [videoOnly, srtp, disabled]) {
      const err = catchError(() => answerOffer(offer, local));
      expect(err.status).toBe(488);
    }
    expect(catchError(() => answerOffer(srtp, local)).message).toMatch(/SAVP/);
  });

  it('refuses garbage with 400', () => {
    for (const garbage of ['', 'hello world', 'INVITE sip:bob@example.com SIP/2.0', '{"sdp": true}']) {
      const err = catchError(() => answerOffer(garbage, local));
      expect(err).toBeInstanceOf(SdpNegotiationError);
      expect(err.status).toBe(400);
    }
    const badPort = CARRIER.replace('m=audio 17404', 'm=audio abc');
    expect(catchError(() => answerOffer(badPort, local)).status).toBe(400);
    const noConnection = CARRIER.replace('c=IN IP4 203.0.113.77\r\n', '');
    expect(catchError(() => answerOffer(noConnection, local)).status).toBe(400);
  });

  it('uses a stream-level c= over the session-level one and reads a=rtcp', () => {
    const offer = CARRIER.replace('a=ptime:20', 'c=IN IP4 203.0.113.99\r\na=rtcp:17500\r\na=ptime:20');
    expect(answerOffer(offer, local).media).toMatchObject({ remoteAddress: '203.0.113.99', remoteRtcpPort: 17500 });
  });
});

describe('readAnswer', () => {
  it('reads the codec, telephone-event and address of a carrier answer', () => {
    expect(readAnswer(CARRIER, ['PCMU', 'PCMA'])).toEqual({
      remoteAddress: '203.0.113.77',
      remotePort: 17404,
      codec: 'PCMU',
      payloadType: 0,
      dtmfPayloadType: 101,
      ptimeMs: 20,
      direction: 'sendrecv',
      remoteRtcpPort: 17405,
    });
  });

  it('turns the answerer direction around', () => {
    expect(readAnswer(HOLD_SENDONLY, ['PCMU']).direction).toBe('recvonly');
    expect(readAnswer(HOLD_SENDONLY.replace('a=sendonly', 'a=recvonly'), ['PCMU']).direction).toBe('sendonly');
  });

  it('refuses an answer with a codec we did not offer, a rejected stream or garbage', () => {
    expect(catchError(() => readAnswer(ASTERISK_PCMA, ['PCMU'])).status).toBe(488);
    expect(catchError(() => readAnswer(CARRIER.replace('m=audio 17404', 'm=audio 0'), ['PCMU'])).status).toBe(488);
    expect(catchError(() => readAnswer('SIP/2.0 200 OK', ['PCMU'])).status).toBe(400);
  });
});

function catchError(fn: () => unknown): SdpNegotiationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SdpNegotiationError) return err;
    throw err;
  }
  throw new Error('expected an SdpNegotiationError');
}
