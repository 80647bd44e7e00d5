// Keypad (DTMF) input as caller words. A keypad turn reaches the LLM and the flow engine as an
// ordinary user message, so it needs one textual form that a language model reads without being
// told and that code can find again: `[keypad] 1234`. The marker cannot come out of speech
// recognition (no STT writes square brackets), so it is never confused with spoken words.

/** The keys of a phone keypad, as RFC 4733 names them: 0-9, *, # and the rarely seen A-D. */
const KEY = /^[0-9*#A-D]$/;
const MARKER = '[keypad]';
/** A keypad segment inside a user message: the marker, then the keys pressed. */
const SEGMENT = /\[keypad\]\s*([0-9*#A-D]+)/g;

export function isKeypadKey(key: string): boolean {
  return KEY.test(key);
}

/** The user-message text of keys pressed in one keypad entry, e.g. `[keypad] 1234`. */
export function keypadText(keys: string): string {
  return `${MARKER} ${keys}`;
}

export type KeypadInput = {
  /** Every key of every keypad segment of the message, in order. */
  keys: string;
  /** The message with the keypad segments taken out (words the caller also said), trimmed. */
  spoken: string;
};

/** The keypad part of a user message; null when the caller pressed no key in it. */
export function readKeypad(text: string): KeypadInput | null {
  let keys = '';
  for (const m of text.matchAll(SEGMENT)) keys += m[1];
  if (!keys) return null;
  return { keys, spoken: text.replace(SEGMENT, ' ').replace(/\s+/g, ' ').trim() };
}
