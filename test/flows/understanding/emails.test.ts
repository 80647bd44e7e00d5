import { describe, expect, it } from 'vitest';
import { extractEmail } from '../../../src/flows/index.js';

describe('extractEmail', () => {
  it.each([
    ['john.smith@example.com', 'john.smith@example.com'],
    ['my email is John.Smith@Example.com.', 'john.smith@example.com'],
    ['john dot smith at example dot com', 'john.smith@example.com'],
    ['my email is john dot smith at example dot com', 'john.smith@example.com'],
    ['it is jane underscore doe at mail dot co dot uk', 'jane_doe@mail.co.uk'],
    ['j o h n at gmail dot com', 'john@gmail.com'],
    ['jane twenty three at gmail dot com', 'jane23@gmail.com'],
    ['bob dash jones at my dash company dot org', 'bob-jones@my-company.org'],
    ['anna five at example dot com', 'anna5@example.com'],
    ['email me at info at parley dot dev', 'info@parley.dev'],
  ])('%s → %s', (text, expected) => {
    expect(extractEmail(text)).toBe(expected);
  });

  it.each(['i will be there at three', 'at home', 'meet me at the office dot', 'john smith', ''])('finds no email in "%s"', (text) => {
    expect(extractEmail(text)).toBeNull();
  });
});
