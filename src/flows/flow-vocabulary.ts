// The words a flow expects to hear, for restricting an offline recogniser (e.g. a pocketsphinx
// dictionary or language model) to the agent's domain: the flow's intent examples and prompts,
// plus everything the extractors understand (numbers, days, months, times, yes/no, corrections).
// Names cannot be listed; a recogniser restricted to this list will not hear them, so keep a
// general model for nodes that ask for names (or add the expected names via `extra`).
import type { Flow } from './flow-types.js';
import { MONTHS, WEEKDAYS } from './understanding/dates.js';
import { tokenize } from './understanding/normalize.js';
import { TENS, UNITS } from './understanding/number-words.js';

const EXTRACTOR_WORDS = `
  today tomorrow tonight morning afternoon evening night day days week weeks next this coming on the
  of in a after before at around about by until half quarter past to oclock o clock am pm a m p m noon
  midday midnight hundred thousand and oh double triple plus dash hyphen dot underscore email
  first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth
  fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth thirtieth
  yes yeah yep yup sure correct right okay ok alright absolutely definitely please go ahead perfect fine
  no nope nah not never mind wrong incorrect thanks thank you wait sorry actually said meant mean make
  it change instead rather should be my name is this i am its call me under phone number speaking
`;

/** Lower-case words the flow can understand, sorted, without duplicates. */
export function flowVocabulary(flow: Flow, extra: readonly string[] = []): string[] {
  const words = new Set<string>();
  const add = (text: string) => {
    for (const t of tokenize(text)) if (/^[a-z']+$/.test(t)) words.add(t);
  };
  for (const examples of Object.values(flow.intents)) examples.forEach(add);
  for (const node of Object.values(flow.nodes)) {
    add((node.say ?? '').replace(/\{[^}]*\}/g, ' '));
    add((node.reprompt ?? '').replace(/\{[^}]*\}/g, ' '));
  }
  add(EXTRACTOR_WORDS);
  [...Object.keys(UNITS), ...Object.keys(TENS), ...WEEKDAYS, ...MONTHS].forEach(add);
  extra.forEach(add);
  return [...words].sort();
}
