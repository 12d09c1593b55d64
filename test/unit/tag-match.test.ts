import { describe, expect, it } from 'vitest';
import { tagMatcher } from '../../src/salt/tag-match.js';

describe('tagMatcher', () => {
  it('matches by prefix by default, as LocalClient listens for salt/job/<jid>', () => {
    const m = tagMatcher('salt/job/20261123084329757574');
    expect(m('salt/job/20261123084329757574/ret/minion-1')).toBe(true);
    expect(m('salt/run/20261123084329757574/ret')).toBe(false);
  });

  it('supports endswith, find and anchored regex', () => {
    expect(tagMatcher('/ret', 'endswith')('salt/run/1/ret')).toBe(true);
    expect(tagMatcher('hook', 'find')('salt/netapi/hook/x')).toBe(true);
    expect(tagMatcher('salt/(run|wheel)/', 'regex')('salt/wheel/1/new')).toBe(true);
    expect(tagMatcher('run/', 'regex')('salt/run/1')).toBe(false);
  });

  it('implements Python fnmatch wildcards and sets', () => {
    const m = tagMatcher('salt/job/*/ret/minion-[12]', 'fnmatch');
    expect(m('salt/job/1/ret/minion-1')).toBe(true);
    expect(m('salt/job/1/ret/minion-3')).toBe(false);
    expect(tagMatcher('a?c[!x]', 'fnmatch')('abcd')).toBe(true);
    expect(tagMatcher('a.c', 'fnmatch')('abc')).toBe(false);
    expect(tagMatcher('[', 'fnmatch')('[')).toBe(true);
  });

  it('matches sets and ranges as fnmatch does: a leading ], a reversed range, astral characters', () => {
    expect(tagMatcher('salt/[]]', 'fnmatch')('salt/]')).toBe(true);
    expect(tagMatcher('salt/[z-a]x', 'fnmatch')('salt/ax')).toBe(false);
    expect(tagMatcher('salt/[!z-a]x', 'fnmatch')('salt/ax')).toBe(true);
    expect(tagMatcher('salt/?', 'fnmatch')('salt/😀')).toBe(true);
  });
});
