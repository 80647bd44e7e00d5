// Understanding the caller: offline intent matching and slot extractors for ASR-style text, and
// the understanders (matcher, LLM with function calling) a flow node reads the words with.
export { tokenize, normalizeText, stem } from './normalize.js';
export { jaroWinkler, levenshtein, levenshteinRatio, wordSimilarity } from './similarity.js';
export { IntentMatcher, type IntentExamples, type IntentScore } from './intent-matcher.js';
export { todayIn, type ExtractContext } from './calendar.js';
export { extractDate, findDates, type ValueMatch } from './dates.js';
export { extractTime, findTimes, type TimeOptions } from './times.js';
export { extractNumber, findNumbers } from './numbers.js';
export { extractName, type NameOptions } from './names.js';
export { extractPhone, type PhoneOptions } from './phones.js';
export { extractEmail } from './emails.js';
export { classifyYesNo, type YesNo } from './yes-no.js';
export { detectCorrection, isNegated, type CorrectionMarker } from './corrections.js';
export { extractSlot, findSlotValues, isSlotType, SLOT_TYPES, type SlotMatch, type SlotType, type SlotValue } from './slots.js';
export { MatcherUnderstander, type FlowUnderstander, type UnderstandRequest } from './understander.js';
export { LlmUnderstander, type LlmUnderstanderOptions } from './llm-understander.js';
export { UnderstandingCache } from './understanding-cache.js';
export { understandingFunctions, type FunctionMeaning, type UnderstandingFunctions } from './understanding-tools.js';
export { understandingMessages } from './understanding-prompt.js';
export { normalizeSlotValue, readSlotArguments, type SlotReading } from './slot-arguments.js';
