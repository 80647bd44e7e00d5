// Runs a call's TwiML the way Twilio does, verb by verb: fetches it from the call's URL (a signed
// webhook) or takes it inline, connects `<Connect><Stream>` to a media stream and waits for it to
// end, records `<Say>`, `<Play>` and `<Dial>`, and ends the call at `<Hangup>` or the document's end.
// Problems become the debugger notices Twilio would log (11200, 12100, 31920).
import { TwilioMediaStreamClient } from './media-stream-client.js';
import { childElements, parseXml, textOf, type XmlElement } from './twiml-parser.js';
import type { SimTwilioCall, TwilioSim } from './twilio-sim.js';
import { sendWebhook } from './webhook-request.js';

export type TwimlSource = { url: string; method: 'GET' | 'POST' } | { twiml: string };

/** Runs `source` for `call` until it ends or the call's generation moves on (new TwiML, hang-up). */
export async function runTwiml(sim: TwilioSim, call: SimTwilioCall, source: TwimlSource, generation: number): Promise<void> {
  const current = () => call.generation === generation && call.isLive;
  let xml: string;
  if ('url' in source) {
    const res = await sendWebhook(source.url, call.webhookParams(), sim.authToken, source.method);
    if (!current()) return;
    if ('error' in res) return fail(sim, call, `11200 HTTP retrieval failure: ${res.error}`);
    if (res.status >= 400) return fail(sim, call, `11200 HTTP retrieval failure: HTTP ${res.status} ${res.body.slice(0, 200)}`);
    xml = res.body;
  } else {
    xml = source.twiml;
  }
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (err) {
    return fail(sim, call, `12100 Document parse failure: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (root.name !== 'Response') return fail(sim, call, `12100 Document parse failure: the root element is <${root.name}>, not <Response>`);
  for (const verb of childElements(root)) {
    if (!current()) return;
    switch (verb.name) {
      case 'Say':
        call.said.push(textOf(verb));
        break;
      case 'Play':
        call.played.push(verb.attributes.digits !== undefined ? `digits:${verb.attributes.digits}` : textOf(verb));
        break;
      case 'Pause':
        break;
      case 'Hangup':
        return sim.end(call, 'completed');
      case 'Reject':
        return sim.end(call, 'busy');
      case 'Dial':
        // The caller is bridged to the target: the call stays in progress until it is ended.
        call.dialed.push(dialTarget(verb));
        sim.changed();
        return;
      case 'Redirect': {
        const base = 'url' in source ? source.url : undefined;
        const method = verb.attributes.method?.toUpperCase() === 'GET' ? 'GET' : 'POST';
        return runTwiml(sim, call, { url: new URL(textOf(verb), base).toString(), method }, generation);
      }
      case 'Connect':
        await connectStream(sim, call, verb);
        break;
      default:
        call.errors.push(`12200 Schema validation warning: <${verb.name}> is not simulated; skipped`);
    }
  }
  if (current()) sim.end(call, 'completed');
}

function fail(sim: TwilioSim, call: SimTwilioCall, notice: string): void {
  call.errors.push(notice);
  sim.end(call, 'completed');
}

function dialTarget(verb: XmlElement): { target: string; kind: 'number' | 'sip' | 'client'; answerOnBridge: boolean } {
  const answerOnBridge = verb.attributes.answerOnBridge === 'true';
  const noun = childElements(verb).find((e) => e.name === 'Number' || e.name === 'Sip' || e.name === 'Client');
  if (!noun) return { target: textOf(verb), kind: 'number', answerOnBridge };
  return { target: textOf(noun), kind: noun.name === 'Sip' ? 'sip' : noun.name === 'Client' ? 'client' : 'number', answerOnBridge };
}

/** `<Connect><Stream>`: blocks until the stream ends (the application closes it, or the call ends). */
async function connectStream(sim: TwilioSim, call: SimTwilioCall, verb: XmlElement): Promise<void> {
  const stream = childElements(verb).find((e) => e.name === 'Stream');
  const url = stream?.attributes.url;
  if (!stream || !url) {
    call.errors.push('12200 Schema validation warning: <Connect> without <Stream url>');
    return;
  }
  const customParameters: Record<string, string> = {};
  for (const p of childElements(stream)) {
    if (p.name === 'Parameter' && p.attributes.name !== undefined) customParameters[p.attributes.name] = p.attributes.value ?? '';
  }
  const client = new TwilioMediaStreamClient({ url, authToken: sim.authToken, clock: sim.clock, accountSid: call.accountSid, callSid: call.sid, customParameters });
  call.streams.push(client);
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // The URL is recorded as given.
  }
  const connection = sim.control.opened('twilio', 'ws', path, null);
  try {
    await client.connect();
  } catch (err) {
    call.errors.push(`31920 Stream - WebSocket - Handshake Error: ${err instanceof Error ? err.message : String(err)}`);
    sim.control.closed(connection, 'server');
    sim.changed();
    return;
  }
  sim.changed();
  const close = await client.closed;
  // Recorded as everywhere in the simulators: `client` is Parley's side, `server` the simulator's.
  sim.control.closed(connection, close.by === 'client' ? 'server' : 'client');
  sim.changed();
}
