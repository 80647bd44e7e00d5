// Spots a correction marker ("actually", "wait", "hold on", ...) in what the caller is saying.
//
// Matching is on words, not characters: text and markers are split into lowercase words, so
// punctuation around words is ignored ("No," "wait..." "Actually—") and a marker never matches
// inside a longer word ("know", "snow", "awaiting"). Hyphens and apostrophes inside a word keep
// it one word, so "no-one" and "no's" are not "no". A multi-word marker matches its words in a
// row, whatever punctuation sits between them ("hold, on").
//
// "no" is also an ordinary answer; the turn core only consults this while a reply is in flight,
// where any "no" from the caller means the reply being prepared is wrong.

const WORD = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu;

export function toWords(text: string): string[] {
  return (text.toLowerCase().match(WORD) ?? []).map((w) => w.replace(/’/g, "'"));
}

type Marker = { marker: string; words: string[] };

function compileMarkers(markers: readonly string[]): Marker[] {
  return markers.map((marker) => ({ marker, words: toWords(marker) })).filter((m) => m.words.length > 0);
}

/** Word indexes where `m` starts in `words`. */
function occurrences(words: readonly string[], m: Marker): number[] {
  const at: number[] = [];
  outer: for (let i = 0; i + m.words.length <= words.length; i++) {
    for (let j = 0; j < m.words.length; j++) if (words[i + j] !== m.words[j]) continue outer;
    at.push(i);
  }
  return at;
}

/**
 * First marker in `text` (by position; a longer marker wins a tie), returned as spelled in
 * `markers`; null if none.
 */
export function findCorrectionMarker(text: string, markers: readonly string[]): string | null {
  return new CancellationDetector(markers).check(text);
}

export class CancellationDetector {
  private readonly markers: Marker[];

  constructor(markers: readonly string[]) {
    this.markers = compileMarkers(markers);
  }

  /**
   * The first marker in `partial` that is new relative to `alreadySeen`. A marker is new when it
   * occurs more often in `partial` than in `alreadySeen`; counting (rather than comparing
   * prefixes) keeps this right when the STT revises earlier words of its hypothesis.
   */
  check(partial: string, alreadySeen = ''): string | null {
    const words = toWords(partial);
    const seen = alreadySeen ? toWords(alreadySeen) : [];
    let best: { marker: Marker; at: number } | null = null;
    for (const m of this.markers) {
      const here = occurrences(words, m);
      const before = seen.length > 0 ? occurrences(seen, m).length : 0;
      if (here.length <= before) continue;
      const at = here[before];
      if (!best || at < best.at || (at === best.at && m.words.length > best.marker.words.length)) best = { marker: m, at };
    }
    return best ? best.marker.marker : null;
  }
}
