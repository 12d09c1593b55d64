import type { SaltValue } from '../codec/values.js';
import { parseIntText } from '../../python/numbers.js';

/**
 * `LocalClient._get_timeout`: whole seconds; an int is taken, a string is read with `int()`,
 * anything else (a float, text that is not an integer, None) means the default.
 */
export function localTimeoutSeconds(value: SaltValue, fallback: number): number {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') {
    const parsed = parseIntText(value);
    return parsed === undefined ? fallback : Number(parsed);
  }
  return fallback;
}

/** Milliseconds for a timer, clamped to what setTimeout accepts. */
export function toTimerMs(seconds: number): number {
  return Math.min(Math.max(0, seconds * 1000), 2_147_483_647);
}
