// Deepgram takes at most 2000 characters per Speak message (and per REST request), so longer text
// is cut at word boundaries into pieces that each fit.

export const MAX_SPEAK_CHARS = 2000;

export function splitSpeakText(text: string, limit = MAX_SPEAK_CHARS): string[] {
  const pieces: string[] = [];
  let rest = text.trim();
  while (rest.length > limit) {
    const window = rest.slice(0, limit + 1);
    const cut = window.lastIndexOf(' ');
    // A single "word" longer than the limit has to be cut inside it.
    const at = cut > 0 ? cut : limit;
    pieces.push(rest.slice(0, at));
    rest = rest.slice(at).trimStart();
  }
  if (rest) pieces.push(rest);
  return pieces;
}
