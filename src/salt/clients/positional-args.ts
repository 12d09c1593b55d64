import { dictFrom, orderedKeys } from '../../dict.js';
import { isSaltMap, type SaltValue } from '../codec/values.js';

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
  if (isSaltMap(kwarg) && Object.keys(kwarg).length > 0) {
    // `__kwarg__` first, then the keyword arguments in the order they came (dict.ts).
    out.push(
      dictFrom<SaltValue>([['__kwarg__', true], ...orderedKeys(kwarg).map((key) => [key, kwarg[key]] as const)]),
    );
  }
  return out;
}
