// Twilio's Calls REST API on its own paths (/2010-04-01/Accounts/{AccountSid}/Calls…): create a
// call, update a live one (hang up, cancel, new TwiML or URL) and fetch one. Form-encoded bodies,
// HTTP Basic auth with the account SID and auth token, errors in Twilio's JSON shape.
import type { ServerResponse } from 'node:http';
import { sendJson, type HttpContext, type SimErrorResponse, type SimRoute } from '../sim-server.js';
import { callResource } from './twilio-call-resource.js';
import { isBasicAuthorized, twilioError, twilioStatusError } from './twilio-errors.js';
import { twilioSim, type TwilioSim } from './twilio-sim.js';
import type { TwimlSource } from './twiml-runner.js';

const CALLS_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls(?:\/([^/]+))?\.json$/;

export function twilioRoutes(): SimRoute[] {
  return [
    {
      vendor: 'twilio',
      match: (path, method, isUpgrade) => !isUpgrade && CALLS_PATH.test(path) && (method === 'GET' || method === 'POST'),
      errorResponse: twilioStatusError,
      authorize(req, url, control): { refusal: SimErrorResponse } | { protocol?: string } {
        const sim = twilioSim(control);
        const account = CALLS_PATH.exec(url.pathname)?.[1];
        if (account !== sim.accountSid || !isBasicAuthorized(req, sim.accountSid, sim.authToken)) return { refusal: twilioStatusError(401, 'Authenticate') };
        return {};
      },
      http: handleCalls,
    },
  ];
}

async function handleCalls(ctx: HttpContext): Promise<void> {
  const sim = twilioSim(ctx.control);
  const sid = CALLS_PATH.exec(ctx.url.pathname)?.[2];
  const method = ctx.req.method ?? 'GET';
  const form = method === 'POST' ? new URLSearchParams((await ctx.body()).toString('utf8')) : new URLSearchParams();
  if (sid === undefined) {
    if (method !== 'POST') return refuse(ctx.res, twilioError(405, 20004, 'Method not allowed'));
    return createCall(ctx.res, sim, form);
  }
  const call = sim.calls.get(sid);
  if (!call) return refuse(ctx.res, twilioError(404, 20404, `The requested resource ${ctx.url.pathname} was not found`));
  if (method === 'GET') return sendJson(ctx.res, 200, callResource(call));

  const status = form.get('Status');
  const twiml = form.get('Twiml');
  const url = form.get('Url');
  if (status !== null) {
    if (status !== 'completed' && status !== 'canceled') return refuse(ctx.res, twilioError(400, 20001, `Status must be 'completed' or 'canceled', got '${status}'`));
    if (!call.isLive) return refuse(ctx.res, twilioError(400, 21220, 'Call is not in-progress. Cannot redirect.'));
    // `canceled` only stops a call that has not been answered; `completed` ends any live call.
    if (call.status !== 'in-progress') sim.end(call, 'canceled');
    else if (status === 'completed') sim.end(call, 'completed');
    return sendJson(ctx.res, 200, callResource(call));
  }
  if (twiml === null && url === null) return refuse(ctx.res, twilioError(400, 20001, 'Nothing to update: pass Status, Twiml or Url'));
  if (call.status !== 'in-progress') return refuse(ctx.res, twilioError(400, 21220, 'Call is not in-progress. Cannot redirect.'));
  let source: TwimlSource;
  if (twiml !== null) source = { twiml };
  else if (isHttpUrl(url!)) source = { url: url!, method: form.get('Method')?.toUpperCase() === 'GET' ? 'GET' : 'POST' };
  else return refuse(ctx.res, twilioError(400, 21205, `Url is not a valid URL: ${url}`));
  sim.redirect(call, source);
  return sendJson(ctx.res, 200, callResource(call));
}

function createCall(res: ServerResponse, sim: TwilioSim, form: URLSearchParams): void {
  const to = form.get('To');
  const from = form.get('From');
  const url = form.get('Url');
  const twiml = form.get('Twiml');
  const statusCallback = form.get('StatusCallback');
  if (!to) return refuse(res, twilioError(400, 21201, "No 'To' number is specified"));
  if (!from) return refuse(res, twilioError(400, 21213, "No 'From' number is specified"));
  if (url === null && twiml === null) return refuse(res, twilioError(400, 21205, 'Url parameter is required: pass Url, Twiml or ApplicationSid'));
  if (url !== null && !isHttpUrl(url)) return refuse(res, twilioError(400, 21205, `Url is not a valid URL: ${url}`));
  if (statusCallback !== null && !isHttpUrl(statusCallback)) return refuse(res, twilioError(400, 21609, `StatusCallback is not a valid URL: ${statusCallback}`));
  const timeout = form.get('Timeout');
  if (timeout !== null && !/^\d+$/.test(timeout)) return refuse(res, twilioError(400, 20001, `Timeout must be a whole number of seconds, got '${timeout}'`));
  const method = form.get('Method')?.toUpperCase() === 'GET' ? 'GET' : 'POST';
  const call = sim.placeCall({ to, from, url: url ?? undefined, method, twiml: twiml ?? undefined, statusCallback: statusCallback ?? undefined });
  sendJson(res, 201, callResource(call));
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

function refuse(res: ServerResponse, refusal: SimErrorResponse): void {
  res.writeHead(refusal.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(refusal.body), ...refusal.headers });
  res.end(refusal.body);
}
