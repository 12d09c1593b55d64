import { Float64 } from './float.js';

/**
 * Python's `bool(value)` of a decoded value (JSON, YAML, msgpack): None, False, zero (`0`, `0.0`,
 * `-0.0`), and empty strings, bytes, lists and mappings are false; everything else, `nan` and a
 * timestamp included, is true.
 */
export function pythonTruthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
      return value !== 0;
    case 'bigint':
      return value !== 0n;
    case 'string':
      return value.length > 0;
    case 'object':
      return objectTruthy(value);
    default:
      return true;
  }
}

function objectTruthy(value: object): boolean {
  if (value instanceof Float64) return value.value !== 0;
  if (Array.isArray(value) || value instanceof Uint8Array) return value.length > 0;
  if (value instanceof Map || value instanceof Set) return value.size > 0;
  if (value instanceof Date) return true;
  return Object.keys(value).length > 0;
}
