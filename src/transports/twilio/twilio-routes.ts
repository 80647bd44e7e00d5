// Twilio's two ways in: the voice webhook (POST /twilio/voice), answered with TwiML that connects
// the call to a bidirectional media stream, and that stream's WebSocket (GET /twilio/media). With
// an auth token both check X-Twilio-Signature, so only Twilio (for this account) gets a call.
import fastifyWebsocket from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { PhoneCallAcceptor } from '../phone/phone-leg.js';
import { TwilioMediaStream } from './twilio-media-stream.js';
import type { TwilioRestClient } from './twilio-rest.js';
import { formValue, isValidTwilioSignature, parseForm, type FormParams } from './twilio-signature.js';
import { connectStreamTwiml } from './twiml.js';

export interface TwilioRoutesDeps {
  acceptor: PhoneCallAcceptor;
  clock: Clock;
  log: Logger;
  /** TWILIO_AUTH_TOKEN. When set, the webhook and the media-stream upgrade must carry a valid X-Twilio-Signature. */
  authToken?: string;
  /**
   * The URL Twilio reaches this server at (PARLEY_PUBLIC_URL, e.g. https://parley.example.com, a
   * path prefix allowed): signatures are checked against it and the stream URL is built from it.
   * Default: from the request's Host / X-Forwarded-Host and X-Forwarded-Proto headers.
   */
  publicUrl?: string;
  /** For hang-up and transfer of Twilio calls. */
  rest?: TwilioRestClient;
  /** The agent a call gets when the webhook URL names none (`?agent=`). */
  defaultAgent?: string;
  /** A mark after this many agent frames (default 5). */
  markEveryFrames?: number;
}

export const TWILIO_VOICE_PATH = '/twilio/voice';
export const TWILIO_MEDIA_PATH = '/twilio/media';

/**
 * The Twilio routes as a Fastify plugin. Register it with `app.register(...)`: the form-body
 * parser it adds stays in its own scope. Uses the app's @fastify/websocket when registered.
 */
export function twilioRoutes(deps: TwilioRoutesDeps): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    const formBodies = new WeakSet<object>();
    if (!app.hasDecorator('websocketServer')) await app.register(fastifyWebsocket);
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      const form = parseForm(body as string);
      formBodies.add(form);
      done(null, form);
    });
    if (!deps.authToken) deps.log.warn({}, 'TWILIO_AUTH_TOKEN is not set: Twilio webhooks and media streams are accepted without a signature check');

    const voice = async (request: FastifyRequest, reply: FastifyReply, params: FormParams) => {
      const url = `${publicBase(request, deps.publicUrl)}${request.url}`;
      // Twilio signs POST parameters; a GET webhook carries them in the (signed) URL instead.
      const signedParams = request.method === 'POST' ? params : {};
      const refusal = signatureRefusal(deps.authToken, request.headers['x-twilio-signature'], [url], signedParams);
      if (refusal) {
        deps.log.warn({ url, reason: refusal }, 'Twilio webhook refused');
        return reply.code(403).type('text/plain; charset=utf-8').send(`Forbidden: ${refusal}`);
      }
      const callSid = formValue(params, 'CallSid');
      if (!callSid) return reply.code(400).type('text/plain; charset=utf-8').send('Bad Request: no CallSid (this URL is for Twilio voice webhooks)');
      const query = queryParams(request.url);
      const parameters: Record<string, string> = {
        callSid,
        from: formValue(params, 'From') ?? '',
        to: formValue(params, 'To') ?? '',
        direction: formValue(params, 'Direction') ?? 'inbound',
      };
      const agent = query.get('agent') ?? query.get('parley_agent') ?? deps.defaultAgent;
      if (agent) parameters.agent = agent;
      const tenant = query.get('tenant') ?? query.get('parley_tenant');
      if (tenant) parameters.tenant = tenant;
      for (const [name, value] of query) {
        if (name.startsWith('parley_') && name !== 'parley_agent' && name !== 'parley_tenant') parameters[name] = value;
      }
      const streamUrl = `${wsBase(publicBase(request, deps.publicUrl))}${TWILIO_MEDIA_PATH}`;
      deps.log.info({ call_sid: callSid, direction: parameters.direction, agent: parameters.agent }, 'Twilio call answered with a media stream');
      return reply.code(200).type('text/xml; charset=utf-8').send(connectStreamTwiml(streamUrl, parameters));
    };
    app.post(TWILIO_VOICE_PATH, (request, reply) => {
      // Only bodies this plugin's form parser read: Twilio never posts anything else.
      if (!formBodies.has(request.body as object)) {
        return reply.code(415).type('text/plain; charset=utf-8').send('Unsupported Media Type: Twilio webhooks are application/x-www-form-urlencoded');
      }
      return voice(request, reply, request.body as FormParams);
    });
    app.get(TWILIO_VOICE_PATH, (request, reply) => voice(request, reply, Object.fromEntries(queryParams(request.url))));

    app.get(
      TWILIO_MEDIA_PATH,
      {
        websocket: true,
        // Before the upgrade: a forged stream gets a plain 403 and never reaches an agent.
        preValidation: async (request, reply) => {
          const base = publicBase(request, deps.publicUrl);
          // ASSUMPTION: Twilio signs the wss:// URL it connects to, with no parameters; the
          // https:// spelling of the same URL is accepted as well (both need the auth token).
          const urls = [`${wsBase(base)}${request.url}`, `${httpBase(base)}${request.url}`];
          const refusal = signatureRefusal(deps.authToken, request.headers['x-twilio-signature'], urls, {});
          if (refusal) {
            deps.log.warn({ url: urls[0], reason: refusal }, 'Twilio media stream refused');
            return reply.code(403).type('text/plain; charset=utf-8').send(`Forbidden: ${refusal}`);
          }
        },
      },
      (socket) => {
        new TwilioMediaStream(socket, { acceptor: deps.acceptor, clock: deps.clock, log: deps.log, rest: deps.rest, markEveryFrames: deps.markEveryFrames });
      },
    );
  };
}

/** Why a request fails the signature check, or null when it passes (or no token is configured). */
function signatureRefusal(authToken: string | undefined, header: string | string[] | undefined, urls: string[], params: FormParams): string | null {
  if (!authToken) return null;
  const signature = Array.isArray(header) ? header[0] : header;
  if (!signature) return 'X-Twilio-Signature is missing';
  if (!isValidTwilioSignature(authToken, signature, urls, params)) {
    return 'X-Twilio-Signature does not match (the auth token, or the public URL Twilio was given, differs from this server\'s)';
  }
  return null;
}

/** scheme://host[/prefix] Twilio used to reach this server. */
function publicBase(request: FastifyRequest, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  const proto = firstOf(request.headers['x-forwarded-proto']) ?? request.protocol;
  const host = firstOf(request.headers['x-forwarded-host']) ?? request.headers.host ?? request.hostname;
  return `${proto}://${host}`;
}

function wsBase(base: string): string {
  return base.replace(/^https:/i, 'wss:').replace(/^http:/i, 'ws:');
}

function httpBase(base: string): string {
  return base.replace(/^wss:/i, 'https:').replace(/^ws:/i, 'http:');
}

function firstOf(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const first = value?.split(',')[0].trim();
  return first ? first : undefined;
}

function queryParams(url: string): URLSearchParams {
  const at = url.indexOf('?');
  return new URLSearchParams(at < 0 ? '' : url.slice(at + 1));
}
