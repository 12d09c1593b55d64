import { Float64 } from './float.js';
import { pythonRepr, pythonStr } from './repr.js';

/**
 * Python's `format % mapping` (printf-style formatting with named fields), as `logging.Formatter`
 * applies Salt's `log_fmt_console` / `log_fmt_logfile` to a log record: `%(name)-17s`,
 * `%(msecs)03d`, `%(levelname)s`, `%%`. Values follow src/python's conventions: an integral
 * number is an int, any other number or a Float64 a float, null None.
 */

/** One `%(key)flags width.precision conversion` of a format. */
export interface PercentField {
  readonly key: string;
  readonly flags: string;
  readonly width: number | undefined;
  readonly precision: number | undefined;
  readonly conversion: string;
}

/** A format parsed once: literal text and fields, in order. */
export type PercentFormat = ReadonlyArray<string | PercentField>;

/** Why Python refuses a format (its own message), for the option that holds it. */
export class PercentFormatError extends Error {}

const CONVERSIONS = 'diouxXeEfFgGcrsa';
const FLAG_CHARS = '-+ #0';
const LENGTH_MODIFIERS = 'hlL';

/**
 * Parses `format` as Python reads it against a mapping; throws PercentFormatError where Python
 * raises: an unknown conversion character, a format that ends inside a field, a field without a
 * `(key)` (against a mapping it would print the whole record), a `*` width or precision.
 */
export function parsePercentFormat(format: string): PercentFormat {
  const parts: Array<string | PercentField> = [];
  let text = '';
  let at = 0;
  while (at < format.length) {
    const percent = format.indexOf('%', at);
    if (percent === -1) {
      text += format.slice(at);
      break;
    }
    text += format.slice(at, percent);
    const { field, end } = parseField(format, percent);
    if (typeof field === 'string') text += field;
    else {
      if (text !== '') parts.push(text);
      text = '';
      parts.push(field);
    }
    at = end;
  }
  if (text !== '') parts.push(text);
  return parts;
}

function parseField(format: string, start: number): { field: PercentField | string; end: number } {
  let at = start + 1;
  let key: string | undefined;
  if (format[at] === '(') {
    // Python counts nested parentheses: `%(a(b))s` names the key `a(b)`.
    let depth = 1;
    const keyStart = at + 1;
    at++;
    while (at < format.length && depth > 0) {
      if (format[at] === '(') depth++;
      else if (format[at] === ')') depth--;
      at++;
    }
    if (depth > 0) throw new PercentFormatError('incomplete format key');
    key = format.slice(keyStart, at - 1);
  }
  let flags = '';
  while (at < format.length && FLAG_CHARS.includes(format[at]!)) flags += format[at++];
  const width = readNumber(format, at);
  at = width.end;
  let precision: { value: number | undefined; end: number } = { value: undefined, end: at };
  if (format[at] === '.') {
    precision = readNumber(format, at + 1);
    precision.value ??= 0;
    at = precision.end;
  }
  while (at < format.length && LENGTH_MODIFIERS.includes(format[at]!)) at++;
  if (at >= format.length) throw new PercentFormatError('incomplete format');
  const conversion = format[at]!;
  if (conversion === '%' && key === undefined && at === start + 1) return { field: '%', end: at + 1 };
  if (!CONVERSIONS.includes(conversion)) {
    const code = conversion.codePointAt(0) ?? 0;
    throw new PercentFormatError(
      `unsupported format character '${conversion}' (0x${code.toString(16)}) at index ${at}`,
    );
  }
  if (key === undefined) throw new PercentFormatError(`format requires a mapping: '%${conversion}' has no (name)`);
  return {
    field: { key, flags, width: width.value, precision: precision.value, conversion },
    end: at + 1,
  };
}

function readNumber(format: string, start: number): { value: number | undefined; end: number } {
  if (format[start] === '*')
    throw new PercentFormatError('* wants int: a width or precision cannot come from a mapping');
  let at = start;
  while (at < format.length && format[at]! >= '0' && format[at]! <= '9') at++;
  // Python refuses widths past its ssize_t; a bound keeps one line from growing without end.
  if (at - start > 4) throw new PercentFormatError('width or precision too big');
  return { value: at === start ? undefined : Number(format.slice(start, at)), end: at };
}

/** The field keys a format names (duplicates included). */
export function percentKeys(format: PercentFormat): string[] {
  return format.flatMap((part) => (typeof part === 'string' ? [] : [part.key]));
}

/**
 * `format % mapping`. Returns undefined where Python raises: a key `lookup` does not know (it
 * returns undefined), a number conversion of a string, `%x` of a float.
 */
export function formatPercent(format: PercentFormat, lookup: (key: string) => unknown): string | undefined {
  let out = '';
  for (const part of format) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const value = lookup(part.key);
    if (value === undefined) return undefined;
    const text = convert(part, value);
    if (text === undefined) return undefined;
    out += text;
  }
  return out;
}

function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value instanceof Float64) return value.value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return undefined;
}

const isPythonInt = (value: unknown): boolean =>
  typeof value === 'boolean' || (typeof value === 'number' && Number.isInteger(value));

function convert(field: PercentField, value: unknown): string | undefined {
  switch (field.conversion) {
    case 's':
      return pad(field, truncate(field, pythonStr(value)));
    case 'r':
      return pad(field, truncate(field, pythonRepr(value)));
    case 'a':
      return pad(field, truncate(field, asciiOnly(pythonRepr(value))));
    case 'c': {
      const char = charOf(value);
      return char === undefined ? undefined : pad(field, char);
    }
    case 'd':
    case 'i':
    case 'u': {
      const number = numberOf(value);
      if (number === undefined || !Number.isFinite(number)) return undefined;
      return numeric(field, Math.trunc(number), (magnitude) => zeroFill(integerText(magnitude), field.precision), '');
    }
    case 'o':
    case 'x':
    case 'X': {
      if (!isPythonInt(value)) return undefined;
      const radix = field.conversion === 'o' ? 8 : 16;
      const digits = (magnitude: number): string => {
        const text = zeroFill(magnitude.toString(radix), field.precision);
        return field.conversion === 'X' ? text.toUpperCase() : text;
      };
      const prefix = field.flags.includes('#') ? { o: '0o', x: '0x', X: '0X' }[field.conversion] : '';
      return numeric(field, numberOf(value)!, digits, prefix);
    }
    default: {
      const number = numberOf(value);
      if (number === undefined) return undefined;
      return numeric(field, number, (magnitude) => floatText(field, magnitude), '');
    }
  }
}

function truncate(field: PercentField, text: string): string {
  if (field.precision === undefined) return text;
  return [...text].slice(0, field.precision).join('');
}

function charOf(value: unknown): string | undefined {
  if (typeof value === 'string') return [...value].length === 1 ? value : undefined;
  if (!isPythonInt(value)) return undefined;
  const code = numberOf(value)!;
  return code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
}

/** Python's `ascii()`: repr with every non-ASCII character escaped. */
function asciiOnly(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x80) out += char;
    else if (code < 0x100) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code < 0x10000) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return out;
}

/** Every digit, as Python prints an int (JavaScript switches to exponent notation from 1e21). */
const integerText = (magnitude: number): string =>
  magnitude < 1e21 ? magnitude.toString(10) : BigInt(magnitude).toString();

function zeroFill(digits: string, precision: number | undefined): string {
  return precision === undefined ? digits : digits.padStart(precision, '0');
}

/** Width padding of a string conversion; `0` pads only numbers. */
function pad(field: PercentField, text: string): string {
  const width = field.width ?? 0;
  const length = [...text].length;
  if (length >= width) return text;
  const fill = ' '.repeat(width - length);
  return field.flags.includes('-') ? text + fill : fill + text;
}

/** Sign, prefix and padding around the digits of a number, as Python places them. */
function numeric(field: PercentField, value: number, digits: (magnitude: number) => string, prefix: string): string {
  const negative = value < 0 || Object.is(value, -0);
  const body = digits(Math.abs(value));
  const sign = negative ? '-' : field.flags.includes('+') ? '+' : field.flags.includes(' ') ? ' ' : '';
  const width = field.width ?? 0;
  const length = sign.length + prefix.length + body.length;
  if (length >= width) return sign + prefix + body;
  if (field.flags.includes('-')) return sign + prefix + body + ' '.repeat(width - length);
  const finite = /^[0-9a-fA-F.e+-]+$/.test(body);
  if (field.flags.includes('0') && finite) return sign + prefix + '0'.repeat(width - length) + body;
  return ' '.repeat(width - length) + sign + prefix + body;
}

/** `%e`, `%f`, `%g` (upper case for `E`, `F`, `G`) of a non-negative number. */
function floatText(field: PercentField, magnitude: number): string {
  const upper = field.conversion === field.conversion.toUpperCase();
  const kind = field.conversion.toLowerCase();
  if (!Number.isFinite(magnitude)) {
    const text = Number.isNaN(magnitude) ? 'nan' : 'inf';
    return upper ? text.toUpperCase() : text;
  }
  const precision = field.precision ?? 6;
  const alternate = field.flags.includes('#');
  let text: string;
  if (kind === 'f') text = fixed(magnitude, precision);
  else if (kind === 'e') text = exponential(magnitude, precision);
  else text = general(magnitude, precision === 0 ? 1 : precision, alternate);
  if (alternate && !text.includes('.') && kind !== 'g') {
    text = text.replace(/^(\d+)/, '$1.');
  }
  return upper ? text.toUpperCase() : text;
}

function fixed(value: number, precision: number): string {
  // toFixed switches to exponent notation from 1e21; Python prints every digit.
  if (value >= 1e21) return integerText(value) + (precision > 0 ? `.${'0'.repeat(precision)}` : '');
  const digits = Math.min(precision, 100);
  return halfEven(value.toFixed(digits), value.toFixed(Math.min(digits + 50, 100)), digits);
}

/** `1.5e+20`: Python writes at least two exponent digits. */
function exponential(value: number, precision: number): string {
  const digits = Math.min(precision, 100);
  const long = value.toExponential(Math.min(digits + 50, 100));
  const [mantissa, exponent] = halfEven(value.toExponential(digits), long, digits).split('e') as [string, string];
  const sign = exponent.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${exponent.replace(/^[+-]/, '').padStart(2, '0')}`;
}

/**
 * JavaScript rounds an exact tie away from zero (2.5 → 3), Python to even (2.5 → 2). `rounded` is
 * JavaScript's, `long` the same number with more digits: on a tie whose kept digit is even, the
 * digits cut from `long` are Python's answer.
 */
function halfEven(rounded: string, long: string, precision: number): string {
  const exponent = long.indexOf('e');
  const mantissa = exponent === -1 ? long : long.slice(0, exponent);
  const point = mantissa.indexOf('.');
  if (point === -1) return rounded;
  const kept = precision === 0 ? mantissa.slice(0, point) : mantissa.slice(0, point + 1 + precision);
  const rest = mantissa.slice(point + 1 + precision);
  if (!/^50*$/.test(rest) || Number(kept.at(-1)) % 2 === 1) return rounded;
  return exponent === -1 ? kept : kept + long.slice(exponent);
}

function general(value: number, precision: number, alternate: boolean): string {
  if (value === 0) return alternate ? `0.${'0'.repeat(precision - 1)}` : '0';
  const exponent = Number(value.toExponential(precision - 1).split('e')[1]);
  const text =
    exponent >= -4 && exponent < precision ? fixed(value, precision - 1 - exponent) : exponential(value, precision - 1);
  if (alternate) return text;
  // Without `#`, trailing zeros (and a bare point) go, in the mantissa only.
  return text.replace(/\.?0+(?=e|$)/, (match) => (match.includes('.') || text.includes('.') ? '' : match));
}
