/**
 * Objects keyed by data from outside: minion ids, jids, tags, request fields, config names. A
 * null-prototype object has no `__proto__` setter and inherits nothing, so every key —
 * `__proto__`, `constructor`, `toString` — is an ordinary own key: writing one cannot reach
 * `Object.prototype`, reading one never finds an inherited function, and JSON, YAML and msgpack
 * encode it like any other key.
 */
export function emptyDict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** A copy of `entries` as a null-prototype object (later keys win, as in a dict). */
export function dictFrom<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  const dict = emptyDict<T>();
  for (const [key, value] of entries) dict[key] = value;
  return dict;
}

/**
 * Sets `key` as an own data property of any object, even `__proto__` on an ordinary object (where
 * a plain assignment would replace the prototype and lose the key).
 */
export function setOwn<T>(dict: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(dict, key, { value, enumerable: true, writable: true, configurable: true });
}

/** `dict[key]` when it is the object's own key; never an inherited member such as `constructor`. */
export function ownValue<T>(dict: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(dict, key) ? dict[key] : undefined;
}

/**
 * `String(value)` that cannot throw: a null-prototype object, or one whose own `toString` is
 * data, has no usable conversion and reads as `[object Object]` like any other object.
 */
export function safeText(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
