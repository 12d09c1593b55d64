import { codePoints, segmentsOf, type Atom } from './fnmatch-linear.js';
import { fnmatchRegExp } from './fnmatch-translate.js';

/**
 * fnmatch for a pattern too long for a RegExp (fnmatch.ts): a target, a key glob or a job search
 * of tens of KB from a request. Nothing is built per pattern beyond its atoms, and a name shorter
 * than the pattern's fixed atoms (every atom but the stars) is refused at once, so a long pattern
 * against short names (minion ids, hosts) costs one length check each. Otherwise the parts between
 * the stars are matched as Python's atomic `(?=(.*?fixed))` groups do: the first at the start, the
 * last at the end, each one between at its leftmost place after the one before; a part is looked
 * for position by position, at most name length × pattern length steps.
 */
export function longGlobMatcher(pattern: string): (name: string) => boolean {
  const segments = segmentsOf(pattern);
  const fixed = segments.reduce((count, segment) => count + segment.length, 0);
  /** Each set's RegExp, made the first time a name reaches it. */
  const sets = new Map<string, RegExp>();
  const atomMatches = (atom: Atom, cp: number): boolean => {
    if (atom.kind === 'char') return atom.cp === cp;
    if (atom.kind === 'any') return true;
    const text = atom.text.join('');
    let re = sets.get(text);
    if (re === undefined) sets.set(text, (re = fnmatchRegExp(`[${text}]`)));
    return re.test(String.fromCodePoint(cp));
  };
  const matchesAt = (segment: readonly Atom[], cps: readonly number[], at: number): boolean => {
    for (let j = 0; j < segment.length; j++) if (!atomMatches(segment[j]!, cps[at + j] ?? -1)) return false;
    return true;
  };
  return (name) => {
    const cps = codePoints(name);
    const n = cps.length;
    if (n < fixed) return false;
    const first = segments[0] ?? [];
    const last = segments[segments.length - 1] ?? [];
    if (segments.length === 1) return n === first.length && matchesAt(first, cps, 0);
    if (!matchesAt(first, cps, 0) || !matchesAt(last, cps, n - last.length)) return false;
    let from = first.length;
    const to = n - last.length;
    for (let k = 1; k < segments.length - 1; k++) {
      const segment = segments[k]!;
      let at = from;
      while (at + segment.length <= to && !matchesAt(segment, cps, at)) at++;
      if (at + segment.length > to) return false;
      from = at + segment.length;
    }
    return true;
  };
}
