/**
 * The values that travel on Salt's wire, as salt-apid sees them in TypeScript.
 *
 * Python's msgpack distinguishes str and bytes, int and float; JavaScript does not. Bytes
 * that are not valid UTF-8 stay `Uint8Array`; a float that happens to be integral can be
 * forced onto the wire as float64 with `Float64` (Salt writes token times that way).
 */
import { DeferredValue } from '../../python/deferred.js';
import { Float64 } from '../../python/float.js';

export { Float64 };

/**
 * A msgpack value kept as its bytes (a large minion return, `unpack`'s `deferReturn`), decoded by
 * `decode` each time it is read, exactly as `unpack` would have decoded it in place. Packed again,
 * it is its bytes.
 */
export class PackedValue extends DeferredValue {
  constructor(
    readonly bytes: Buffer,
    decode: (bytes: Buffer) => SaltValue,
  ) {
    super(() => decode(bytes), bytes.length);
  }
}

/**
 * A msgpack extension value to send (type and payload), e.g. Salt's datetime (type 78, the text
 * `%Y%m%dT%H:%M:%S.%f`). Only the packer reads it; the unpacker returns datetimes as that text and
 * other extensions as bytes.
 */
export class SaltExt {
  constructor(
    readonly type: number,
    readonly data: Uint8Array,
  ) {}

  /**
   * Salt's datetime extension (`salt.payload`'s `ext_type_encoder`) of a naive local time, as
   * Python's `datetime.now()` gives it (CherryPy's session expiry is one).
   */
  static datetime(at: Date): SaltExt {
    const two = (n: number): string => String(n).padStart(2, '0');
    const date = `${at.getFullYear()}${two(at.getMonth() + 1)}${two(at.getDate())}`;
    const time = `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
    const micros = `${String(at.getMilliseconds()).padStart(3, '0')}000`;
    return new SaltExt(78, Buffer.from(`${date}T${time}.${micros}`, 'ascii'));
  }
}

export type SaltValue =
  | null
  | undefined
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Float64
  | SaltExt
  | PackedValue
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
    !(value instanceof Float64) &&
    !(value instanceof SaltExt) &&
    !(value instanceof DeferredValue)
  );
}
