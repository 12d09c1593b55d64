/**
 * Python's `str.title()` of ASCII text (what CherryPy applies to header names): a letter is upper
 * case after anything that is not a letter, lower case after a letter; `x-auth-token` →
 * `X-Auth-Token`, `a1b` → `A1B`. Only ASCII letters are touched: HTTP header names are ASCII.
 */
export function asciiTitle(text: string): string {
  return text.replace(/[A-Za-z]+/g, (word) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase());
}
