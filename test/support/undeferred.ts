/** Test helper: compares values that may hold deferred returns with decoded ones. */
import { DeferredValue } from '../../src/python/deferred.js';

/**
 * `value` with every deferred value in it produced: the containers on the way to one are copied
 * (keeping their prototype, key order and own keys), everything else is shared.
 */
export function undeferred(value: unknown): unknown {
  if (value instanceof DeferredValue) return value.value();
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const resolved = undeferred(item);
      if (resolved !== item) (copy ??= value.slice())[i] = resolved;
    }
    return copy ?? value;
  }
  if (value instanceof Map) {
    let copy: Map<unknown, unknown> | undefined;
    for (const [key, item] of value as Map<unknown, unknown>) {
      const resolved = undeferred(item);
      if (resolved !== item) (copy ??= new Map(value as Map<unknown, unknown>)).set(key, resolved);
    }
    return copy ?? value;
  }
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto !== Object.prototype && proto !== null) return value;
  const keys = Object.keys(value);
  const items = keys.map((key) => (value as Record<string, unknown>)[key]);
  const resolved = items.map(undeferred);
  if (resolved.every((item, i) => item === items[i])) return value;
  // Own data properties, so that a key such as `__proto__` stays a key.
  const copy = Object.create(proto) as Record<string, unknown>;
  keys.forEach((key, i) => {
    Object.defineProperty(copy, key, { value: resolved[i], enumerable: true, writable: true, configurable: true });
  });
  return copy;
}
