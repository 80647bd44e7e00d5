// Text for espeak-ng goes through stdin (`--stdin`), never a shell or argv, so a leading '-' cannot
// become an option. SSML is off (no `-m`), so `<`, `>` and `&` are read as plain text. What is
// left to neutralise is what espeak interprets even in plain text.

// C0 controls other than tab/newline/carriage return, and DEL. A NUL would end the text early
// (espeak treats its input as a C string).
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/**
 * The text as espeak-ng should receive it: control characters become spaces, and `[[`, which
 * espeak takes as the start of raw phoneme input (`[[h@l'oU]]`), is broken up so it is spoken as
 * text. Returns '' when nothing but whitespace is left.
 */
export function speakableText(text: string): string {
  const cleaned = text.replace(CONTROL_CHARS, ' ').replace(/\[(?=\[)/g, '[ ');
  return cleaned.trim() ? cleaned : '';
}
