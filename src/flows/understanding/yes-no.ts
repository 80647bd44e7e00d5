// Yes or no, in the many ways people say them. Negative phrases are checked first ("that's not
// right" contains "right"), after removing idioms that look negative but agree ("no problem").
import { tokenize } from './normalize.js';

export type YesNo = 'yes' | 'no';

const AGREEING_IDIOMS = [
  'no problem', 'not a problem', 'no worries', 'why not', 'no doubt', 'do not mind', 'not at all a problem',
  'can not complain', 'i do not see why not', 'no no that is right', 'not bad',
];

const NO_PHRASES = [
  'no', 'nope', 'nah', 'naw', 'negative', 'not really', 'not quite', 'not exactly', 'not right', 'not correct',
  'wrong', 'incorrect', 'do not', 'does not', 'did not', 'is not', 'not that', 'never', 'nevermind', 'never mind',
  'i would rather not', 'rather not', 'no thanks', 'no thank you', 'not now', 'not today', 'cancel that',
  'hold on', 'wait', 'that is not it', 'no way', 'not at all', 'not yet', 'nothing',
];

const YES_PHRASES = [
  'yes', 'yeah', 'yea', 'yep', 'yup', 'ya', 'yah', 'yas', 'aye', 'sure', 'surely', 'correct', 'right', 'alright',
  'all right', 'ok', 'okay', 'k', 'kay', 'fine', 'good', 'great', 'perfect', 'excellent', 'absolutely', 'definitely',
  'certainly', 'of course', 'indeed', 'exactly', 'affirmative', 'please', 'please do', 'go ahead', 'go for it',
  'do it', 'book it', 'sounds good', 'sounds great', 'sounds fine', 'that works', 'works for me', 'that is it',
  'that is right', 'that is correct', 'that is fine', 'you got it', 'uh huh', 'mhm', 'mm hmm', 'yes please',
  'i do', 'i would', 'i would like that', 'let us do it', 'lets do it', 'confirm', 'confirmed', 'true', 'agreed', 'why not',
];

/** 'yes', 'no', or null when the utterance says neither. */
export function classifyYesNo(text: string): YesNo | null {
  let said = ` ${tokenize(text).join(' ')} `;
  if (said.trim() === '') return null;
  const agreeing = AGREEING_IDIOMS.some((p) => said.includes(` ${p} `));
  for (const idiom of AGREEING_IDIOMS) said = said.split(` ${idiom} `).join(' ');
  if (NO_PHRASES.some((p) => said.includes(` ${p} `))) return 'no';
  if (agreeing || YES_PHRASES.some((p) => said.includes(` ${p} `))) return 'yes';
  return null;
}
