// Writes the server → client messages of both sockets: audio pieces as base64 inside JSON (camelCase
// keys; `contextId` on the multi-context socket) and the `isFinal` message. The connection's fault is
// applied here: `wrong_audio_format` prefixes the first audio with an MP3 ID3 header although raw audio
// was asked for; `malformed` sends one non-JSON frame after the first audio piece.
import type { WebSocket } from 'ws';
import type { SimFault } from '../sim-control.js';
import { ID3_HEADER } from './elevenlabs-formats.js';
import type { SpeechPiece } from './speech-pieces.js';

export const GARBAGE_FRAME = '<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>';

export class AudioSender {
  private audioSent = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly fault: SimFault | null,
  ) {}

  audio(piece: SpeechPiece, contextId?: string): void {
    let bytes = piece.bytes;
    if (this.audioSent === 0 && this.fault?.type === 'wrong_audio_format') bytes = Buffer.concat([ID3_HEADER, bytes]);
    const message: Record<string, unknown> = {
      audio: bytes.toString('base64'),
      isFinal: false,
      normalizedAlignment: piece.alignment,
      alignment: piece.alignment,
    };
    if (contextId !== undefined) message.contextId = contextId;
    this.send(JSON.stringify(message));
    this.audioSent++;
    if (this.audioSent === 1 && this.fault?.type === 'malformed') this.send(GARBAGE_FRAME);
  }

  final(contextId?: string): void {
    this.send(JSON.stringify(contextId === undefined ? { isFinal: true } : { isFinal: true, contextId }));
  }

  json(message: Record<string, unknown>): void {
    this.send(JSON.stringify(message));
  }

  private send(text: string): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(text);
  }
}
