// `/v1/text-to-speech/{voice_id}/stream-input`: one synthesis per socket (protocols.md §4a).
//   1. First message: `{"text":" ", voice_settings?, generation_config?, "xi-api-key"?}` (BOS).
//   2. Text messages, generated per the chunk schedule, or at once with `flush:true`.
//   3. `{"text":""}` (EOS): the rest is generated, `{"isFinal":true}` follows, then close 1000.
// No input for `inactivity_timeout` before EOS: error message `input_timeout_exceeded` and close 1008.
import type { WsContext } from '../sim-server.js';
import { keyFromMessage } from './elevenlabs-auth.js';
import { INPUT_TIMEOUT_ERROR, inputTimeoutMessage, sendWsErrorAndClose } from './elevenlabs-errors.js';
import { AudioSender } from './audio-sender.js';
import { changesVoiceSettings, parseClientFrame, readSettings, VOICE_SETTINGS_CHANGED, type ClientMessage, type StreamSettings } from './client-messages.js';
import { InactivityTimer } from './inactivity-timer.js';
import { SpeechContext } from './speech-context.js';
import type { StreamParams } from './stream-params.js';

export function runSingleContext(ctx: WsContext, params: StreamParams, keyVerified: boolean): void {
  const { ws, control, connection, fault } = ctx;
  const latencies = control.latenciesFor(fault);
  const sender = new AudioSender(ws, fault);
  let settings: StreamSettings | null = null;
  let context: SpeechContext | null = null;
  let finished = false;

  const finish = () => {
    finished = true;
    inactivity.stop();
    context?.stop();
  };
  const fail = (error: string, message: string) => {
    if (finished) return;
    finish();
    control.event(connection, 'error', error);
    sendWsErrorAndClose(ws, ctx.close, error, message);
  };
  const inactivity = new InactivityTimer(params.inactivityMs, () => fail(INPUT_TIMEOUT_ERROR, inputTimeoutMessage(params.inactivityMs)));
  inactivity.reset();

  const begin = (message: ClientMessage): void => {
    if (!keyVerified && keyFromMessage(message) !== control.keys.elevenlabs) return fail('invalid_api_key', 'Invalid API key');
    if (message.text !== ' ') return fail('invalid_message', 'The first message must be {"text":" "} (a single space), optionally with voice_settings and generation_config.');
    const read = readSettings(message);
    if (typeof read === 'string') return fail('invalid_message', read);
    settings = read;
    context = new SpeechContext({
      format: params.format,
      voice: params.voiceId,
      syncAlignment: params.syncAlignment,
      autoMode: params.autoMode,
      schedule: read.schedule,
      latencies,
      onAudio: (piece) => sender.audio(piece),
      onFinal: () => {
        finish();
        sender.final();
        ctx.close(1000, '');
      },
    });
  };

  ws.on('message', (data, isBinary) => {
    if (finished) return;
    const frame = parseClientFrame(data, isBinary);
    if (!frame.ok) return fail('invalid_message', frame.error);
    const message = frame.message;
    if (context?.ended) return; // after EOS the vendor ignores further input
    inactivity.reset();
    if (!context || !settings) return begin(message);
    if (changesVoiceSettings(message, settings)) return fail('invalid_message', VOICE_SETTINGS_CHANGED);
    const text = message.text;
    if (text !== undefined && typeof text !== 'string') return fail('invalid_message', 'text must be a string');
    if (text === '') {
      control.event(connection, 'eos');
      inactivity.stop();
      context.end();
      return;
    }
    if (message.flush === true) control.event(connection, 'flush');
    if (typeof text === 'string') context.addText(text, message.flush === true);
    else if (message.flush === true) context.flush();
  });
  ws.on('close', finish);
}
