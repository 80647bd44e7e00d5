// X-Twilio-Signature against Twilio's own SDK, both ways: what the SDK signs we accept, what we
// sign the SDK accepts, and any change to URL, parameters or signature is refused.
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { isValidTwilioSignature, parseForm, twilioSignature, type FormParams } from '../../../src/transports/twilio/twilio-signature.js';

const TOKEN = '12345678901234567890123456789012';
const URL_ = 'https://parley.example.com/twilio/voice?agent=receptionist&parley_call_id=c-1';
const PARAMS: Record<string, string> = {
  CallSid: 'CA1234567890abcdef1234567890abcdef',
  AccountSid: 'AC1234567890abcdef1234567890abcdef',
  From: '+15551230000',
  To: '+15559870000',
  Direction: 'inbound',
  CallerName: 'Zoë & Co <ops>',
  Digits: '',
};

describe('Twilio request signatures', () => {
  it('computes the signature the official SDK computes, for webhooks and bare URLs', () => {
    expect(twilioSignature(TOKEN, URL_, PARAMS)).toBe(twilio.getExpectedTwilioSignature(TOKEN, URL_, PARAMS));
    expect(twilioSignature(TOKEN, 'wss://parley.example.com/twilio/media')).toBe(twilio.getExpectedTwilioSignature(TOKEN, 'wss://parley.example.com/twilio/media', {}));
    const repeated = { b: ['2', '1', '2'], a: 'x' };
    expect(twilioSignature(TOKEN, URL_, repeated)).toBe(twilio.getExpectedTwilioSignature(TOKEN, URL_, repeated));
  });

  it('accepts what the SDK signs, and the SDK accepts what Parley signs', () => {
    const sdkSigned = twilio.getExpectedTwilioSignature(TOKEN, URL_, PARAMS);
    expect(isValidTwilioSignature(TOKEN, sdkSigned, URL_, PARAMS)).toBe(true);
    expect(twilio.validateRequest(TOKEN, twilioSignature(TOKEN, URL_, PARAMS), URL_, PARAMS)).toBe(true);
  });

  it('refuses a changed parameter, URL, token or signature, and a missing one', () => {
    const sig = twilio.getExpectedTwilioSignature(TOKEN, URL_, PARAMS);
    expect(isValidTwilioSignature(TOKEN, sig, URL_, { ...PARAMS, To: '+15550000000' })).toBe(false);
    expect(isValidTwilioSignature(TOKEN, sig, URL_, { ...PARAMS, Extra: '1' })).toBe(false);
    expect(isValidTwilioSignature(TOKEN, sig, URL_.replace('receptionist', 'admin'), PARAMS)).toBe(false);
    expect(isValidTwilioSignature(TOKEN, sig, URL_.replace('https:', 'http:'), PARAMS)).toBe(false);
    expect(isValidTwilioSignature(`${TOKEN.slice(1)}x`, sig, URL_, PARAMS)).toBe(false);
    const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    expect(isValidTwilioSignature(TOKEN, flipped, URL_, PARAMS)).toBe(false);
    expect(isValidTwilioSignature(TOKEN, `${sig}=`, URL_, PARAMS)).toBe(false);
    expect(isValidTwilioSignature(TOKEN, undefined, URL_, PARAMS)).toBe(false);
    expect(isValidTwilioSignature(TOKEN, '', URL_, PARAMS)).toBe(false);
  });

  it('matches with or without the default port, as Twilio and proxies disagree on it', () => {
    const withPort = 'https://parley.example.com:443/twilio/voice';
    const without = 'https://parley.example.com/twilio/voice';
    expect(isValidTwilioSignature(TOKEN, twilio.getExpectedTwilioSignature(TOKEN, without, PARAMS), withPort, PARAMS)).toBe(true);
    expect(isValidTwilioSignature(TOKEN, twilio.getExpectedTwilioSignature(TOKEN, withPort, PARAMS), without, PARAMS)).toBe(true);
    const wss = 'wss://parley.example.com/twilio/media';
    expect(isValidTwilioSignature(TOKEN, twilio.getExpectedTwilioSignature(TOKEN, 'wss://parley.example.com:443/twilio/media', {}), wss, {})).toBe(true);
    // Another port is another URL.
    expect(isValidTwilioSignature(TOKEN, twilio.getExpectedTwilioSignature(TOKEN, 'https://parley.example.com:8443/twilio/voice', PARAMS), without, PARAMS)).toBe(false);
  });

  it('tries every candidate URL given', () => {
    const sig = twilio.getExpectedTwilioSignature(TOKEN, 'https://h.example/twilio/media', {});
    expect(isValidTwilioSignature(TOKEN, sig, ['wss://h.example/twilio/media', 'https://h.example/twilio/media'], {})).toBe(true);
    expect(isValidTwilioSignature(TOKEN, sig, ['wss://h.example/twilio/media'], {})).toBe(false);
  });

  it('parses form bodies keeping repeated names, decoding + and percent escapes', () => {
    const form: FormParams = parseForm('To=%2B15551230000&Name=Zo%C3%AB+Smith&x=1&x=2&empty=');
    expect(form).toEqual({ To: '+15551230000', Name: 'Zoë Smith', x: ['1', '2'], empty: '' });
    expect(twilioSignature(TOKEN, URL_, form)).toBe(twilio.getExpectedTwilioSignature(TOKEN, URL_, form));
  });
});
