import { describe, expect, it } from 'vitest';
import { toLlamaFunctions, toLlamaHistory } from '../../../src/providers/local/llama-chat-history.js';

describe('toLlamaHistory', () => {
  it('maps roles, attaches tool results to their calls and ends with an empty model response', () => {
    const history = toLlamaHistory([
      { role: 'system', content: 'sys' },
      { role: 'user', content: 'book me in' },
      { role: 'assistant', content: 'checking', toolCalls: [{ id: 'a', name: 'find_slots', arguments: '{"day":"mon"}' }, { id: 'b', name: 'now', arguments: 'not json' }] },
      { role: 'tool', toolCallId: 'a', content: '["9:00"]' },
      { role: 'tool', toolCallId: 'b', content: '10:00' },
      { role: 'tool', toolCallId: 'orphan', content: 'late' },
      { role: 'assistant', content: '9 works' },
    ]);
    expect(history).toEqual([
      { type: 'system', text: 'sys' },
      { type: 'user', text: 'book me in' },
      {
        type: 'model',
        response: [
          'checking',
          { type: 'functionCall', name: 'find_slots', params: { day: 'mon' }, result: '["9:00"]', startsNewChunk: true },
          { type: 'functionCall', name: 'now', params: 'not json', result: '10:00' },
        ],
      },
      { type: 'user', text: 'Tool result (orphan): late' },
      { type: 'model', response: ['9 works'] },
      { type: 'model', response: [] },
    ]);
  });

  it('functions: none without tools, name → description and schema otherwise', () => {
    expect(toLlamaFunctions(undefined)).toBeUndefined();
    expect(toLlamaFunctions([])).toBeUndefined();
    const schema = { type: 'object', properties: { day: { type: 'string' } } };
    expect(toLlamaFunctions([{ name: 'f', description: 'd', parameters: schema }])).toEqual({ f: { description: 'd', params: schema } });
  });
});
