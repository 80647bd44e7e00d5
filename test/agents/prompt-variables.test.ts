import { describe, expect, it } from 'vitest';
import { fillVariables } from '../../src/agents/prompt-variables.js';

describe('fillVariables', () => {
  it('puts the call values in and leaves unknown names and single braces alone', () => {
    const text = 'Hello {{ name }}, you called {{called}} about {{topic}}; {slot} stays.';
    expect(fillVariables(text, { name: 'Ada', called: '+15550100' })).toBe('Hello Ada, you called +15550100 about {{topic}}; {slot} stays.');
  });

  it('does not read inherited properties as variables', () => {
    expect(fillVariables('{{constructor}} {{toString}}', {})).toBe('{{constructor}} {{toString}}');
  });
});
