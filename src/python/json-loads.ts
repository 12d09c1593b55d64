import { parse } from 'lossless-json';
import { pythonFloat } from './float.js';
import { closingQuote } from './json-dumps.js';
import { restoreKeyOrder } from './json-key-order.js';
import { MAX_INT_DIGITS } from './numbers.js';

/**
 * `json.loads` as Python reads numbers: an integer literal is an exact integer however long
 * (a bigint past 2^53), a literal with a fraction or an exponent is a float (`1.0`, `1e2` stay
 * floats: `Float64`), and the bare words `NaN`, `Infinity` and `-Infinity` are the floats
 * Python's json module accepts. A key given twice keeps its first place and its last value, as a
 * dict does, and keys keep the order they came in (json-key-order.ts). Objects are built with own
 * properties only, so a `__proto__` key is a plain key.
 * Throws SyntaxError for text that is not JSON, and, as Python's `int()` raises ValueError, for
 * an integer literal of more than {@link MAX_INT_DIGITS} digits — before converting it, which
 * would cost a second or more for the 900,000 digits a 1 MB body can hold.
 */
export function jsonLoads(text: string): unknown {
  const marked = markNonFiniteWords(text);
  const value = parse(marked, marked === text ? undefined : reviveNonFinite, {
    parseNumber: parsePythonNumber,
    onDuplicateKey: ({ newValue }) => newValue,
  });
  restoreKeyOrder(value, text);
  return value;
}

const INTEGER_LITERAL = /^-?\d+$/;

function parsePythonNumber(text: string): number | bigint | ReturnType<typeof pythonFloat> {
  if (INTEGER_LITERAL.test(text)) {
    if (text.length - (text.startsWith('-') ? 1 : 0) > MAX_INT_DIGITS) {
      throw new SyntaxError(`Exceeds the limit (${MAX_INT_DIGITS} digits) for integer string conversion`);
    }
    const value = Number(text);
    return Number.isSafeInteger(value) ? value : BigInt(text);
  }
  return pythonFloat(Number(text));
}

/**
 * The words stand in the text as strings starting with an escaped NUL and a letter saying what
 * they are: `"\u0000wNaN"`. A real string value starting with NUL gets `"\u0000s"` in front, which
 * the reviver takes off again, so that no data can pass for a word. Keys are left alone (the
 * reviver never sees them).
 */
const MARKER = '\u0000';
const ESCAPED_MARKER = '\\u0000';
const NON_FINITE = new Map<string, number>([
  ['-Infinity', -Infinity],
  ['Infinity', Infinity],
  ['NaN', NaN],
]);
const MAY_HOLD_WORDS = /NaN|Infinity/;
const SPACE = /[ \t\n\r]/;

function isKey(text: string, end: number): boolean {
  let i = end;
  while (i < text.length && SPACE.test(text.charAt(i))) i++;
  return text.charAt(i) === ':';
}

function markNonFiniteWords(text: string): string {
  if (!MAY_HOLD_WORDS.test(text)) return text;
  const out: string[] = [];
  let copied = 0;
  let marked = false;
  for (let i = 0; i < text.length;) {
    if (text.charCodeAt(i) === 0x22) {
      // Just past the string (past the text's end if it has no closing quote: the loop ends there).
      const end = closingQuote(text, i) + 1;
      if (text.startsWith(ESCAPED_MARKER, i + 1) && !isKey(text, end)) {
        out.push(text.slice(copied, i + 1), `${ESCAPED_MARKER}s`);
        copied = i + 1;
      }
      i = end;
      continue;
    }
    const word = [...NON_FINITE.keys()].find((candidate) => text.startsWith(candidate, i));
    // A word where a key belongs stays as it is, and stays an error.
    if (word === undefined || isKey(text, i + word.length)) {
      i++;
      continue;
    }
    out.push(text.slice(copied, i), `"${ESCAPED_MARKER}w${word}"`);
    marked = true;
    i += word.length;
    copied = i;
  }
  out.push(text.slice(copied));
  return marked ? out.join('') : text;
}

function reviveNonFinite(_key: string, value: unknown): unknown {
  if (typeof value !== 'string' || !value.startsWith(MARKER)) return value;
  const rest = value.slice(MARKER.length + 1);
  return value.charAt(MARKER.length) === 'w' ? (NON_FINITE.get(rest) ?? value) : rest;
}
