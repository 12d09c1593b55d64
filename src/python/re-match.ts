/**
 * Python's `re.match(pattern, text)`: the pattern is anchored at the start of the text only.
 * The pattern is read as a JavaScript regular expression; the syntax the two share (classes,
 * groups, alternation, quantifiers, `\d`, `\w`, `\s`) means the same.
 */
export function reMatchRegExp(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})`);
}

/** `re.match(pattern, text)` is truthy. A pattern that does not compile matches nothing. */
export function reMatch(pattern: string, text: string): boolean {
  try {
    return reMatchRegExp(pattern).test(text);
  } catch {
    return false;
  }
}
