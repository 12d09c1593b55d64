/**
 * The values that travel on Salt's wire, as salt-apid sees them in TypeScript.
 *
 * Python's msgpack distinguishes str and bytes, int and float; JavaScript does not. Bytes
 * that are not valid UTF-8 stay `Uint8Array`; a float that happens to be integral can be
 * forced onto the wire as float64 with `Float64` (Salt writes token times that way).
 */

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

/** A number that must be encoded as msgpack float64 even when it is integral. */
export class Float64 {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  toJSON(): number {
    return this.value;
  }
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
