/**
 * Python's `glob.glob` (non-recursive), which Salt uses to expand `include` and `default_include`:
 * `*`, `?` and `[...]` within one path component, hidden entries only when the pattern starts with '.'.
 * Results are unsorted, as in Python; callers sort.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const MAGIC = /[*?[]/;

const hasMagic = (pattern: string): boolean => MAGIC.test(pattern);

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function listDirectory(path: string): string[] {
  try {
    return readdirSync(path === '' ? '.' : path);
  } catch {
    return [];
  }
}

const escapeRegExp = (text: string): string => text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');

/** fnmatch.translate: '*' → any run, '?' → one character, '[!x]' → negated class, an unclosed '[' is literal. */
function fnmatchRegExp(pattern: string): RegExp {
  let source = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern.charAt(index);
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      let end = index + 1;
      if (pattern[end] === '!') end += 1;
      if (pattern[end] === ']') end += 1;
      while (end < pattern.length && pattern[end] !== ']') end += 1;
      if (end >= pattern.length) {
        source += '\\[';
        continue;
      }
      let body = pattern.slice(index + 1, end).replace(/\\/g, '\\\\');
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      else if (body.startsWith('^')) body = `\\${body}`;
      source += `[${body}]`;
      index = end;
    } else source += escapeRegExp(char);
  }
  return new RegExp(`^${source}$`, 's');
}

export function globPaths(pattern: string): string[] {
  if (!hasMagic(pattern)) return exists(pattern) ? [pattern] : [];
  const directory = dirname(pattern);
  const name = basename(pattern);
  const directories = directory !== pattern && hasMagic(directory) ? globPaths(directory) : [directory];
  const results: string[] = [];
  for (const parent of directories) {
    if (!hasMagic(name)) {
      if (exists(join(parent, name))) results.push(join(parent, name));
      continue;
    }
    const matcher = fnmatchRegExp(name);
    for (const entry of listDirectory(parent)) {
      if (entry.startsWith('.') && !name.startsWith('.')) continue;
      if (matcher.test(entry)) results.push(join(parent, entry));
    }
  }
  return results;
}
