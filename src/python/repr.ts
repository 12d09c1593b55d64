import { DeferredValue } from './deferred.js';
import { Float64 } from './float.js';
import { pythonFloatRepr } from './float-repr.js';

/**
 * Python's `repr()` and `str()` of the values Salt passes around (decoded msgpack, JSON and YAML
 * data), for the messages and matches where salt-api prints or compares them: None, True/False,
 * int, float (`1.0`, `1e-05`), str (quotes and escapes as Python chooses them), bytes (`b'…'`),
 * lists and dicts. Mappings are printed in their insertion order, as dicts are.
 */
export function pythonRepr(value: unknown): string {
  if (value instanceof DeferredValue) return pythonRepr(value.value());
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return stringRepr(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isSafeInteger(value) ? String(value) : floatRepr(value);
  if (value instanceof Float64) return floatRepr(value.value);
  if (value instanceof Uint8Array) return bytesRepr(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`).join(', ')}}`;
  if (value instanceof Date) return `'${value.toISOString()}'`;
  if (typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${stringRepr(k)}: ${pythonRepr(v)}`)
      .join(', ')}}`;
  }
  // Only symbols and functions are left here, which no Salt value is.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  return String(value);
}

/** Python's `str()`: a string as it is, anything else as its repr. */
export function pythonStr(value: unknown): string {
  return typeof value === 'string' ? value : pythonRepr(value);
}

function floatRepr(value: number): string {
  return pythonFloatRepr(value);
}

/** What `str.isprintable()` refuses: control, format, surrogate, private, unassigned, separators but space. */
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]|(?! )\p{Zs}/u;

function escapeChar(char: string): string {
  switch (char) {
    case '\\':
      return '\\\\';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
  }
  if (!NOT_PRINTABLE.test(char)) return char;
  const code = char.codePointAt(0) ?? 0;
  if (code < 0x100) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code < 0x10000) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\U${code.toString(16).padStart(8, '0')}`;
}

function stringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = '';
  // Iterating by code point keeps pairs together and leaves lone surrogates on their own.
  for (const char of text) out += char === quote ? `\\${quote}` : escapeChar(char);
  return quote + out + quote;
}

function bytesRepr(bytes: Uint8Array): string {
  const quote = bytes.includes(0x27) && !bytes.includes(0x22) ? '"' : "'";
  let out = '';
  for (const byte of bytes) {
    if (byte === 0x5c) out += '\\\\';
    else if (byte === quote.charCodeAt(0)) out += `\\${quote}`;
    else if (byte === 0x0a) out += '\\n';
    else if (byte === 0x0d) out += '\\r';
    else if (byte === 0x09) out += '\\t';
    else if (byte < 0x20 || byte >= 0x7f) out += `\\x${byte.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(byte);
  }
  return `b${quote}${out}${quote}`;
}
