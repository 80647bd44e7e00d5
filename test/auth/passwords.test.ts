// Password hashing: scrypt with a salt per hash, parameters carried in the encoding, constant-time
// verification, a minimum length, and refusal of malformed or extravagant encodings.
import { describe, expect, it } from 'vitest';
import { hashPassword, passwordProblem, verifyAgainstDummy, verifyPassword } from '../../src/auth/passwords.js';

const cheap = { N: 1024, r: 8, p: 1 };

describe('passwords', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
  });

  it('salts every hash and keeps working when parameters change', async () => {
    const a = await hashPassword('same password!', cheap);
    const b = await hashPassword('same password!', cheap);
    expect(a).not.toBe(b);
    expect(a.startsWith('scrypt$1024$8$1$')).toBe(true);
    expect(await verifyPassword('same password!', a)).toBe(true);
    expect(await verifyPassword('same password!', b)).toBe(true);
  });

  it('refuses short passwords', async () => {
    expect(passwordProblem('123456789')).toBe('must be at least 10 characters');
    expect(passwordProblem('1234567890')).toBeNull();
    await expect(hashPassword('short')).rejects.toThrow('password must be at least 10 characters');
  });

  it('treats malformed or extravagant encodings as a mismatch', async () => {
    const hash = await hashPassword('a fine password', cheap);
    const parts = hash.split('$');
    for (const bad of ['', 'plain', 'bcrypt$x', [...parts.slice(0, 5)].join('$'), ['scrypt', 2 ** 30, 8, 1, parts[4], parts[5]].join('$'), ['scrypt', 1000, 8, 1, parts[4], parts[5]].join('$')]) {
      expect(await verifyPassword('a fine password', bad), bad).toBe(false);
    }
  });

  it('does the work of one verification for unknown users', async () => {
    expect(await verifyAgainstDummy('anything at all')).toBe(false);
  });
});
