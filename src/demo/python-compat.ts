import { fnmatchRegExp } from '../salt/tag-match.js';

/**
 * The bits of Python semantics Salt's matching relies on: `fnmatch` (shell-style globs, used
 * for targeting, key matching and job searches; case-sensitive as on POSIX), `re.match`
 * (anchored at the start only) and `str()` of decoded values (src/python/repr.ts).
 */

const cache = new Map<string, RegExp>();

export function fnmatch(name: string, pattern: string): boolean {
  let re = cache.get(pattern);
  if (re === undefined) {
    re = fnmatchRegExp(pattern);
    if (cache.size > 1000) cache.clear();
    cache.set(pattern, re);
  }
  return re.test(name);
}

/** Python's `re.match`: anchored at the start only. Invalid patterns match nothing. */
export function reMatch(pattern: string, text: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})`).test(text);
  } catch {
    return false;
  }
}

/** Python's `str()` of a decoded value, for matching arguments and grains as Salt does. */
export { pythonStr } from '../python/repr.js';
