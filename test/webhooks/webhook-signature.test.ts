// Signing and verifying webhook bodies, including a vector computed with openssl, tampering, stale
// timestamps, rotated secrets and malformed headers.
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhookSignature } from '../../src/webhooks/webhook-signature.js';

const SECRET = 'whsec_example_secret_value';
const BODY = '{"id":"whd_1","type":"call.ended"}';
const T = 1767225600;
// printf '%s' '1767225600.{"id":"whd_1","type":"call.ended"}' | openssl dgst -sha256 -hmac 'whsec_example_secret_value'
const OPENSSL_HEX = 'ecd41961963bf2595b5e3481aec2580189bab75d96db7d4ca09d56f5c1473097';

describe('webhook signatures', () => {
  it('signs as HMAC-SHA256 over "<t>.<body>", matching openssl', () => {
    expect(signWebhook(SECRET, T, BODY)).toBe(`t=${T},v1=${OPENSSL_HEX}`);
    expect(signWebhook(SECRET, T, Buffer.from(BODY))).toBe(`t=${T},v1=${OPENSSL_HEX}`);
  });

  it('verifies its own signature within the tolerance, either side of now', () => {
    const header = signWebhook(SECRET, T, BODY);
    expect(verifyWebhookSignature(SECRET, header, BODY, T)).toBe(true);
    expect(verifyWebhookSignature(SECRET, header, Buffer.from(BODY), T + 300)).toBe(true);
    expect(verifyWebhookSignature(SECRET, header, BODY, T - 300)).toBe(true);
    expect(verifyWebhookSignature(SECRET, header, BODY, T + 301)).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, BODY, T - 301)).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, BODY, T + 3600, 3600)).toBe(true);
  });

  it('refuses another body, another secret, or a re-serialised body', () => {
    const header = signWebhook(SECRET, T, BODY);
    expect(verifyWebhookSignature(SECRET, header, BODY.replace('ended', 'started'), T)).toBe(false);
    expect(verifyWebhookSignature('another_secret_value', header, BODY, T)).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, JSON.stringify(JSON.parse(BODY), null, 2), T)).toBe(false);
    // The timestamp is signed too: moving it breaks the signature.
    expect(verifyWebhookSignature(SECRET, header.replace(`t=${T}`, `t=${T + 1}`), BODY, T)).toBe(false);
  });

  it('accepts any of several v1 signatures (secret rotation)', () => {
    const old = signWebhook('the_old_secret_value', T, BODY).split(',')[1];
    const current = signWebhook(SECRET, T, BODY).split(',')[1];
    expect(verifyWebhookSignature(SECRET, `t=${T},${old},${current}`, BODY, T)).toBe(true);
    expect(verifyWebhookSignature(SECRET, `t=${T}, ${current.toUpperCase()}`.replace('V1', 'v1'), BODY, T)).toBe(true);
    expect(verifyWebhookSignature(SECRET, `t=${T},${old}`, BODY, T)).toBe(false);
  });

  it('treats missing or malformed headers as unsigned', () => {
    for (const header of [undefined, null, '', 'garbage', `t=${T}`, `v1=${OPENSSL_HEX}`, `t=abc,v1=${OPENSSL_HEX}`, `t=${T},v1=${OPENSSL_HEX.slice(2)}`, `t=${T},v0=${OPENSSL_HEX}`]) {
      expect(verifyWebhookSignature(SECRET, header, BODY, T)).toBe(false);
    }
    expect(verifyWebhookSignature('', `t=${T},v1=${OPENSSL_HEX}`, BODY, T)).toBe(false);
  });

  it('refuses to sign with an empty secret or a fractional timestamp', () => {
    expect(() => signWebhook('', T, BODY)).toThrow(/secret/);
    expect(() => signWebhook(SECRET, T + 0.5, BODY)).toThrow(/unix seconds/);
  });
});
