// ElevenLabs TTS on the vendor's paths:
//   WS   /v1/text-to-speech/{voice_id}/stream-input        single context (single-context-socket.ts)
//   WS   /v1/text-to-speech/{voice_id}/multi-stream-input  multi context (multi-context-socket.ts)
//   POST /v1/text-to-speech/{voice_id}/stream              REST streaming (rest-stream.ts)
// Where keys may be given and how a wrong one is refused: elevenlabs-auth.ts.
import type { SimRoute } from '../sim-server.js';
import { authorizeHttp, authorizeWs, keyFromRequest } from './elevenlabs-auth.js';
import { elevenLabsHttpError, sendWsErrorAndClose } from './elevenlabs-errors.js';
import { runMultiContext } from './multi-context-socket.js';
import { handleRestStream } from './rest-stream.js';
import { runSingleContext } from './single-context-socket.js';
import { parseStreamParams } from './stream-params.js';

const WS_PATH = /^\/v1\/text-to-speech\/([^/]+)\/(stream-input|multi-stream-input)$/;
const REST_PATH = /^\/v1\/text-to-speech\/([^/]+)\/stream$/;

export function elevenLabsRoutes(): SimRoute[] {
  const socket: SimRoute = {
    vendor: 'elevenlabs',
    match: (path, _method, isUpgrade) => isUpgrade && WS_PATH.test(path),
    errorResponse: elevenLabsHttpError,
    authorize: authorizeWs,
    ws(ctx) {
      const [, rawVoice, kind] = WS_PATH.exec(ctx.url.pathname)!;
      const voiceId = decodeURIComponent(rawVoice);
      ctx.control.event(ctx.connection, 'open', `${kind} ${ctx.url.search}`);
      const params = parseStreamParams(voiceId, ctx.url, ctx.control);
      if ('error' in params) {
        sendWsErrorAndClose(ctx.ws, ctx.close, 'invalid_request', params.error);
        return;
      }
      // authorizeWs already refused a wrong key given at connect time; none given means the first message must carry it.
      const keyVerified = keyFromRequest(ctx.req, ctx.url) !== null;
      if (kind === 'stream-input') runSingleContext(ctx, params, keyVerified);
      else runMultiContext(ctx, params, keyVerified);
    },
  };
  const rest: SimRoute = {
    vendor: 'elevenlabs',
    match: (path, method, isUpgrade) => !isUpgrade && method === 'POST' && REST_PATH.test(path),
    errorResponse: elevenLabsHttpError,
    authorize: authorizeHttp,
    http(ctx) {
      const [, rawVoice] = REST_PATH.exec(ctx.url.pathname)!;
      return handleRestStream(ctx, decodeURIComponent(rawVoice));
    },
  };
  return [socket, rest];
}
