import { Float64, isSaltMap, type SaltMap, type SaltValue } from '../codec/values.js';
import { InvalidRequestError } from '../errors.js';
import { pythonStr } from '../../python/repr.js';
import { emptyDict } from '../../dict.js';

/**
 * How salt-api turns a lowstate chunk into a Python call (`salt.utils.args.format_call`): keys
 * naming a parameter of the client method become that parameter, every other key is an extra
 * keyword, in the chunk's order. Plus the small pieces of Python semantics the clients rely on.
 */

export interface SplitChunk {
  named: Map<string, SaltValue>;
  /** Every key that is not a named parameter, in the chunk's order. */
  extras: SaltMap;
}

export function splitChunk(chunk: SaltMap, parameters: readonly string[]): SplitChunk {
  const named = new Map<string, SaltValue>();
  const extras = emptyDict<SaltValue>();
  for (const [key, value] of Object.entries(chunk)) {
    if (parameters.includes(key)) named.set(key, value);
    else extras[key] = value;
  }
  return { named, extras };
}

export function omit(map: SaltMap, keys: readonly string[]): SaltMap {
  const out = emptyDict<SaltValue>();
  for (const [key, value] of Object.entries(map)) if (!keys.includes(key)) out[key] = value;
  return out;
}

/** Python's `str()` of a decoded value, for messages that quote it. */
export const pyStr = (value: SaltValue): string => pythonStr(value);

/** Python truthiness. */
export function pyTruthy(value: SaltValue): boolean {
  if (value === null || value === undefined || value === false || value === '' || value === 0 || value === 0n)
    return false;
  if (value instanceof Float64) return value.value !== 0;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof Uint8Array) return value.length > 0;
  if (value instanceof Map) return value.size > 0;
  if (isSaltMap(value)) return Object.keys(value).length > 0;
  return true;
}

/** `arg` as a list: a missing or null `arg` is empty, a scalar is wrapped (as salt-api's lowstate does). */
export function argList(value: SaltValue): SaltValue[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? [...value] : [value];
}

const JID_DIGITS = /^\d{20}$/;

/**
 * `salt.utils.args.condition_input`: integers that read as jids become strings, and a non-empty
 * `kwarg` mapping is appended as a trailing `{"__kwarg__": true, …}`.
 */
export function conditionInput(args: readonly SaltValue[], kwarg: SaltValue): SaltValue[] {
  const out = args.map((arg) => (typeof arg === 'bigint' && JID_DIGITS.test(arg.toString()) ? arg.toString() : arg));
  if (isSaltMap(kwarg) && Object.keys(kwarg).length > 0) out.push({ __kwarg__: true, ...kwarg });
  return out;
}

/**
 * `LocalClient._get_timeout`: whole seconds; an integer string is read, anything else that is
 * not an integer (a float, text that is not a number) means the default.
 */
export function localTimeoutSeconds(value: SaltValue, fallback: number): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && /^\s*[+-]?\d+(?:_\d+)*\s*$/.test(value)) return Number(value.replace(/_/g, ''));
  return fallback;
}

/** Python's `int(value)` for a numeric option; what Python refuses is a 400 naming the option. */
export function pyInt(value: SaltValue, name: string): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
  if (value instanceof Float64) return Math.trunc(value.value);
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && /^\s*[+-]?\d+(?:_\d+)*\s*$/.test(value)) return Number(value.replace(/_/g, ''));
  throw new InvalidRequestError(`'${name}' must be a whole number, not ${JSON.stringify(pyStr(value))}`);
}

/** Python's `float(value)`: numbers and numeric strings; anything else is a 400 naming the option. */
export function floatSeconds(value: SaltValue, name: string): number {
  if (typeof value === 'number' && !Number.isNaN(value)) return value;
  if (value instanceof Float64) return value.value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') {
    const text = value.trim().replace(/(\d)_(?=\d)/g, '$1');
    if (/^[+-]?(?:\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?|inf(?:inity)?)$/i.test(text)) {
      return /inf/i.test(text) ? (text.startsWith('-') ? -Infinity : Infinity) : Number(text);
    }
  }
  throw new InvalidRequestError(`'${name}' must be a number of seconds, not ${JSON.stringify(pyStr(value))}`);
}

/** Sets `key` even when it is `__proto__` (minion ids come from the network). */
export function setKey(map: SaltMap, key: string, value: SaltValue): void {
  if (key === '__proto__')
    Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  else map[key] = value;
}

/** Milliseconds for a timer, clamped to what setTimeout accepts. */
export function toTimerMs(seconds: number): number {
  return Math.min(Math.max(0, seconds * 1000), 2_147_483_647);
}
