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
      const re = new RegExp(`^(?:${pattern})`);
      return (tag) => re.test(tag);
    }
    case 'fnmatch': {
      const re = fnmatchRegExp(pattern);
      return (tag) => re.test(tag);
    }
  }
}

/** Python's `fnmatch.translate`: `*`, `?`, `[seq]`, `[!seq]`; everything else literal. */
export function fnmatchRegExp(pattern: string): RegExp {
  let out = '';
  const n = pattern.length;
  let i = 0;
  while (i < n) {
    const c = pattern[i++]!;
    if (c === '*') out += '[\\s\\S]*';
    else if (c === '?') out += '[\\s\\S]';
    else if (c === '[') {
      let j = i;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < n && pattern[j] !== ']') j++;
      if (j >= n) {
        out += '\\[';
        continue;
      }
      let set = pattern.slice(i, j).replace(/\\/g, '\\\\');
      i = j + 1;
      if (set.startsWith('!')) set = `^${set.slice(1)}`;
      else if (set.startsWith('^') || set.startsWith('[')) set = `\\${set}`;
      out += `[${set}]`;
    } else out += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}
