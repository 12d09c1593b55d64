import { describe, expect, it } from 'vitest';
import { loginPerms } from '../../src/http/auth/perms.js';
import { tokenRecord as record } from '../support/token-record.js';

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
