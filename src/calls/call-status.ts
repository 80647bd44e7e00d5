// How a call ended, from the free-text reason on its `call.ended` event: the `status` label of
// parley_calls_total and the base of the stored status (call-persistence.ts): completed, failed, abandoned.

export type CallEndStatus = 'completed' | 'failed' | 'abandoned';

/** Reasons the server gives today, and what they mean. */
const KNOWN: Record<string, CallEndStatus> = {
  'client ended the session': 'completed',
  'conversation finished': 'completed',
  'handed over to a person': 'completed',
  'client did not reconnect': 'abandoned',
  'server shutting down': 'abandoned',
};

/**
 * A known reason maps as listed above; any other reason that speaks of an error, a failure, a
 * budget or a refusal is `failed`; anything else ended on purpose and is `completed`.
 */
export function callStatusOf(reason: string): CallEndStatus {
  const known = KNOWN[reason];
  if (known) return known;
  return /error|fail|budget|refused|exhausted|timed? ?out/i.test(reason) ? 'failed' : 'completed';
}
