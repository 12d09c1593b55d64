import type { SaltValue } from '../codec/values.js';
import { InvalidRequestError } from '../errors.js';
import { floatOf, intOf } from '../../python/numbers.js';
import { pythonStr } from '../../python/repr.js';

/**
 * Numeric options of a lowstate chunk (`timeout`, `batch_wait`, `gather_job_timeout`, `sub`…)
 * read as the Salt code behind them reads them, with `int()` or `float()`; what Python refuses
 * is a 400 naming the option.
 */

/** Python's `int(value)`. */
export function intOption(value: SaltValue, name: string): number {
  const parsed = intOf(value);
  if (parsed === undefined) {
    throw new InvalidRequestError(`'${name}' must be a whole number, not ${JSON.stringify(pythonStr(value))}`);
  }
  return Number(parsed);
}

/** Python's `float(value)`, as seconds: `nan` is refused too. */
export function secondsOption(value: SaltValue, name: string): number {
  const parsed = floatOf(value);
  if (parsed === undefined || Number.isNaN(parsed)) {
    throw new InvalidRequestError(`'${name}' must be a number of seconds, not ${JSON.stringify(pythonStr(value))}`);
  }
  return parsed;
}
