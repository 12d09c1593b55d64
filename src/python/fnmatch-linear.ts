import { fnmatchRegExp } from './fnmatch-translate.js';

/**
 * A glob compiled to match in time linear in the name: Python's `fnmatch` semantics
 * (`fnmatch.translate`, as fnmatch-translate.ts writes it) without a backtracking RegExp, whose
 * `.*` before a long fixed part costs tag length × glob length on every event and every stream.
 *
 * The glob is split at its stars into segments of one-character atoms (a character, `?`, a `[...]`
 * set). The first segment must match at the start, the last at the end, and the ones between are
 * found leftmost first, each search starting where the previous match ended — what Python's
 * `(?=(.*?fixed))` groups do. A search is shift-and (one bit per atom of the segment, a word per 32
 * atoms), so every character of the tag is looked at once per glob. Each character is first mapped
 * to its class: the code points are cut at every character the segment names (and the one after
 * it), between which every atom matches all or nothing, so a set costs nothing per character.
 */

const MAX_CODE_POINT = 0x10ffff;

/** Counts the tag characters matching looks at (tests check that it stays linear). */
export interface MatchMeter {
  steps: number;
}

/** One element of a segment: a character, `?`, or the text between the brackets of a set. */
export type Atom = { kind: 'char'; cp: number } | { kind: 'any' } | { kind: 'set'; text: readonly string[] };

interface Segment {
  /** Atoms, each matching one code point. */
  readonly length: number;
  /** 32-bit words per state and per mask. */
  readonly words: number;
  /** The first code point of each class, ascending from 0. */
  readonly bounds: Uint32Array;
  /** Per class, `words` words: bit j is set when atom j matches the class's code points. */
  readonly masks: Uint32Array;
  /** The class of each ASCII code point. */
  readonly ascii: Uint16Array;
}

const codePointOf = (char: string): number => char.codePointAt(0) ?? 0;

/**
 * The glob split at its stars, as `translate` reads it: `?` any character, `[...]` a set (`[!...]`
 * negated; a `]` right after `[` or `[!` belongs to the set), an unclosed `[` a literal, everything
 * else literal. Runs of stars leave empty segments between them, which match anywhere.
 */
export function segmentsOf(glob: string): Atom[][] {
  const chars = Array.from(glob);
  const segments: Atom[][] = [[]];
  let current = segments[0] ?? [];
  let i = 0;
  while (i < chars.length) {
    const c = chars[i++] ?? '';
    if (c === '*') {
      current = [];
      segments.push(current);
    } else if (c === '?') current.push({ kind: 'any' });
    else if (c === '[') {
      let j = i;
      if (chars[j] === '!') j++;
      if (chars[j] === ']') j++;
      while (j < chars.length && chars[j] !== ']') j++;
      if (j >= chars.length) current.push({ kind: 'char', cp: codePointOf('[') });
      else {
        current.push({ kind: 'set', text: chars.slice(i, j) });
        i = j + 1;
      }
    } else current.push({ kind: 'char', cp: codePointOf(c) });
  }
  return segments;
}

/** `cp` and the code point after it: where an atom naming `cp` may change its answer. */
function addEdges(points: Set<number>, cp: number): void {
  points.add(cp);
  if (cp < MAX_CODE_POINT) points.add(cp + 1);
}

/** The class of `cp`: the last bound at or below it. */
function classAt(bounds: Uint32Array, cp: number): number {
  let low = 0;
  let high = bounds.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >>> 1;
    if ((bounds[mid] ?? 0) <= cp) low = mid;
    else high = mid - 1;
  }
  return low;
}

/**
 * Whether a set matches each class of `bounds`. The set's answer can change only at a character it
 * names or the one after (all of them bounds too), so it is asked there, of fnmatch's own RegExp,
 * and carried over the classes in between.
 */
function setMembership(text: readonly string[], bounds: Uint32Array): boolean[] {
  const { points, answers } = setAnswers(text);
  const member: boolean[] = [];
  let k = 0;
  for (const start of bounds) {
    while (k + 1 < points.length && (points[k + 1] ?? Infinity) <= start) k++;
    member.push(answers[k] ?? false);
  }
  return member;
}

/** A set's answers at the characters it names (and the ones after), kept per set text. */
interface SetAnswers {
  points: number[];
  answers: boolean[];
}

const MAX_CACHED_SETS = 1024;
const setCache = new Map<string, SetAnswers>();

function setAnswers(text: readonly string[]): SetAnswers {
  const key = text.join('');
  let cached = setCache.get(key);
  if (cached === undefined) {
    const re = fnmatchRegExp(`[${key}]`);
    const own = new Set<number>([0]);
    for (const char of text) addEdges(own, codePointOf(char));
    const points = [...own].sort((a, b) => a - b);
    cached = { points, answers: points.map((cp) => re.test(String.fromCodePoint(cp))) };
    if (setCache.size >= MAX_CACHED_SETS) setCache.clear();
    setCache.set(key, cached);
  }
  return cached;
}

function compileSegment(atoms: readonly Atom[]): Segment {
  const words = Math.max(1, Math.ceil(atoms.length / 32));
  const points = new Set<number>([0]);
  for (const atom of atoms) {
    if (atom.kind === 'char') addEdges(points, atom.cp);
    else if (atom.kind === 'set') for (const char of atom.text) addEdges(points, codePointOf(char));
  }
  const bounds = Uint32Array.from([...points].sort((a, b) => a - b));
  const masks = new Uint32Array(bounds.length * words);
  atoms.forEach((atom, j) => {
    const word = j >>> 5;
    const bit = 1 << (j & 31);
    const set = (cls: number): void => {
      masks[cls * words + word] = (masks[cls * words + word] ?? 0) | bit;
    };
    if (atom.kind === 'char') set(classAt(bounds, atom.cp));
    else if (atom.kind === 'any') for (let cls = 0; cls < bounds.length; cls++) set(cls);
    else setMembership(atom.text, bounds).forEach((member, cls) => member && set(cls));
  });
  const ascii = new Uint16Array(128);
  let cls = 0;
  for (let cp = 0; cp < 128; cp++) {
    while (cls + 1 < bounds.length && (bounds[cls + 1] ?? Infinity) <= cp) cls++;
    ascii[cp] = cls;
  }
  return { length: atoms.length, words, bounds, masks, ascii };
}

function classOf(segment: Segment, cp: number): number {
  return cp < 128 ? (segment.ascii[cp] ?? 0) : classAt(segment.bounds, cp);
}

/** Whether `segment` matches `cps` from `at` on (the caller checked that it fits). */
function matchesAt(segment: Segment, cps: readonly number[], at: number, meter: MatchMeter): boolean {
  meter.steps += segment.length;
  for (let j = 0; j < segment.length; j++) {
    const word = segment.masks[classOf(segment, cps[at + j] ?? 0) * segment.words + (j >>> 5)] ?? 0;
    if ((word & (1 << (j & 31))) === 0) return false;
  }
  return true;
}

/** Where the leftmost match of `segment` within `cps[from, to)` starts, or -1: shift-and. */
function findIn(segment: Segment, cps: readonly number[], from: number, to: number, meter: MatchMeter): number {
  const { words, masks, length } = segment;
  const state = new Uint32Array(words);
  const lastWord = (length - 1) >>> 5;
  const lastBit = 1 << ((length - 1) & 31);
  for (let i = from; i < to; i++) {
    const base = classOf(segment, cps[i] ?? 0) * words;
    let carry = 1;
    for (let w = 0; w < words; w++) {
      const before = state[w] ?? 0;
      state[w] = ((before << 1) | carry) & (masks[base + w] ?? 0);
      carry = before >>> 31;
    }
    if (((state[lastWord] ?? 0) & lastBit) !== 0) {
      meter.steps += i - from + 1;
      return i - length + 1;
    }
  }
  meter.steps += to - from;
  return -1;
}

/** The code points of a tag, as a `u` RegExp sees them (a lone surrogate is one). */
export function codePoints(tag: string): number[] {
  const cps: number[] = [];
  for (let i = 0; i < tag.length;) {
    const cp = tag.codePointAt(i) ?? 0;
    cps.push(cp);
    i += cp > 0xffff ? 2 : 1;
  }
  return cps;
}

export class CompiledGlob {
  private readonly segments: readonly Segment[];

  constructor(glob: string) {
    this.segments = segmentsOf(glob).map(compileSegment);
  }

  /** Python's `fnmatch.fnmatchcase(tag, glob)`, given the tag's code points. */
  test(cps: readonly number[], meter: MatchMeter): boolean {
    return matchParts(this.segments, cps, meter, matchesAt, findIn);
  }
}

/**
 * fnmatch over the parts of a glob between its stars, however a part is matched (`at`: at a place;
 * `find`: its leftmost place within [from, to), or -1): the first part at the start, the last at the
 * end, and each one between at its leftmost place after the one before, what Python's atomic
 * `(?=(.*?fixed))` groups do.
 */
export function matchParts<Part extends { readonly length: number }>(
  parts: readonly Part[],
  cps: readonly number[],
  meter: MatchMeter,
  at: (part: Part, cps: readonly number[], at: number, meter: MatchMeter) => boolean,
  find: (part: Part, cps: readonly number[], from: number, to: number, meter: MatchMeter) => number,
): boolean {
  const n = cps.length;
  const first = parts[0];
  const last = parts[parts.length - 1];
  if (first === undefined || last === undefined) return n === 0;
  if (parts.length === 1) return n === first.length && at(first, cps, 0, meter);
  if (first.length + last.length > n) return false;
  if (!at(first, cps, 0, meter) || !at(last, cps, n - last.length, meter)) return false;
  let from = first.length;
  const to = n - last.length;
  for (let k = 1; k < parts.length - 1; k++) {
    const part = parts[k];
    if (part === undefined || part.length === 0) continue;
    const start = find(part, cps, from, to, meter);
    if (start < 0) return false;
    from = start + part.length;
  }
  return true;
}
