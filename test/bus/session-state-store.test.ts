// Session state for call resume, in memory and in Redis (written by one instance, read by another).
import { afterAll, describe, expect, it } from 'vitest';
import { memoryBackend, redisBackend, until } from './backends.js';

describe.each([['memory', memoryBackend], ['redis', redisBackend]] as const)('session state store (%s)', (_name, makeBackend) => {
  const backend = makeBackend();
  afterAll(() => backend.cleanup());

  it('saves in one instance and loads in another, deletes, and expires', async () => {
    const writer = backend.openState();
    const reader = backend.openState();
    try {
      expect(await reader.load('call-1')).toBeNull();
      await writer.save('call-1', { turn: 3, node: 'ask_time' }, 60_000);
      expect(await reader.load('call-1')).toEqual({ turn: 3, node: 'ask_time' });

      await writer.save('call-1', { turn: 4, node: 'confirm' }, 60_000);
      expect(await reader.load('call-1')).toEqual({ turn: 4, node: 'confirm' });
      await reader.delete('call-1');
      expect(await writer.load('call-1')).toBeNull();

      await writer.save('call-2', { turn: 1, node: 'greet' }, 100);
      expect(await reader.load('call-2')).toEqual({ turn: 1, node: 'greet' });
      await until(async () => (await reader.load('call-2')) === null, 'the state to expire');
      expect(await writer.load('call-2')).toBeNull();
    } finally {
      await writer.close();
      await reader.close();
    }
  });
});
