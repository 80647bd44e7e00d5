// One /v1/speak WebSocket: Speak appends text, Flush synthesizes what is buffered (binary audio, then
// Flushed), Clear drops buffered text and queued audio at once (Cleared), Close ends with 1000.
// Metadata is sent on open. Anything the server cannot read closes the socket with the vendor's codes:
// 1003 MESSAGE-0000 for binary input, 1008 DATA-0000 for an unreadable or unknown message,
// 1009 BIG-0000 for a Speak over 2000 characters, 1011 NET-0001 when the client goes quiet.
import { randomUUID } from 'node:crypto';
import type { RawData } from 'ws';
import type { WsContext } from '../sim-server.js';
import type { SpeakParams } from './deepgram-params.js';
import { sendPaced } from './paced-audio.js';
import { MAX_SPEAK_CHARS } from './speak-rest.js';
import { bytesPerSecond, speakBytes } from './speak-audio.js';

/** What the `malformed` fault sends once, after the first audio piece. */
export const SPEAK_WS_GARBAGE = 'Internal Server Error';
const FLUSH_LIMIT = 20;
const FLUSH_WINDOW_MS = 60_000;

type PendingFlush = { sequenceId: number; text: string; at: number };

export function runSpeakSession(ctx: WsContext, params: SpeakParams, requestId: string): void {
  const { ws, control, connection, fault } = ctx;
  const latencies = control.latenciesFor(fault);
  const idleMs = control.timeouts.deepgramSpeakIdleMs;
  const queue: PendingFlush[] = [];
  const flushTimes: number[] = [];
  let buffered = '';
  let nextSequenceId = 0;
  let current: AbortController | null = null;
  let draining = false;
  let done = false;
  let garbageSent = false;

  const sendJson = (message: Record<string, unknown>) => {
    if (!done && ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };
  const finish = (code: number, reason: string) => {
    if (done) return;
    done = true;
    clearTimeout(idleTimer);
    current?.abort();
    ctx.close(code, reason);
  };
  const onIdle = () => {
    // Audio still going out counts as activity: the client has nothing to say while it listens.
    if (draining) return touch();
    control.event(connection, 'idle_timeout');
    finish(1011, 'NET-0001');
  };
  let idleTimer = setTimeout(onIdle, idleMs);
  const touch = () => {
    clearTimeout(idleTimer);
    if (!done) idleTimer = setTimeout(onIdle, idleMs);
  };

  const speak = async (item: PendingFlush, signal: AbortSignal): Promise<boolean> => {
    if (item.text.trim() === '') return true;
    return sendPaced({
      bytes: speakBytes(item.text, params, fault?.type === 'wrong_audio_format'),
      bytesPerSecond: bytesPerSecond(params),
      ttfbMs: latencies.ttsTtfbMs,
      realtimeFactor: latencies.ttsRealtimeFactor,
      requestedAt: item.at,
      signal,
      send: (piece) => {
        if (done) return;
        ws.send(piece, { binary: true });
        if (fault?.type === 'malformed' && !garbageSent) {
          garbageSent = true;
          control.event(connection, 'malformed');
          ws.send(SPEAK_WS_GARBAGE);
        }
      },
    });
  };

  const drain = async () => {
    if (draining) return;
    draining = true;
    while (queue.length > 0 && !done) {
      const item = queue.shift()!;
      current = new AbortController();
      const complete = await speak(item, current.signal);
      current = null;
      if (complete) sendJson({ type: 'Flushed', sequence_id: item.sequenceId });
    }
    draining = false;
    touch();
  };

  const onMessage = (message: Record<string, unknown>) => {
    switch (message.type) {
      case 'Speak': {
        if (typeof message.text !== 'string') return finish(1008, 'DATA-0000');
        if (message.text.length > MAX_SPEAK_CHARS) return finish(1009, 'BIG-0000');
        buffered += message.text;
        return;
      }
      case 'Flush': {
        const now = performance.now();
        while (flushTimes.length > 0 && now - flushTimes[0] > FLUSH_WINDOW_MS) flushTimes.shift();
        flushTimes.push(now);
        if (flushTimes.length > FLUSH_LIMIT) {
          sendJson({ type: 'Warning', description: `More than ${FLUSH_LIMIT} Flush messages in ${FLUSH_WINDOW_MS / 1000} s`, code: 'FLUSH_LIMIT' });
        }
        control.event(connection, 'flush');
        queue.push({ sequenceId: nextSequenceId++, text: buffered, at: now });
        buffered = '';
        void drain();
        return;
      }
      case 'Clear': {
        control.event(connection, 'clear');
        buffered = '';
        queue.length = 0;
        current?.abort();
        sendJson({ type: 'Cleared', sequence_id: Math.max(0, nextSequenceId - 1) });
        return;
      }
      case 'Close':
        control.event(connection, 'close');
        return finish(1000, '');
      default:
        return finish(1008, 'DATA-0000');
    }
  };

  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (done) return;
    touch();
    if (isBinary) {
      control.event(connection, 'bad_message', 'binary frame');
      return finish(1003, 'MESSAGE-0000');
    }
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    let message: unknown;
    try {
      message = JSON.parse(bytes.toString('utf8'));
    } catch {
      message = null;
    }
    if (typeof message !== 'object' || message === null) {
      control.event(connection, 'bad_message', bytes.toString('utf8').slice(0, 80));
      return finish(1008, 'DATA-0000');
    }
    onMessage(message as Record<string, unknown>);
  });
  ws.on('close', () => {
    done = true;
    clearTimeout(idleTimer);
    current?.abort();
  });

  sendJson({
    type: 'Metadata',
    request_id: requestId,
    model_name: params.model,
    model_version: '2025-01-01.0',
    model_uuid: randomUUID(),
    additional_model_uuids: [],
  });
}
