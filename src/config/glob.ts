/**
 * Python's `glob.glob` (non-recursive), which Salt uses to expand `include` and `default_include`:
 * `*`, `?` and `[...]` within one path component, hidden entries only when the pattern starts with '.'.
 * Results are unsorted, as in Python; callers sort.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fnmatchMatcher } from '../python/fnmatch.js';

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
    const matches = fnmatchMatcher(name);
    for (const entry of listDirectory(parent)) {
      if (entry.startsWith('.') && !name.startsWith('.')) continue;
      if (matches(entry)) results.push(join(parent, entry));
    }
  }
  return results;
}
