// Twilio's requests to the customer's application: the voice URL (for the call's TwiML) and the
// status callback. Form-encoded, signed with X-Twilio-Signature under the account's auth token.
import { twilioSignature } from '../../src/transports/twilio/twilio-signature.js';

export type WebhookResult = { status: number; contentType: string; body: string } | { error: string };

/** POSTs `params` to `url` (or GETs with them in the query), signed as Twilio signs it. */
export async function sendWebhook(url: string, params: Record<string, string>, authToken: string, method: 'POST' | 'GET' = 'POST'): Promise<WebhookResult> {
  let target = url;
  let body: string | undefined;
  if (method === 'GET') {
    const u = new URL(url);
    for (const [name, value] of Object.entries(params)) u.searchParams.set(name, value);
    target = u.toString();
  } else {
    body = new URLSearchParams(params).toString();
  }
  const signature = twilioSignature(authToken, target, method === 'POST' ? params : {});
  try {
    const res = await fetch(target, {
      method,
      headers: {
        'x-twilio-signature': signature,
        'user-agent': 'TwilioProxy/1.1',
        accept: 'text/xml, application/xml, */*',
        ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body,
      signal: AbortSignal.timeout(15_000),
    });
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: await res.text() };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}
