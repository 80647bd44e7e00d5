// Parsing ElevenLabs server messages: audio, both final-flag spellings, errors, and garbage refused.
import { describe, expect, it } from 'vitest';
import { kindForErrorCode, parseServerMessage } from '../../../src/providers/elevenlabs/elevenlabs-messages.js';
import { providerErrorOf } from '../../helpers/provider-failure.js';

const parse = (value: unknown) => parseServerMessage('elevenlabs', typeof value === 'string' ? value : JSON.stringify(value));


describe('parseServerMessage', () => {
  it('decodes base64 audio and prefers alignment over normalizedAlignment', () => {
    const m = parse({
      audio: Buffer.from([1, 2, 3]).toString('base64'),
      isFinal: false,
      alignment: { chars: ['A'], charStartTimesMs: [0], charsDurationsMs: [5] },
      normalizedAlignment: { chars: ['a'], charStartTimesMs: [0], charsDurationsMs: [5] },
    });
    expect(Array.from(m.audio!)).toEqual([1, 2, 3]);
    expect(m.alignment!.chars).toEqual(['A']);
    expect(m.isFinal).toBe(false);
  });

  it('falls back to normalizedAlignment when alignment is null', () => {
    const m = parse({ audio: 'AAAA', alignment: null, normalizedAlignment: { chars: ['a'], charStartTimesMs: [0], charDurationsMs: [5] } });
    expect(m.alignment!.chars).toEqual(['a']);
  });

  it('accepts isFinal and is_final, with or without audio, and reads contextId / context_id', () => {
    expect(parse({ isFinal: true }).isFinal).toBe(true);
    expect(parse({ is_final: true, context_id: 'c' })).toMatchObject({ isFinal: true, contextId: 'c', audio: null });
    expect(parse({ audio: null, isFinal: true, contextId: 'd' })).toMatchObject({ isFinal: true, contextId: 'd', audio: null });
  });

  it('reports error messages with their vendor code', () => {
    const m = parse({ message: 'Have not received a new text input within the timeout', error: 'input_timeout_exceeded', code: 1008 });
    expect(m.error).toEqual({ code: 'input_timeout_exceeded', message: 'Have not received a new text input within the timeout' });
    expect(kindForErrorCode('input_timeout_exceeded')).toBe('timeout');
    expect(kindForErrorCode('invalid_api_key')).toBe('auth');
    expect(kindForErrorCode('too_many_concurrent_requests')).toBe('rate_limited');
    expect(kindForErrorCode('quota_exceeded')).toBe('quota');
    expect(kindForErrorCode('something_new')).toBe('server');
  });

  it('ignores unknown messages (e.g. flush_done)', () => {
    expect(parse({ type: 'flush_done', contextId: 'x' })).toMatchObject({ audio: null, alignment: null, isFinal: false, error: null });
  });

  it('refuses non-JSON, non-object JSON, and audio that is not base64', () => {
    for (const bad of ['<html>502</html>', '[1,2]', '"text"', JSON.stringify({ audio: 'not base64 at all!' }), JSON.stringify({ audio: 42 }), JSON.stringify({ audio: 'AAAAA' })]) {
      const err = providerErrorOf(() => parse(bad));
      expect(err.kind).toBe('protocol');
      expect(err.code).toBe('malformed_message');
    }
  });
});
