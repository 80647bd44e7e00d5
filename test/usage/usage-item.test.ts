import { describe, expect, it } from 'vitest';
import type { UsageItem } from '../../src/usage/index.js';
import { InvalidUsageError, validateUsageItem } from '../../src/usage/index.js';

const good: UsageItem = { kind: 'stt', provider: 'deepgram', model: 'nova-3', unit: 'audio_seconds', quantity: 1.5 };

function rejection(item: unknown): InvalidUsageError {
  try {
    validateUsageItem(item as UsageItem);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidUsageError);
    return err as InvalidUsageError;
  }
  throw new Error('expected an InvalidUsageError');
}

describe('validateUsageItem', () => {
  it('accepts well-formed items, including quantity 0 and a null turnId', () => {
    expect(validateUsageItem(good)).toBe(good);
    expect(() => validateUsageItem({ ...good, quantity: 0, turnId: null })).not.toThrow();
    expect(() => validateUsageItem({ kind: 'llm', provider: 'openai', model: 'gpt-4o-mini', unit: 'completion_tokens', quantity: 12, turnId: 't1' })).not.toThrow();
  });

  it('rejects negative, NaN and infinite quantities with a message naming the item', () => {
    expect(rejection({ ...good, quantity: -1 }).message).toMatch(/stt:deepgram\/nova-3.*quantity must be a finite number >= 0, got -1/);
    expect(rejection({ ...good, quantity: Number.NaN }).message).toMatch(/got NaN/);
    expect(rejection({ ...good, quantity: Number.POSITIVE_INFINITY }).message).toMatch(/got Infinity/);
    expect(rejection({ ...good, quantity: '3' }).message).toMatch(/quantity/);
  });

  it('rejects a unit that does not belong to the kind', () => {
    expect(rejection({ ...good, kind: 'tts', unit: 'minutes' }).message).toMatch(/unit for tts must be characters, got minutes/);
    expect(rejection({ ...good, kind: 'llm', unit: 'characters' }).message).toMatch(/prompt_tokens or completion_tokens/);
  });

  it('rejects unknown kinds, empty names and empty turn ids', () => {
    expect(rejection({ ...good, kind: 'video' }).message).toMatch(/kind must be one of/);
    expect(rejection({ ...good, provider: '' }).message).toMatch(/provider/);
    expect(rejection({ ...good, model: '' }).message).toMatch(/model/);
    expect(rejection({ ...good, turnId: '' }).message).toMatch(/turnId/);
    expect(rejection(null).message).toMatch(/object/);
  });
});
