/**
 * Python's `fnmatch` (Lib/fnmatch.py of Python 3.11) as Salt uses it for targeting, key and job
 * matching, event tags and `include` globs: `*`, `?`, `[seq]`, `[!seq]` with ranges, everything
 * else literal (there is no escape character). Case-sensitive, as `fnmatch.fnmatch` is on POSIX.
 *
 * `fnmatchRegExp` follows `fnmatch.translate` step by step, on code points as Python strings are,
 * and writes the result as a JavaScript RegExp: a range whose ends are out of order is dropped, an
 * empty set never matches, `[!]`-style negated empty sets match any character, and the atomic
 * groups Python uses so that `*a*a*a…` cannot backtrack without end are written as a lookahead
 * and a back-reference (a JavaScript lookahead is atomic).
 */

/** `*` before it is joined with the fixed pieces around it. */
const STAR = Symbol('star');
type Piece = string | typeof STAR;

/** What JavaScript treats as syntax outside a character class (with the `u` flag). */
const SYNTAX = /[\\^$.*+?()[\]{}|/]/g;
/** What must be escaped inside a character class so that it stands for itself. */
const SET_SYNTAX = /[\\\]^[-]/g;

const codePoint = (char: string): number => char.codePointAt(0) ?? 0;
const escapeLiteral = (char: string): string => char.replace(SYNTAX, '\\$&');
const escapeInSet = (text: string): string => text.replace(SET_SYNTAX, '\\$&');

/**
 * The set `chars[start..end)` (what is between `[` and `]`) split on the hyphens that make
 * ranges, as `translate` splits it: the hyphen right after `[` or `[!` is literal, and a hyphen
 * last is literal too.
 */
function rangeChunks(chars: readonly string[], start: number, end: number): string[][] {
  const chunks: string[][] = [];
  let from = start;
  let k = chars[start] === '!' ? start + 2 : start + 1;
  for (;;) {
    k = chars.indexOf('-', k);
    if (k < 0 || k >= end) break;
    chunks.push(chars.slice(from, k));
    from = k + 1;
    k += 3;
  }
  const last = chars.slice(from, end);
  const previous = chunks[chunks.length - 1];
  if (last.length > 0 || previous === undefined) chunks.push(last);
  else previous.push('-');
  // Ranges whose ends are out of order are removed (they are errors in a regular expression).
  for (let i = chunks.length - 1; i > 0; i--) {
    const before = chunks[i - 1] ?? [];
    const after = chunks[i] ?? [];
    if (before.length > 0 && after.length > 0 && codePoint(before.at(-1) ?? '') > codePoint(after[0] ?? '')) {
      chunks[i - 1] = [...before.slice(0, -1), ...after.slice(1)];
      chunks.splice(i, 1);
    }
  }
  return chunks;
}

/** One `[...]` set as a regular expression: `chars[start..end)` is its content. */
function setPiece(chars: readonly string[], start: number, end: number): string {
  const content = chars.slice(start, end);
  const chunks = content.includes('-') ? rangeChunks(chars, start, end) : [content];
  const flat = chunks.flat();
  if (flat.length === 0) return '(?!)';
  if (flat.length === 1 && flat[0] === '!') return '.';
  const negated = flat[0] === '!';
  if (negated) chunks[0] = (chunks[0] ?? []).slice(1);
  const body = chunks.map((chunk) => escapeInSet(chunk.join(''))).join('-');
  return `[${negated ? '^' : ''}${body}]`;
}

/** The first pass of `translate`: one piece per pattern element, runs of `*` as one STAR. */
function pieces(pattern: string): Piece[] {
  const chars = Array.from(pattern);
  const n = chars.length;
  const out: Piece[] = [];
  let i = 0;
  while (i < n) {
    const c = chars[i++] ?? '';
    if (c === '*') {
      if (out.at(-1) !== STAR) out.push(STAR);
    } else if (c === '?') out.push('.');
    else if (c === '[') {
      let j = i;
      if (chars[j] === '!') j++;
      if (chars[j] === ']') j++;
      while (j < n && chars[j] !== ']') j++;
      if (j >= n) out.push('\\[');
      else {
        out.push(setPiece(chars, i, j));
        i = j + 1;
      }
    } else out.push(escapeLiteral(c));
  }
  return out;
}

/** The second pass: `STAR fixed` inside the pattern matches the shortest run, atomically. */
function regExpSource(parts: readonly Piece[]): string {
  let source = '';
  let i = 0;
  while (i < parts.length && parts[i] !== STAR) source += parts[i++] as string;
  let group = 0;
  while (i < parts.length) {
    i++; // the STAR
    let fixed = '';
    while (i < parts.length && parts[i] !== STAR) fixed += parts[i++] as string;
    if (i === parts.length) source += `.*${fixed}`;
    else {
      group++;
      source += `(?=(.*?${fixed}))\\${group}`;
    }
  }
  return source;
}

/** Python's `fnmatch.translate(pattern)`, as an anchored JavaScript RegExp. */
export function fnmatchRegExp(pattern: string): RegExp {
  return new RegExp(`^(?:${regExpSource(pieces(pattern))})$`, 'su');
}
