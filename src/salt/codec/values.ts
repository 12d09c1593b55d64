/**
 * The values that travel on Salt's wire, as salt-apid sees them in TypeScript.
 *
 * Python's msgpack distinguishes str and bytes, int and float; JavaScript does not. Bytes
 * that are not valid UTF-8 stay `Uint8Array`; a float that happens to be integral can be
 * forced onto the wire as float64 with `Float64` (Salt writes token times that way).
 */
import { Float64 } from '../../python/float.js';

export { Float64 };

export type SaltValue =
  | null
  | undefined
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Float64
  | SaltValue[]
  | SaltMap
  | Map<SaltValue, SaltValue>;

export interface SaltMap {
  [key: string]: SaltValue;
}

export function isSaltMap(value: unknown): value is SaltMap {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array) &&
    !(value instanceof Map) &&
    !(value instanceof Float64)
  );
}
