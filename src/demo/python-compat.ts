import { Float64 } from '../salt/codec/values.js';
import { fnmatchRegExp } from '../salt/tag-match.js';

/**
 * The bits of Python semantics Salt's matching relies on: `fnmatch` (shell-style globs, used
 * for targeting, key matching and job searches; case-sensitive as on POSIX), `re.match`
 * (anchored at the start only) and `str()` of decoded values.
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
export function pythonStr(value: unknown): string {
  return typeof value === 'string' ? value : pythonRepr(value);
}

function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (value instanceof Uint8Array) return `b'${Buffer.from(value).toString('latin1')}'`;
  if (value instanceof Float64) return Number.isInteger(value.value) ? `${value.value}.0` : String(value.value);
  if (typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`)
      .join(', ')}}`;
  }
  // Objects are handled above; what is left is a primitive (the type is only narrowed to `{}`).
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  return String(value);
}
