// The TwiML Parley answers with, read back by an XML parser and compared with what Twilio's SDK
// builds for the same call, so escaping and structure are what Twilio parses.
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { connectStreamTwiml, dialTwiml, escapeXml } from '../../../src/transports/twilio/twiml.js';
import { childElements, parseXml } from '../../../sim/twilio/twiml-parser.js';

describe('TwiML', () => {
  it('connects a stream with its parameters, escaped, as the SDK would write it', () => {
    const params = { callSid: 'CA1', from: '+1555', agent: 'Tom & "Jerry" <x>', note: "it's" };
    const ours = parseXml(connectStreamTwiml('wss://h.example/twilio/media?a=1&b=2', params));
    const sdk = new twilio.twiml.VoiceResponse();
    const stream = sdk.connect().stream({ url: 'wss://h.example/twilio/media?a=1&b=2' });
    for (const [name, value] of Object.entries(params)) stream.parameter({ name, value });
    expect(ours).toEqual(parseXml(sdk.toString()));
    const streamEl = childElements(childElements(ours)[0])[0];
    expect(streamEl.attributes.url).toBe('wss://h.example/twilio/media?a=1&b=2');
    expect(childElements(streamEl).map((p) => [p.attributes.name, p.attributes.value])).toEqual(Object.entries(params));
  });

  it('dials numbers and SIP URIs, warm with answerOnBridge', () => {
    expect(parseXml(dialTwiml('+15551234567', 'blind'))).toEqual(parseXml(sdkDial('+15551234567', false)));
    expect(parseXml(dialTwiml('+15551234567', 'warm'))).toEqual(parseXml(sdkDial('+15551234567', true)));
    const sip = parseXml(dialTwiml('sip:alice@pbx.example.com;transport=tcp', 'blind'));
    const dial = childElements(sip)[0];
    expect(dial.name).toBe('Dial');
    expect(childElements(dial)[0]).toEqual({ name: 'Sip', attributes: {}, children: [{ text: 'sip:alice@pbx.example.com;transport=tcp' }] });
  });

  it('refuses a transfer target that is neither a number nor a SIP URI', () => {
    expect(() => dialTwiml('</Dial><Hangup/>', 'blind')).toThrow(/not a phone number/);
    expect(() => dialTwiml('', 'blind')).toThrow(/not a phone number/);
    expect(() => dialTwiml('http://evil.example', 'warm')).toThrow(/not a phone number/);
  });

  it('escapes the five XML specials', () => {
    expect(escapeXml(`a&b<c>d"e'f`)).toBe('a&amp;b&lt;c&gt;d&quot;e&apos;f');
  });
});

function sdkDial(number: string, answerOnBridge: boolean): string {
  const r = new twilio.twiml.VoiceResponse();
  if (answerOnBridge) r.dial({ answerOnBridge: true }, number);
  else r.dial(number);
  return r.toString();
}
