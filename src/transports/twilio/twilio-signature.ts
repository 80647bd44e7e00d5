// Twilio signs each webhook and the Media Streams WebSocket upgrade with X-Twilio-Signature:
// base64(HMAC-SHA1(auth token, URL + every POST parameter name and value)), parameters taken in
// name order. The URL is the one Twilio requested, exactly as configured, so the check tries it as
// built, without its port and with the scheme's default port: proxies and Twilio disagree on that.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Form parameters as posted; a name posted more than once holds every value. */
export type FormParams = Record<string, string | string[]>;

/** The signature Twilio sends for `url` and `params` (POST parameters; none for GET and the upgrade). */
export function twilioSignature(authToken: string, url: string, params: FormParams = {}): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name];
    // A repeated name contributes each distinct value once, values in order (as Twilio's SDKs do).
    const values = Array.isArray(value) ? [...new Set(value)].sort() : [value];
    for (const v of values) data += name + v;
  }
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/** Whether `signature` is Twilio's for `url` (or any of `urls`) and `params`. Constant-time per candidate. */
export function isValidTwilioSignature(authToken: string, signature: string | undefined, urls: string | readonly string[], params: FormParams = {}): boolean {
  if (!signature) return false;
  const given = Buffer.from(signature, 'utf8');
  const candidates = new Set((typeof urls === 'string' ? [urls] : urls).flatMap(portVariants));
  for (const url of candidates) {
    const expected = Buffer.from(twilioSignature(authToken, url, params), 'utf8');
    if (expected.length === given.length && timingSafeEqual(expected, given)) return true;
  }
  return false;
}

const DEFAULT_PORTS: Record<string, string> = { http: '80', ws: '80', https: '443', wss: '443' };

/** The URL as given, without an explicit port, and with the scheme's default port; no other normalisation. */
function portVariants(url: string): string[] {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/is.exec(url);
  if (!m) return [url];
  const [, scheme, authority, rest] = m;
  // A colon after the closing bracket of an IPv6 literal starts the port.
  const hostEnd = authority.lastIndexOf(']') + 1;
  const colon = authority.indexOf(':', hostEnd);
  const host = colon < 0 ? authority : authority.slice(0, colon);
  const variants = [url, `${scheme}://${host}${rest}`];
  const port = DEFAULT_PORTS[scheme.toLowerCase()];
  if (port) variants.push(`${scheme}://${host}:${port}${rest}`);
  return variants;
}

/** Parses an application/x-www-form-urlencoded body, keeping every value of a repeated name. */
export function parseForm(body: string): FormParams {
  const out: FormParams = {};
  for (const [name, value] of new URLSearchParams(body)) {
    const had = out[name];
    if (had === undefined) out[name] = value;
    else if (Array.isArray(had)) had.push(value);
    else out[name] = [had, value];
  }
  return out;
}

/** The first value of a form parameter. */
export function formValue(params: FormParams, name: string): string | undefined {
  const v = params[name];
  return Array.isArray(v) ? v[0] : v;
}
