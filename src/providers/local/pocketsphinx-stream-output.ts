// Reads the streaming decoder's stdout (native/pocketsphinx-stream.c): one JSON object per line,
// `partial` while an utterance is in progress and `final` when it ends, each with the decoder's
// segments. Segments become words with the same policy as pocketsphinx_continuous's output
// (fillers left out, pronunciation variants folded), so both decoders give the same words.
import { baseWord, clampConfidence, isFiller, type DecodedUtterance, type DecodedWord } from './pocketsphinx-output.js';

export type StreamDecoderEvent = { type: 'partial' | 'final'; utterance: DecodedUtterance };

type RawSegment = { word?: unknown; startMs?: unknown; endMs?: unknown; confidence?: unknown };

function toWords(segments: unknown): DecodedWord[] {
  if (!Array.isArray(segments)) return [];
  const words: DecodedWord[] = [];
  for (const segment of segments as RawSegment[]) {
    // Keyword spotting's segments end in a space.
    const word = typeof segment?.word === 'string' ? segment.word.trim() : '';
    if (word === '' || isFiller(word)) continue;
    const startMs = Number(segment.startMs);
    const endMs = Number(segment.endMs);
    if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) continue;
    words.push({ word: baseWord(word), startMs, endMs, confidence: clampConfidence(Number(segment.confidence)) });
  }
  // Keyword spotting lists its detections newest first.
  return words.sort((a, b) => a.startMs - b.startMs);
}

/** One output line as an event, or null for anything else (the `ready` line, a torn line). */
export function parseStreamDecoderLine(line: string): StreamDecoderEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { type, text, words } = value as { type?: unknown; text?: unknown; words?: unknown };
  if (type !== 'partial' && type !== 'final') return null;
  return { type, utterance: { hypothesis: typeof text === 'string' ? text : '', words: toWords(words) } };
}

export class StreamDecoderOutputReader {
  private buffer = '';

  constructor(private readonly onEvent: (event: StreamDecoderEvent) => void) {}

  push(text: string): void {
    this.buffer += text;
    let newline = this.buffer.indexOf('\n');
    while (newline >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      this.line(line);
      newline = this.buffer.indexOf('\n');
    }
  }

  /** The output ended; the decoder writes whole lines, so an unterminated rest is still one. */
  end(): void {
    if (this.buffer !== '') this.line(this.buffer);
    this.buffer = '';
  }

  discard(): void {
    this.buffer = '';
  }

  private line(line: string): void {
    const event = parseStreamDecoderLine(line.trim());
    if (event) this.onEvent(event);
  }
}
