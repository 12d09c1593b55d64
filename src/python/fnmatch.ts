import { longGlobMatcher } from './fnmatch-long.js';
import { fnmatchRegExp } from './fnmatch-translate.js';

export { fnmatchRegExp } from './fnmatch-translate.js';

/**
 * The longest pattern (in UTF-16 units) matched with a RegExp. V8 refuses RegExps that Python's
 * `re` compiles: a glob of a few tens of thousands of characters fails on its first match with
 * "Regular expression too large", "Too many captures" or a stack overflow, and a target, a key
 * glob or a job search from a request may be that long. Longer patterns match with
 * {@link longGlobMatcher}: the same answers, no RegExp, and a name shorter than the pattern is
 * refused by its length.
 */
export const MAX_REGEXP_GLOB_LENGTH = 1024;

export type NameMatcher = (name: string) => boolean;

/** Python's `fnmatch.fnmatchcase(name, pattern)` for every name, the pattern compiled once. */
export function fnmatchMatcher(pattern: string): NameMatcher {
  if (pattern.length <= MAX_REGEXP_GLOB_LENGTH) {
    const re = fnmatchRegExp(pattern);
    return (name) => re.test(name);
  }
  return longGlobMatcher(pattern);
}

const MAX_CACHED = 1000;
/** Compiled patterns, short ones only: a cache of long ones could hold megabytes of a request's text. */
const compiled = new Map<string, NameMatcher>();
/** The last long pattern, compiled: one target is matched against every minion id in turn. */
let lastLong: { pattern: string; matcher: NameMatcher } | undefined;

function cachedMatcher(pattern: string): NameMatcher {
  if (pattern.length > MAX_REGEXP_GLOB_LENGTH) {
    if (lastLong?.pattern !== pattern) lastLong = { pattern, matcher: fnmatchMatcher(pattern) };
    return lastLong.matcher;
  }
  let matcher = compiled.get(pattern);
  if (matcher === undefined) {
    matcher = fnmatchMatcher(pattern);
    if (compiled.size >= MAX_CACHED) compiled.clear();
    compiled.set(pattern, matcher);
  }
  return matcher;
}

/** Python's `fnmatch.fnmatch(name, pattern)` on POSIX (the same as `fnmatchcase`). */
export function fnmatch(name: string, pattern: string): boolean {
  return cachedMatcher(pattern)(name);
}
