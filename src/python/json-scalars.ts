/**
 * How Python's json module writes the values JSON.stringify would write otherwise: bytes (which it
 * cannot write at all), floats, and dict keys that are not text. Shared by json-dumps.ts and
 * json-chunks.ts.
 */
import { Float64 } from './float.js';
import { pythonFloatRepr } from './float-repr.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function bytesValue(bytes: Uint8Array): string | { $bytes_b64: string } {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return { $bytes_b64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
  }
}

/** A float as `json.dumps` prints it: Python's repr, and `NaN`/`Infinity` for the non-finite ones. */
export function rawNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return pythonFloatRepr(value);
}

/**
 * Whether JSON.stringify would print this number otherwise than Python: an integer past 2^53 can
 * only have come from a float (exact integers arrive as bigint), and below 1e-4 Python already
 * switches to exponents (`1e-05` where JavaScript writes `0.00001`).
 */
export function printsUnlikePython(value: number): boolean {
  if (!Number.isFinite(value)) return true;
  return Number.isInteger(value) ? !Number.isSafeInteger(value) : Math.abs(value) < 1e-4;
}

/** Python's json.dumps writes non-string dict keys as JSON scalars turned into text. */
export function mapKeyText(key: unknown): string {
  if (typeof key === 'string') return key;
  // A float key as json.dumps writes one: Python's repr, `NaN`, `Infinity`.
  if (key instanceof Float64) return rawNumber(key.value);
  if (typeof key === 'number' && printsUnlikePython(key)) return rawNumber(key);
  if (typeof key === 'number' && !Number.isInteger(key)) return rawNumber(key);
  if (key === null || key === undefined) return 'null';
  if (key instanceof Uint8Array) return Buffer.from(key).toString('latin1');
  // Keys are scalars (a number, bigint or boolean here); the type is only narrowed to `{}`.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  return String(key);
}
