// How a webhook body is signed, and how a receiver checks it: `Parley-Signature: t=<unix s>,v1=<hex>`
// where the hex is HMAC-SHA256(secret, "<t>.<raw body>"). Several v1 values may appear (one per
// secret while a secret is rotated); any match is enough.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Parley-Signature';
/** Receivers should refuse signatures older (or newer) than this, against replayed requests. */
export const DEFAULT_SIGNATURE_TOLERANCE_SEC = 300;

function hmacHex(secret: string, timestampSec: number, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${timestampSec}.`).update(body).digest('hex');
}

/** The Parley-Signature header value for `body` sent at `timestampSec` (whole unix seconds). */
export function signWebhook(secret: string, timestampSec: number, body: string | Uint8Array): string {
  if (!secret) throw new Error('webhook secret must not be empty');
  if (!Number.isSafeInteger(timestampSec) || timestampSec < 0) throw new Error(`timestamp must be whole unix seconds, got ${timestampSec}`);
  return `t=${timestampSec},v1=${hmacHex(secret, timestampSec, body)}`;
}

type ParsedSignature = { timestampSec: number; signatures: string[] };

function parseSignatureHeader(header: string): ParsedSignature | null {
  let timestampSec: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,15}$/.test(value)) timestampSec = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(value.toLowerCase());
  }
  return timestampSec === null || signatures.length === 0 ? null : { timestampSec, signatures };
}

/**
 * True when `header` carries a v1 signature of exactly these body bytes under `secret`, made within
 * `toleranceSec` of `nowSec`. Pass the raw body as received: re-serialised JSON will not match.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined | null,
  body: string | Uint8Array,
  nowSec: number,
  toleranceSec = DEFAULT_SIGNATURE_TOLERANCE_SEC,
): boolean {
  if (!secret || !header) return false;
  const parsed = parseSignatureHeader(header);
  if (!parsed || Math.abs(nowSec - parsed.timestampSec) > toleranceSec) return false;
  const expected = Buffer.from(hmacHex(secret, parsed.timestampSec, body), 'hex');
  let matched = false;
  // Compare every candidate (no early exit), each in constant time.
  for (const candidate of parsed.signatures) {
    if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) matched = true;
  }
  return matched;
}
