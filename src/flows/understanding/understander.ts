// How a listening node reads the caller's words: the built-in matcher (example phrases and slot
// extractors, no I/O) or an LLM with function calling (llm-understander.ts). FlowLlm asks an
// understander before it hands the words to the engine, so the engine itself never waits on I/O.
import type { Listener, Understood } from '../flow-engine.js';
import type { Flow } from '../flow-types.js';
import { understand } from '../flow-understand.js';
import type { ExtractContext } from './calendar.js';
import type { IntentMatcher } from './intent-matcher.js';

export type UnderstandRequest = Listener & {
  flow: Flow;
  text: string;
  ctx: ExtractContext;
  signal: AbortSignal;
};

export interface FlowUnderstander {
  /** Throws AbortedError when `signal` fires; any other failure is the understander's to absorb. */
  understand(request: UnderstandRequest): Promise<Understood>;
}

export class MatcherUnderstander implements FlowUnderstander {
  constructor(private readonly matcher: IntentMatcher) {}

  understand(request: UnderstandRequest): Promise<Understood> {
    return Promise.resolve({ heard: this.understandNow(request), by: 'matcher' });
  }

  understandNow({ flow, node, slots, filledOrder, text, ctx }: Omit<UnderstandRequest, 'signal'>): Understood['heard'] {
    return understand({ flow, matcher: this.matcher, node, slots, filledOrder, text, ctx });
  }
}
