// Reads pocketsphinx_continuous's stdout incrementally. With `-time yes`, each utterance the
// decoder's VAD closes is printed as one hypothesis line followed by one line per segment:
// `word start_s end_s posterior`, the segments including <s>, </s>, <sil>, fillers such as
// [NOISE], and pronunciation variants spelled `word(2)`. A grammar (-jsgf) prints no <s>/</s>;
// keyword spotting (-kws) prints one segment per detected phrase, newest first. The decoder
// flushes stdout once per utterance, so an utterance is complete at its </s> line, at the next
// hypothesis line, or when the output goes quiet.

export type DecodedWord = { word: string; startMs: number; endMs: number; confidence: number };

export type DecodedUtterance = {
  /** The decoder's hypothesis line (fillers already left out by the decoder). */
  hypothesis: string;
  /** Real words only, times in decoder-audio ms. */
  words: DecodedWord[];
};

/** A segment line; keyword spotting prints multi-word phrases, hence the lazy `.+?`. */
const SEGMENT = /^(.+?)\s+(-?\d+\.\d+)\s+(-?\d+\.\d+)\s+(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)$/;
/** Output that stops for this long ends the utterance being read. */
const QUIET_MS = 40;

/** A segment the caller did not say: sentence markers, silence and noise fillers. */
export function isFiller(word: string): boolean {
  return word.startsWith('<') || word.startsWith('[') || word.startsWith('+');
}

/** The dictionary word of a segment: pronunciation variants are spelled `word(2)`. */
export function baseWord(segment: string): string {
  return segment.replace(/\(\d+\)$/, '');
}

/** A segment's posterior as a confidence in 0..1 (0 when the decoder gave none). */
export function clampConfidence(value: number): number {
  return Math.min(1, Math.max(0, Number.isFinite(value) ? value : 0));
}

export class DecoderOutputReader {
  private buffer = '';
  private current: DecodedUtterance | null = null;
  private quietTimer: NodeJS.Timeout | null = null;

  constructor(private readonly onUtterance: (utterance: DecodedUtterance) => void) {}

  push(text: string): void {
    this.buffer += text;
    let newline = this.buffer.indexOf('\n');
    while (newline >= 0) {
      const line = this.buffer.slice(0, newline).replace(/\r$/, '');
      this.buffer = this.buffer.slice(newline + 1);
      this.line(line);
      newline = this.buffer.indexOf('\n');
    }
    this.armQuietTimer();
  }

  /** The output ended: whatever was read is complete. */
  end(): void {
    if (this.buffer !== '') this.line(this.buffer);
    this.buffer = '';
    this.complete();
    this.stopQuietTimer();
  }

  /** Drops anything pending without reporting it. */
  discard(): void {
    this.buffer = '';
    this.current = null;
    this.stopQuietTimer();
  }

  private line(line: string): void {
    const segment = SEGMENT.exec(line.trim());
    if (segment) {
      this.current ??= { hypothesis: '', words: [] };
      const raw = segment[1];
      if (raw === '</s>') {
        this.complete();
        return;
      }
      if (isFiller(raw)) return;
      this.current.words.push({
        word: baseWord(raw),
        startMs: Math.round(Number(segment[2]) * 1000),
        endMs: Math.round(Number(segment[3]) * 1000),
        confidence: clampConfidence(Number(segment[4])),
      });
      return;
    }
    // Anything else is a hypothesis line and starts the next utterance.
    this.complete();
    this.current = { hypothesis: line.trim(), words: [] };
  }

  private complete(): void {
    const utterance = this.current;
    this.current = null;
    if (!utterance) return;
    utterance.words.sort((a, b) => a.startMs - b.startMs);
    this.onUtterance(utterance);
  }

  /** The decoder writes an utterance in one flush; a pause means it has all arrived. */
  private armQuietTimer(): void {
    this.stopQuietTimer();
    if (!this.current) return;
    this.quietTimer = setTimeout(() => {
      this.quietTimer = null;
      if (this.buffer === '') this.complete();
    }, QUIET_MS);
    this.quietTimer.unref?.();
  }

  private stopQuietTimer(): void {
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = null;
  }
}
