/**
 * Python's `json.dumps` with its default `", "` / `": "` separators and non-ASCII text written as
 * UTF-8, as salt-api's responses carry it: ints of any size, floats as Python's repr (`1.0`,
 * `1e-05`, `NaN`, `Infinity`), `Float64` as a float, Maps as dicts with their keys as text, and
 * every dict's keys in the order they came in (dict.ts `orderedKeys`).
 * Bytes are written as text when they are UTF-8, else as `{"$bytes_b64": "…"}` (Python's json
 * module cannot write bytes at all).
 */
import { DeferredValue } from './deferred.js';
import { Float64 } from './float.js';
import { bytesValue, printsUnlikePython, rawNumber } from './json-scalars.js';
import { jsonDumpsChunks } from './json-chunks.js';
import { hasKeyOrder } from '../dict.js';

/**
 * JSON.stringify cannot emit number text of its own choosing (bigint digits, `1.0`, `NaN`), so the
 * replacer emits such values as marker strings that {@link addPythonSeparators} turns back into
 * raw text. A marker is a string value starting with NUL; real string values that start with NUL
 * are escaped with the `s` marker so they can never be mistaken for one.
 */
const MARKER = '\u0000';
const RAW_MARKER = `${MARKER}r`;
const ESCAPED_STRING_MARKER = `${MARKER}s`;
/** How the NUL of a marker appears inside JSON.stringify's output. */
const ENCODED_MARKER = '\\u0000';

/** A real string value that starts like a marker is marked as a string so it stays one. */
function escapeMarker(text: string): string {
  return text.startsWith(MARKER) ? ESCAPED_STRING_MARKER + text : text;
}

function replacer(this: unknown, key: string, value: unknown): unknown {
  // toJSON (Buffer, Float64) has already run on `value`; the holder still has the original. A
  // deferred value's toJSON gave the value it stands for, which is then the original.
  const held = (this as Record<string, unknown>)[key];
  const original = held instanceof DeferredValue ? value : held;
  if (original instanceof Uint8Array) {
    const decoded = bytesValue(original);
    return typeof decoded === 'string' ? escapeMarker(decoded) : decoded;
  }
  if (original instanceof Float64) return RAW_MARKER + rawNumber(original.value);
  switch (typeof value) {
    case 'string':
      return escapeMarker(value);
    case 'bigint':
      return RAW_MARKER + value.toString();
    case 'number':
      return printsUnlikePython(value) ? RAW_MARKER + rawNumber(value) : value;
    default:
      // JSON.stringify lists an object's index-like keys first and has no way to write a Map's
      // keys in order: such a value is written by the chunk writer instead, which keeps order.
      if (value instanceof Map || (value !== null && typeof value === 'object' && hasKeyOrder(value))) {
        throw KEEPS_ORDER;
      }
      return value;
  }
}

/** Thrown out of JSON.stringify by the replacer for a value only the chunk writer writes in order. */
const KEEPS_ORDER = new Error('a dict whose key order an object cannot keep');

/**
 * Index of the closing quote of the JSON string whose opening quote is at `open` (the text's length
 * if there is none): the first quote not escaped, i.e. not after an odd run of backslashes.
 * `indexOf` finds the candidates.
 */
export function closingQuote(json: string, open: number): number {
  let close = json.indexOf('"', open + 1);
  while (close !== -1) {
    let before = close - 1;
    while (json.charCodeAt(before) === 0x5c) before--;
    if ((close - 1 - before) % 2 === 0) return close;
    close = json.indexOf('"', close + 1);
  }
  return json.length;
}

/**
 * One pass over compact JSON: a space after every `,` and `:` outside strings, and the markers of
 * {@link replacer} resolved. Object keys never carry markers (the replacer only sees values), so a
 * marked string followed by `:` is left as it is.
 */
function addPythonSeparators(json: string): string {
  // Appended to one string rather than pushed to an array and joined: V8 appends in place, and the
  // join of tens of thousands of small pieces took five times as long (a 780 KB grains answer: 24 ms
  // against 4.8 ms, flattened).
  let out = '';
  let copiedUpTo = 0;
  for (let i = 0; i < json.length; i++) {
    const ch = json.charCodeAt(i);
    if (ch === 0x22) {
      const close = closingQuote(json, i);
      if (json.startsWith(ENCODED_MARKER, i + 1) && json.charCodeAt(close + 1) !== 0x3a) {
        const kind = json[i + 1 + ENCODED_MARKER.length];
        out += json.slice(copiedUpTo, i);
        out +=
          kind === 'r'
            ? json.slice(i + 2 + ENCODED_MARKER.length, close)
            : '"' + json.slice(i + 2 + ENCODED_MARKER.length, close + 1);
        copiedUpTo = close + 1;
      }
      i = close;
    } else if (ch === 0x2c || ch === 0x3a) {
      out += json.slice(copiedUpTo, i + 1) + ' ';
      copiedUpTo = i + 1;
    }
  }
  return out + json.slice(copiedUpTo);
}

/** `json.dumps(value)` as salt-api calls it: `", "` and `": "`, raw UTF-8, no trailing newline. */
export function jsonDumps(value: unknown): string {
  let compact: string | undefined;
  try {
    compact = JSON.stringify(value, replacer);
  } catch (error) {
    if (error !== KEEPS_ORDER) throw error;
    let text = '';
    for (const chunk of jsonDumpsChunks(value, Number.POSITIVE_INFINITY)) text += chunk;
    return text;
  }
  return compact === undefined ? 'null' : addPythonSeparators(compact);
}
