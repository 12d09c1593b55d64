/**
 * What a Salt token looks like. The master mints one as the hex digest of random bytes under its
 * `hash_type` (salt/tokens/localfs.py `mk_token`: `hash_type(os.urandom(512)).hexdigest()`), so
 * every token it can know is hex of that digest's length: 64 digits for the default sha256, 32
 * for md5, 128 for sha512. A value of any other form cannot name a token, and asking the master
 * about it would only cost a round trip.
 */
import { createHash } from 'node:crypto';

/** Python's hashlib names that Node spells differently. */
const NODE_HASH_NAMES: ReadonlyMap<string, string> = new Map([
  ['blake2b', 'blake2b512'],
  ['blake2s', 'blake2s256'],
]);

/**
 * Hex digits of a `hash_type` digest, the length of the master's tokens; undefined for a name
 * Node does not know (then only the hex form is checked, so no valid token is ever refused).
 */
export function saltTokenLength(hashType: string): number | undefined {
  const name = hashType.toLowerCase();
  for (const candidate of [NODE_HASH_NAMES.get(name), name, name.replace(/_/g, '-')]) {
    if (candidate === undefined) continue;
    try {
      return createHash(candidate).digest('hex').length;
    } catch {
      // not a name Node knows; try the next spelling
    }
  }
  return undefined;
}

/** A regular-expression source matching exactly the tokens of that length (any hex without one). */
export function saltTokenPattern(length: number | undefined): string {
  return length === undefined ? '[0-9A-Fa-f]+' : `[0-9A-Fa-f]{${length}}`;
}

/** True when `value` could be one of the master's tokens: hex digits, of the digest's length when known. */
export function couldBeSaltToken(value: unknown, length: number | undefined): value is string {
  return typeof value === 'string' && new RegExp(`^${saltTokenPattern(length)}$`).test(value);
}
