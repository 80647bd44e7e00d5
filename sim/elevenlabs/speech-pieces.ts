// One ElevenLabs generation as the pieces the server streams: simulated speech in the output format,
// cut into uneven byte lengths (boundaries land mid-sample, as real payloads do), each with its place in
// the generation's audio and — per `sync_alignment` — the character alignment.
//
// Alignment times are ms relative to the piece that carries them (protocols.md §4a). With
// `sync_alignment` every piece carries the characters that start inside it; without it, the first piece
// of a generation carries the whole generation's characters (relative to that piece, i.e. to the start
// of the generation) and later pieces carry none.
import { synthesizeSpeech } from '../sim-voice.js';
import { encodeAudio, type SimOutputFormat } from './elevenlabs-formats.js';

export type SimAlignment = { charStartTimesMs: number[]; charsDurationsMs: number[]; chars: string[] };

export type SpeechPiece = {
  bytes: Buffer;
  /** Where the piece starts and ends in the generation's audio. */
  startMs: number;
  endMs: number;
  alignment: SimAlignment | null;
};

export type RenderedGeneration = { pieces: SpeechPiece[]; durationMs: number };

/** Nominal piece durations (ms), cycled, and byte nudges that push boundaries off sample edges. */
const PIECE_MS = [50, 35, 70, 45];
const NUDGE_BYTES = [1, 0, 3, -1, 5];

export function renderGeneration(text: string, format: SimOutputFormat, options: { voice?: string; syncAlignment: boolean }): RenderedGeneration {
  const speech = synthesizeSpeech(text, format.sampleRate, options.voice);
  const bytes = encodeAudio(speech.samples, format);
  const bytesPerSecond = format.sampleRate * format.bytesPerSample;
  const msAt = (offset: number) => (offset * 1000) / bytesPerSecond;

  const pieces: SpeechPiece[] = [];
  let offset = 0;
  for (let k = 0; offset < bytes.length; k++) {
    const nominal = Math.round((PIECE_MS[k % PIECE_MS.length] * bytesPerSecond) / 1000) + NUDGE_BYTES[k % NUDGE_BYTES.length];
    const length = Math.min(bytes.length - offset, Math.max(1, nominal));
    pieces.push({ bytes: bytes.subarray(offset, offset + length), startMs: msAt(offset), endMs: msAt(offset + length), alignment: null });
    offset += length;
  }

  if (pieces.length > 0) {
    if (options.syncAlignment) {
      for (let k = 0; k < pieces.length; k++) {
        const piece = pieces[k];
        const last = k === pieces.length - 1;
        const inside = speech.chars.filter((c) => c.startMs >= piece.startMs && (last || c.startMs < piece.endMs));
        piece.alignment = alignmentOf(inside, piece.startMs);
      }
    } else {
      pieces[0].alignment = alignmentOf(speech.chars, 0);
    }
  }
  return { pieces, durationMs: msAt(bytes.length) };
}

function alignmentOf(chars: ReturnType<typeof synthesizeSpeech>['chars'], originMs: number): SimAlignment {
  return {
    charStartTimesMs: chars.map((c) => Math.round(c.startMs - originMs)),
    // `charsDurationsMs` (plural) is what the asyncapi schema and examples use; the JS SDK type says
    // `charDurationsMs` (protocols.md §4, "Disagreements"). Clients should read both.
    charsDurationsMs: chars.map((c) => Math.round(c.durationMs)),
    chars: chars.map((c) => c.char),
  };
}
