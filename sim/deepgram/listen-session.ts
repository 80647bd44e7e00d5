// One /v1/listen connection: client audio (binary frames) goes to the shared simulated transcriber,
// whose events come back as Deepgram messages (Results, SpeechStarted, UtteranceEnd, Metadata).
// Control messages: KeepAlive, Finalize, CloseStream. The idle rule follows the vendor's docs: the
// first audio must arrive within the idle window; after that, audio or any text message resets it.
import { createHash, randomUUID } from 'node:crypto';
import type { RawData } from 'ws';
import type { TranscriberEvent } from '../script-transcriber.js';
import type { WsContext } from '../sim-server.js';
import type { ListenParams } from './deepgram-params.js';
import { listenMetadataMessage, resultsMessage, speechStartedMessage, utteranceEndMessage, type ModelInfo } from './listen-messages.js';
import { OrderedSender } from './ordered-sender.js';
import { AudioDecoder, sniffContainer } from '../../src/providers/audio-decoder.js';

/** What the `malformed` fault sends once, after the first Results: not JSON at all. */
export const LISTEN_GARBAGE = '<html><body>502 Bad Gateway</body></html>';

export function runListenSession(ctx: WsContext, params: ListenParams, requestId: string): void {
  const { ws, control, connection } = ctx;
  const latencies = control.latenciesFor(ctx.fault);
  const idleMs = control.timeouts.deepgramIdleMs;
  const info: ModelInfo = { requestId, model: params.model, modelUuid: randomUUID() };
  const sender = new OrderedSender();
  const hash = createHash('sha256');
  const created = new Date();
  // The container check is done below, answered the way Deepgram does (1008 DATA-0000).
  const reader = new AudioDecoder('deepgram-sim', params.encoding === 'linear16' ? 'pcm16' : params.encoding, false);

  let done = false;
  /** CloseStream (or a zero-length frame) arrived: no more input is read. */
  let closing = false;
  let sawAudio = false;
  let finalizing = false;
  let finalCount = 0;
  /** End of the audio already covered by final results; the next result starts here. */
  let cursorMs = 0;
  /** End of the last finalized word, while an UtteranceEnd for it is still due. */
  let utteranceEndFrom: number | null = null;
  let garbageSent = false;

  const send = (message: Record<string, unknown>) => {
    if (!done && ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };
  const finish = (code: number, reason: string) => {
    if (done) return;
    done = true;
    clearTimeout(idleTimer);
    sender.stop();
    ctx.close(code, reason);
  };
  const onIdle = () => {
    control.event(connection, 'idle_timeout');
    finish(1011, 'NET-0001');
  };
  let idleTimer = setTimeout(onIdle, idleMs);
  const touch = () => {
    clearTimeout(idleTimer);
    if (!closing) idleTimer = setTimeout(onIdle, idleMs);
  };

  const sendResults = (o: Omit<Parameters<typeof resultsMessage>[1], 'punctuate'>) => {
    send(resultsMessage(info, { ...o, punctuate: params.punctuate }));
    if (ctx.fault?.type === 'malformed' && !garbageSent && !done) {
      garbageSent = true;
      control.event(connection, 'malformed');
      ws.send(LISTEN_GARBAGE);
    }
  };

  const checkUtteranceEnd = () => {
    if (params.utteranceEndMs === null || utteranceEndFrom === null) return;
    if (stream.audioMs - utteranceEndFrom < params.utteranceEndMs) return;
    const lastWordEnd = utteranceEndFrom;
    utteranceEndFrom = null;
    sender.push(0, () => send(utteranceEndMessage(lastWordEnd)));
  };

  const onEvent = (e: TranscriberEvent) => {
    if (done) return;
    if (e.type === 'speech_started') {
      utteranceEndFrom = null;
      if (params.vadEvents) sender.push(0, () => send(speechStartedMessage(e.atMs)));
    } else if (e.type === 'interim') {
      if (!params.interimResults || e.words.length === 0) return;
      const startMs = cursorMs;
      sender.push(0, () => sendResults({ words: e.words, startMs, endMs: e.endMs, isFinal: false, speechFinal: false, fromFinalize: false }));
    } else {
      finalCount++;
      const fromFinalize = finalizing;
      const startMs = cursorMs;
      const endMs = Math.max(e.endMs, startMs);
      cursorMs = endMs;
      const speechFinal = e.endOfSpeech && params.endpointingMs !== null;
      if (e.words.length > 0) utteranceEndFrom = e.words[e.words.length - 1].endMs;
      sender.push(latencies.sttFinalDelayMs, () => sendResults({ words: e.words, startMs, endMs, isFinal: true, speechFinal, fromFinalize }));
      checkUtteranceEnd();
    }
  };

  const stream = control.transcriber.open(
    {
      sampleRate: params.sampleRate,
      tag: params.tag,
      endpointingMs: params.endpointingMs ?? latencies.sttEndpointingMs,
      interimIntervalMs: latencies.sttInterimIntervalMs,
    },
    onEvent,
  );

  const finalize = () => {
    finalizing = true;
    const before = finalCount;
    stream.flush();
    finalizing = false;
    if (finalCount > before) return;
    // Nothing was open: answer with an empty final, as the service does when little audio is buffered.
    const startMs = cursorMs;
    const endMs = Math.max(stream.audioMs, startMs);
    cursorMs = endMs;
    sender.push(latencies.sttFinalDelayMs, () => sendResults({ words: [], startMs, endMs, isFinal: true, speechFinal: false, fromFinalize: true }));
  };

  const closeStream = () => {
    closing = true;
    clearTimeout(idleTimer);
    if (reader.hasRemainder) {
      control.event(connection, 'bad_audio', 'odd number of linear16 bytes');
      finish(1008, 'DATA-0000');
      return;
    }
    stream.flush();
    const durationMs = stream.audioMs;
    sender.push(0, () => {
      send(listenMetadataMessage(info, { sha256: hash.digest('hex'), created, durationMs }));
      finish(1000, '');
    });
  };

  const onAudio = (bytes: Buffer) => {
    if (bytes.length === 0) {
      // The legacy end-of-stream signal; the docs warn it closes the stream.
      control.event(connection, 'close_stream', 'zero-length frame');
      closeStream();
      return;
    }
    if (!sawAudio) {
      const container = sniffContainer(bytes);
      if (container) {
        control.event(connection, 'bad_audio', `${container} header while encoding=${params.encoding}`);
        finish(1008, 'DATA-0000');
        return;
      }
    }
    sawAudio = true;
    touch();
    hash.update(bytes);
    stream.write(reader.push(bytes));
    checkUtteranceEnd();
  };

  const onText = (text: string) => {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      control.event(connection, 'bad_message', text.slice(0, 80));
      finish(1008, 'DATA-0000');
      return;
    }
    if (sawAudio) touch();
    const type = typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined;
    if (type === 'KeepAlive') control.event(connection, 'keepalive');
    else if (type === 'Finalize') {
      control.event(connection, 'finalize');
      finalize();
    } else if (type === 'CloseStream') {
      control.event(connection, 'close_stream');
      closeStream();
    }
    // Anything else (the v4 SDK's Configure, future types) is ignored.
  };

  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (done || closing) return;
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (isBinary) onAudio(bytes);
    else onText(bytes.toString('utf8'));
  });
  ws.on('close', () => {
    done = true;
    clearTimeout(idleTimer);
    sender.stop();
  });
}
