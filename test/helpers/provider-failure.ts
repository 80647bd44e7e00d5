// The ProviderError a provider call fails with; anything else (or no failure) fails the test.
import { ProviderError } from '../../src/providers/provider-error.js';

export async function providerFailure(run: () => Promise<unknown>): Promise<ProviderError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw err;
  }
  throw new Error('expected a ProviderError');
}

/** The same for a call that fails synchronously (parsers). */
export function providerErrorOf(run: () => unknown): ProviderError {
  try {
    run();
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw err;
  }
  throw new Error('expected a ProviderError');
}
