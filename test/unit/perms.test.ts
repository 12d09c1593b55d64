import { describe, expect, it } from 'vitest';
import { loginPerms } from '../../src/http/auth/perms.js';
import type { TokenRecord } from '../../src/salt/clear-commands.js';

const record = (overrides: Partial<TokenRecord> = {}): TokenRecord => ({
  token: 'ab'.repeat(32),
  name: 'saltdev',
  eauth: 'pam',
  start: 1000,
  expire: 2000,
  ...overrides,
});

describe('login perms', () => {
  it("gathers user, '*' and group entries, de-duplicated", () => {
    const auth = {
      pam: {
        saltdev: ['b', { z: ['x'] }, 'a'],
        '*': ['a', { a: ['y'] }, { z: ['x'] }],
        'admins%': ['c'],
        'users%': 'not a list' as unknown as unknown[],
      },
    };
    expect(loginPerms(auth, record({ groups: ['admins', 'users'] }))).toEqual([
      'a',
      'b',
      'c',
      { a: ['y'] },
      { z: ['x'] },
    ]);
    expect(loginPerms(auth, record({ name: 'other' }))).toEqual(['a', { a: ['y'] }, { z: ['x'] }]);
    expect(loginPerms({}, record())).toEqual({});
    expect(loginPerms({ rest: {} }, record({ eauth: 'rest', auth_list: ['x.*'] }))).toEqual(['x.*']);
  });
});
