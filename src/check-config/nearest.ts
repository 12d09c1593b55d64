/** The nearest known name to a misspelt one, for "did you mean …?". */

/** Levenshtein's edit distance: insertions, deletions and substitutions of one character. */
export function editDistance(left: string, right: string): number {
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let i = 1; i <= left.length; i++) {
    const current = [i];
    for (let j = 1; j <= right.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (left[i - 1] === right[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[right.length] ?? 0;
}

/** At most this many edits away, a known name is offered. */
export const MAX_SUGGESTION_DISTANCE = 2;

/**
 * The known name closest to `name` (letter case ignored), if one is at most
 * MAX_SUGGESTION_DISTANCE edits away and fewer edits than `name` has letters (`ab` is not a typo
 * of `app`); the first of the closest when several are as close.
 */
export function nearestName(name: string, known: Iterable<string>): string | undefined {
  const wanted = name.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(wanted, candidate.toLowerCase());
    if (distance > MAX_SUGGESTION_DISTANCE || distance >= wanted.length) continue;
    if (best === undefined || distance < best.distance) best = { name: candidate, distance };
  }
  return best?.name;
}
