import { describe, expect, it } from 'vitest';
import { isKeypadKey, keypadText, readKeypad } from '../../src/turn/keypad.js';

describe('keypad text', () => {
  it('accepts exactly the sixteen keys of RFC 4733', () => {
    for (const key of '0123456789*#ABCD') expect(isKeypadKey(key)).toBe(true);
    for (const key of ['', 'a', 'E', '12', ' ', '+', 'w']) expect(isKeypadKey(key)).toBe(false);
  });

  it('writes an entry as "[keypad] keys" and reads it back', () => {
    expect(keypadText('1234')).toBe('[keypad] 1234');
    expect(readKeypad(keypadText('12*#'))).toEqual({ keys: '12*#', spoken: '' });
  });

  it('reads keys out of a message with words, and joins several entries in order', () => {
    expect(readKeypad('my account is [keypad] 5566')).toEqual({ keys: '5566', spoken: 'my account is' });
    expect(readKeypad('[keypad] 12 [keypad] 34')).toEqual({ keys: '1234', spoken: '' });
  });

  it('finds nothing in plain words, even about a keypad', () => {
    expect(readKeypad('I pressed one on the keypad')).toBeNull();
    expect(readKeypad('[keypad]')).toBeNull();
    expect(readKeypad('')).toBeNull();
  });
});
