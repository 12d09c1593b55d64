import { fnmatchMatcher } from '../python/fnmatch.js';
import { reMatchRegExp } from '../python/re-match.js';

/**
 * Salt's event tag matching (`event_match_type`, docs/wire-protocol.md "Tag matching"): startswith
 * (the default), endswith, find (substring), regex (anchored at the start, like Python's re.match)
 * and fnmatch.
 */
export type TagMatchType = 'startswith' | 'endswith' | 'find' | 'regex' | 'fnmatch';

export type TagMatcher = (tag: string) => boolean;

export function tagMatcher(pattern: string, type: TagMatchType = 'startswith'): TagMatcher {
  switch (type) {
    case 'startswith':
      return (tag) => tag.startsWith(pattern);
    case 'endswith':
      return (tag) => tag.endsWith(pattern);
    case 'find':
      return (tag) => tag.includes(pattern);
    case 'regex': {
      const re = reMatchRegExp(pattern);
      return (tag) => re.test(tag);
    }
    case 'fnmatch':
      return fnmatchMatcher(pattern);
  }
}
