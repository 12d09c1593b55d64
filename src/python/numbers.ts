import { Float64 } from './float.js';

/**
 * Python's `int()` and `float()` of a decoded value, and of text as Python reads it: surrounding
 * whitespace (Python's, which is not JavaScript's `\s`), a sign, digits of any script
 * (`'١٢'` is 12) with single underscores between them (`'1_000'`), nothing else. `undefined` is
 * where Python raises (ValueError, TypeError or OverflowError).
 */

/**
 * The whitespace `int()` and `float()` strip: ASCII space, tab, newline, vertical tab, form feed
 * and carriage return, and every non-ASCII character `str.isspace()` accepts (Unicode 14, as in
 * Python 3.11). The ASCII separators `\x1c`-`\x1f` are `isspace()` but not stripped.
 */
const SPACE = '[\\t-\\r\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const STRIP = new RegExp(`^${SPACE}+|${SPACE}+$`, 'gu');
const DECIMAL = /\p{Nd}/u;
const NON_ASCII_DECIMAL = /[^\0-\x7f]/u;

/** Python 3.11's `sys.int_info.default_max_str_digits`: longer decimal text is refused. */
export const MAX_INT_DIGITS = 4300;

const INT_TEXT: Record<10 | 16, RegExp> = {
  10: /^([+-]?)((?:\d(?:_?\d)*))$/,
  16: /^([+-]?)(?:0[xX]_?)?([0-9a-fA-F](?:_?[0-9a-fA-F])*)$/,
};
const FLOAT_TEXT = /^[+-]?(?:(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?)$/;
const FLOAT_WORD = /^([+-]?)(inf|infinity|nan)$/i;

/**
 * The value of a decimal digit of any script. Unicode puts each script's digits 0 to 9 in a row
 * (Python 3.11's database has no exception), so the value is the distance from the start of the run.
 */
function decimalValue(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  let offset = 0;
  while (DECIMAL.test(String.fromCodePoint(code - offset - 1))) offset++;
  return String(offset % 10);
}

/** Python's first step: whitespace stripped, digits of other scripts made ASCII. */
function asciiText(text: string): string {
  const stripped = text.replace(STRIP, '');
  if (!NON_ASCII_DECIMAL.test(stripped)) return stripped;
  return Array.from(stripped, (char) => (char > '\x7f' && DECIMAL.test(char) ? decimalValue(char) : char)).join('');
}

/** `int(text, base)` for base 10 or 16. */
export function parseIntText(text: string, base: 10 | 16 = 10): bigint | undefined {
  const match = INT_TEXT[base].exec(asciiText(text));
  if (match === null) return undefined;
  const digits = (match[2] ?? '').replace(/_/g, '');
  if (base === 10 && digits.length > MAX_INT_DIGITS) return undefined;
  const magnitude = BigInt(base === 16 ? `0x${digits}` : digits);
  return match[1] === '-' ? -magnitude : magnitude;
}

/** `float(text)`: decimal notation, `inf`, `infinity` and `nan` in any case. */
export function parseFloatText(text: string): number | undefined {
  const ascii = asciiText(text);
  const word = FLOAT_WORD.exec(ascii);
  if (word !== null) {
    if ((word[2] ?? '').toLowerCase() === 'nan') return NaN;
    return word[1] === '-' ? -Infinity : Infinity;
  }
  return FLOAT_TEXT.test(ascii) ? Number(ascii.replace(/_/g, '')) : undefined;
}

/** Bytes hold ASCII text for `int()` and `float()`; anything else is refused. */
function bytesText(bytes: Uint8Array): string | undefined {
  return bytes.every((byte) => byte < 0x80) ? Buffer.from(bytes).toString('latin1') : undefined;
}

/** `int(value)`: bools, ints, floats (truncated; not inf or nan), str and bytes. */
export function intOf(value: unknown): bigint | undefined {
  if (typeof value === 'boolean') return value ? 1n : 0n;
  if (typeof value === 'bigint') return value;
  if (value instanceof Float64) return intOf(value.value);
  if (typeof value === 'number') return Number.isFinite(value) ? BigInt(Math.trunc(value)) : undefined;
  if (typeof value === 'string') return parseIntText(value);
  if (value instanceof Uint8Array) {
    const text = bytesText(value);
    return text === undefined ? undefined : parseIntText(text);
  }
  return undefined;
}

/** `float(value)`: bools, ints (not past the largest float), floats, str and bytes. */
export function floatOf(value: unknown): number | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  if (value instanceof Float64) return value.value;
  if (typeof value === 'bigint') {
    const number = Number(value);
    return Number.isFinite(number) ? number : undefined;
  }
  if (typeof value === 'string') return parseFloatText(value);
  if (value instanceof Uint8Array) {
    const text = bytesText(value);
    return text === undefined ? undefined : parseFloatText(text);
  }
  return undefined;
}
