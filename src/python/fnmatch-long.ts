import { codePoints, matchParts, segmentsOf, type Atom, type MatchMeter } from './fnmatch-linear.js';
import { fnmatchRegExp } from './fnmatch-translate.js';

/** An atom as the long matcher asks it: a set by its text, its RegExp made when a name first reaches it. */
type LongAtom = { kind: 'char'; cp: number } | { kind: 'any' } | { kind: 'set'; text: string };

/**
 * fnmatch for a pattern too long for a RegExp (fnmatch.ts): a target, a key glob or a job search
 * of tens of KB from a request. Nothing is built per pattern beyond its atoms, and a name shorter
 * than the pattern's fixed atoms (every atom but the stars) is refused at once, so a long pattern
 * against short names (minion ids, hosts) costs one length check each. Otherwise the parts between
 * the stars are matched as CompiledGlob matches them (matchParts), each part looked for position by
 * position: at most name length × pattern length steps.
 */
export function longGlobMatcher(pattern: string): (name: string) => boolean {
  const segments: LongAtom[][] = segmentsOf(pattern).map((segment) =>
    segment.map((atom: Atom) => (atom.kind === 'set' ? { kind: 'set', text: atom.text.join('') } : atom)),
  );
  const fixed = segments.reduce((count, segment) => count + segment.length, 0);
  const sets = new Map<string, RegExp>();
  const atomMatches = (atom: LongAtom, cp: number): boolean => {
    if (atom.kind === 'char') return atom.cp === cp;
    if (atom.kind === 'any') return true;
    let re = sets.get(atom.text);
    if (re === undefined) sets.set(atom.text, (re = fnmatchRegExp(`[${atom.text}]`)));
    return re.test(String.fromCodePoint(cp));
  };
  const matchesAt = (segment: readonly LongAtom[], cps: readonly number[], at: number, meter: MatchMeter): boolean => {
    meter.steps += segment.length;
    for (let j = 0; j < segment.length; j++) if (!atomMatches(segment[j]!, cps[at + j] ?? -1)) return false;
    return true;
  };
  const find = (segment: readonly LongAtom[], cps: readonly number[], from: number, to: number, meter: MatchMeter) => {
    for (let at = from; at + segment.length <= to; at++) if (matchesAt(segment, cps, at, meter)) return at;
    return -1;
  };
  const meter: MatchMeter = { steps: 0 };
  return (name) => {
    const cps = codePoints(name);
    return cps.length >= fixed && matchParts(segments, cps, meter, matchesAt, find);
  };
}
