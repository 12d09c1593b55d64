import { isSaltMap, type SaltValue } from '../codec/values.js';
import type { CacheVerdict, CircuitStatus } from './circuit.js';

/** Whether a cache server answers, for `/readyz` and the metrics (drivers that talk to one). */
export interface CacheHealth {
  /** The driver's name (`redis`). */
  readonly driver: string;
  /** Down while the driver's circuit is open; otherwise a recent answer, else one ping, decides. */
  check(): Promise<CacheVerdict>;
  /** What is known now, without asking the server. */
  status(): CircuitStatus;
}

/** What salt-apid uses of `salt.cache.Cache`: the same four operations on every driver. */
export interface SaltCache {
  /** `Cache.store`; with `expiresSeconds`, the value is kept in the `_expires` envelope. */
  store(bank: string, key: string, data: SaltValue, expiresSeconds?: number): Promise<void>;
  /** `Cache.fetch`: undefined when missing, unreadable or expired. */
  fetch(bank: string, key: string): Promise<SaltValue | undefined>;
  /** `Cache.flush(bank, key)`: true when there was something to remove. */
  flush(bank: string, key: string): Promise<boolean>;
  /** `Cache.list(bank)`. */
  list(bank: string): Promise<string[]>;
  /** Lets go of a connection, for drivers that hold one. */
  close?(): Promise<void>;
  /** For drivers that talk to a server: whether it answers. */
  readonly health?: CacheHealth;
}

/** `Cache.store`'s fallback for drivers without expiry: `{"data": value, "_expires": <epoch s>}`. */
export function wrapExpiry(data: SaltValue, expiresSeconds: number | undefined, now: () => number): SaltValue {
  return expiresSeconds === undefined ? data : { data, _expires: Math.trunc(now() / 1000 + expiresSeconds) };
}

/** `Cache.fetch`'s side of it: the value, or undefined once `_expires` has passed. */
export function unwrapExpiry(value: SaltValue, now: () => number): SaltValue | undefined {
  if (!isSaltMap(value)) return value;
  const keys = Object.keys(value);
  if (keys.length !== 2 || !Object.hasOwn(value, 'data') || !Object.hasOwn(value, '_expires')) return value;
  const expires = value['_expires'];
  if (typeof expires === 'number' && expires <= now() / 1000) return undefined;
  return value['data'];
}
