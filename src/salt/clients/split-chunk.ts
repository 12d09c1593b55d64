import type { SaltMap, SaltValue } from '../codec/values.js';
import { emptyDict } from '../../dict.js';

/**
 * How salt-api turns a lowstate chunk into a Python call (`salt.utils.args.format_call`): keys
 * naming a parameter of the client method become that parameter, every other key is an extra
 * keyword, in the chunk's order.
 */
export interface SplitChunk {
  named: Map<string, SaltValue>;
  /** Every key that is not a named parameter, in the chunk's order. */
  extras: SaltMap;
}

export function splitChunk(chunk: SaltMap, parameters: readonly string[]): SplitChunk {
  const named = new Map<string, SaltValue>();
  const extras = emptyDict<SaltValue>();
  for (const [key, value] of Object.entries(chunk)) {
    if (parameters.includes(key)) named.set(key, value);
    else extras[key] = value;
  }
  return { named, extras };
}

/** A copy of `map` without `keys`, in its order. */
export function omit(map: SaltMap, keys: readonly string[]): SaltMap {
  const out = emptyDict<SaltValue>();
  for (const [key, value] of Object.entries(map)) if (!keys.includes(key)) out[key] = value;
  return out;
}
