import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A key of this process only: what is compared is the HMAC of each side, never the sides. */
const comparisonKey = randomBytes(32);

/**
 * Whether two secrets (tokens, webhook secrets, the event hub's token) are equal, in time that
 * depends on neither their content nor their lengths: both are reduced to an HMAC under a key
 * of this process, and the digests compared with `timingSafeEqual`.
 */
export function secretsEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const digest = (value: string | Uint8Array): Buffer => createHmac('sha256', comparisonKey).update(value).digest();
  return timingSafeEqual(digest(a), digest(b));
}
