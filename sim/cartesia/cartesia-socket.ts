// One accepted /tts/websocket connection: routes client messages to contexts by context_id, checks
// them, answers bad ones with an `error` event for that context, applies the connection's fault and
// closes the socket after the idle timeout. Input on a context id that expired is refused with an
// error (Cartesia only says such input "is not supported"; UNSURE what it answers).
import { WebSocket } from 'ws';
import type { WsContext } from '../sim-server.js';
import { CartesiaContext, type ContextHost } from './cartesia-context.js';
import { cartesiaWsError } from './cartesia-errors.js';
import { parseClientMessage, type GenerationRequest } from './cartesia-request.js';

export function serveCartesiaSocket(ctx: WsContext): void {
  const { ws, control, connection, fault } = ctx;
  const contexts = new Map<string, CartesiaContext>();
  const expiredIds = new Set<string>();
  let anonymous = 0;
  let malformedSent = false;
  let idleTimer: NodeJS.Timeout | null = null;

  const resetIdle = () => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      control.event(connection, 'idle_timeout');
      ctx.close(1000, 'idle timeout');
    }, control.timeouts.cartesiaIdleMs);
  };

  const sendText = (text: string) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(text);
    resetIdle();
  };
  const send = (message: Record<string, unknown>) => sendText(JSON.stringify(message));

  const host: ContextHost = {
    latencies: control.latenciesFor(fault),
    wrongAudioFormat: fault?.type === 'wrong_audio_format',
    send,
    afterChunk(contextId, flushId) {
      if (fault?.type !== 'malformed' || malformedSent) return;
      malformedSent = true;
      control.event(connection, 'malformed', contextId);
      // A chunk whose payload is not base64, then a frame that is not JSON at all.
      send({
        type: 'chunk',
        data: '%%not*base64%%',
        done: false,
        status_code: 206,
        step_time: 1,
        context_id: contextId,
        ...(flushId === undefined ? {} : { flush_id: flushId }),
      });
      sendText('<html><body>502 Bad Gateway</body></html>');
    },
    log: (type, detail) => control.event(connection, type, detail),
    finished: (contextId) => contexts.delete(contextId),
    expired: (contextId) => expiredIds.add(contextId),
  };

  const fail = (contextId: string | undefined, statusCode: number, title: string, message: string, errorCode: string | null) => {
    control.event(connection, 'error', contextId ? `${contextId}: ${title}` : title);
    send(cartesiaWsError({ statusCode, title, message, errorCode, contextId }));
    // An error event is `done: true`: it ends its context.
    if (contextId) contexts.get(contextId)?.cancel();
  };

  const generate = (request: GenerationRequest) => {
    const id = request.contextId ?? `ctx-${++anonymous}`;
    const existing = contexts.get(id);
    if (existing) {
      if (existing.closedForInput) {
        fail(id, 400, 'Context closed', `Context ${id} already received continue:false; use a new context_id.`, 'context_closed');
        return;
      }
      existing.accept(request);
      return;
    }
    if (expiredIds.has(id)) {
      fail(id, 400, 'Context expired', `Context ${id} expired 1 s after its last audio; use a new context_id.`, 'context_expired');
      return;
    }
    if (request.transcript.trim() === '') {
      fail(id, 400, 'Empty transcript', 'The first message of a context needs a non-empty transcript.', 'empty_transcript');
      return;
    }
    const context = new CartesiaContext(id, request, host);
    contexts.set(id, context);
    control.event(connection, 'context', id);
    context.accept(request);
  };

  ws.on('message', (data, isBinary) => {
    resetIdle();
    if (isBinary) {
      fail(undefined, 400, 'Invalid message', 'Binary frames are not supported; send JSON text.', 'invalid_request');
      return;
    }
    const message = parseClientMessage(data.toString());
    switch (message.kind) {
      case 'invalid':
        fail(message.contextId, 400, message.title, message.message, message.errorCode);
        return;
      case 'cancel':
        control.event(connection, 'cancel', message.contextId);
        contexts.get(message.contextId)?.cancel();
        return;
      case 'generate':
        generate(message.request);
        return;
    }
  });

  ws.on('close', () => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = null;
    for (const context of [...contexts.values()]) context.cancel();
  });

  resetIdle();
}
