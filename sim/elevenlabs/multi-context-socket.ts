// `/v1/text-to-speech/{voice_id}/multi-stream-input`: several independent contexts on one socket
// (protocols.md §4b). Every message names its `context_id`; a new id starts a context (its first message
// may carry voice_settings/generation_config). `{"text":"","context_id"}` keeps a context alive (it is
// NOT end of input here), `flush:true` generates what is buffered, `close_context:true` drops the
// unflushed buffer, lets triggered generations finish and ends with `{"isFinal":true,"contextId"}`;
// `close_socket:true` does that for every context and then closes 1000. Outputs carry `contextId`.
//
// Simplifications (the sources do not settle these): a message without `context_id` addresses the
// context "default"; inactivity is measured per socket (any message resets it), not per context.
import type { WsContext } from '../sim-server.js';
import { keyFromMessage } from './elevenlabs-auth.js';
import { INPUT_TIMEOUT_ERROR, inputTimeoutMessage, sendWsErrorAndClose } from './elevenlabs-errors.js';
import { AudioSender } from './audio-sender.js';
import { changesVoiceSettings, parseClientFrame, readSettings, VOICE_SETTINGS_CHANGED, type ClientMessage, type StreamSettings } from './client-messages.js';
import { InactivityTimer } from './inactivity-timer.js';
import { SpeechContext } from './speech-context.js';
import type { StreamParams } from './stream-params.js';

export const DEFAULT_CONTEXT_ID = 'default';

type Entry = { context: SpeechContext; settings: StreamSettings };

export function runMultiContext(ctx: WsContext, params: StreamParams, keyVerified: boolean): void {
  const { ws, control, connection, fault } = ctx;
  const latencies = control.latenciesFor(fault);
  const sender = new AudioSender(ws, fault);
  /** Contexts accepting input, by id. */
  const open = new Map<string, Entry>();
  /** Contexts closed by the client that are still sending their last generations. */
  const closing = new Set<SpeechContext>();
  let authorised = keyVerified;
  let closingSocket = false;
  let finished = false;

  const finish = () => {
    finished = true;
    inactivity.stop();
    for (const { context } of open.values()) context.stop();
    for (const context of closing) context.stop();
  };
  const fail = (error: string, message: string) => {
    if (finished) return;
    finish();
    control.event(connection, 'error', error);
    sendWsErrorAndClose(ws, ctx.close, error, message);
  };
  const inactivity = new InactivityTimer(params.inactivityMs, () => fail(INPUT_TIMEOUT_ERROR, inputTimeoutMessage(params.inactivityMs)));
  inactivity.reset();

  const maybeCloseSocket = () => {
    if (!closingSocket || finished || open.size > 0 || closing.size > 0) return;
    finish();
    ctx.close(1000, '');
  };

  const closeContext = (id: string) => {
    const entry = open.get(id);
    if (!entry) return;
    open.delete(id);
    closing.add(entry.context);
    entry.context.close();
  };

  const startContext = (id: string, message: ClientMessage): Entry | null => {
    const read = readSettings(message);
    if (typeof read === 'string') {
      fail('invalid_message', read);
      return null;
    }
    const context: SpeechContext = new SpeechContext({
      format: params.format,
      voice: params.voiceId,
      syncAlignment: params.syncAlignment,
      autoMode: params.autoMode,
      schedule: read.schedule,
      latencies,
      onAudio: (piece) => sender.audio(piece, id),
      onFinal: () => {
        closing.delete(context);
        sender.final(id);
        maybeCloseSocket();
      },
    });
    const entry = { context, settings: read };
    open.set(id, entry);
    return entry;
  };

  ws.on('message', (data, isBinary) => {
    if (finished) return;
    const frame = parseClientFrame(data, isBinary);
    if (!frame.ok) return fail('invalid_message', frame.error);
    const message = frame.message;
    inactivity.reset();
    if (!authorised) {
      if (keyFromMessage(message) !== control.keys.elevenlabs) return fail('invalid_api_key', 'Invalid API key');
      authorised = true;
    }
    if (closingSocket) return;
    if (message.close_socket === true) {
      control.event(connection, 'close_socket');
      closingSocket = true;
      inactivity.stop();
      for (const id of [...open.keys()]) closeContext(id);
      maybeCloseSocket();
      return;
    }
    const id = typeof message.context_id === 'string' ? message.context_id : DEFAULT_CONTEXT_ID;
    if (message.close_context === true) {
      control.event(connection, 'close_context', id);
      closeContext(id);
      return;
    }
    const text = message.text;
    if (text !== undefined && typeof text !== 'string') return fail('invalid_message', 'text must be a string');
    let entry = open.get(id);
    if (!entry) {
      const started = startContext(id, message);
      if (!started) return;
      entry = started;
    } else if (changesVoiceSettings(message, entry.settings)) {
      return fail('invalid_message', VOICE_SETTINGS_CHANGED);
    }
    if (text === '') {
      control.event(connection, 'keepalive', id);
      if (message.flush === true) entry.context.flush();
      return;
    }
    if (message.flush === true) control.event(connection, 'flush', id);
    if (typeof text === 'string') entry.context.addText(text, message.flush === true);
    else if (message.flush === true) entry.context.flush();
  });
  ws.on('close', finish);
}
