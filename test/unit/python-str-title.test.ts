import { describe, expect, it } from 'vitest';
import { asciiTitle } from '../../src/python/str-title.js';

describe('asciiTitle (str.title() of header names)', () => {
  // Each pair as Python 3.11 prints `name.title()`.
  it.each([
    ['x-auth-token', 'X-Auth-Token'],
    ['X-GITHUB-EVENT', 'X-Github-Event'],
    ['content-md5', 'Content-Md5'],
    ['x_my_secret', 'X_My_Secret'],
    ['CONTENT-TYPE', 'Content-Type'],
    ['a1b-c_d', 'A1B-C_D'],
    ['x--y', 'X--Y'],
    ['abc9def', 'Abc9Def'],
    ['HTTP2-settings', 'Http2-Settings'],
    ['dnt', 'Dnt'],
  ])('%s → %s', (name, title) => {
    expect(asciiTitle(name)).toBe(title);
  });
});
