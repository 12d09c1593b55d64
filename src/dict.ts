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

/**
 * A copy of `entries` as a null-prototype object (later keys win, as in a dict), keeping the order
 * the keys came in where an object would not ({@link orderedKeys}).
 */
export function dictFrom<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  const dict = emptyDict<T>();
  let order: string[] | undefined;
  for (const [key, value] of entries) {
    order = noteKey(dict, key, order);
    dict[key] = value;
  }
  if (order !== undefined) setKeyOrder(dict, order);
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

/**
 * The order of a dict's keys where a JavaScript object cannot keep it: an object lists keys that
 * look like array indices (`"0"`, `"10"`) first, in numeric order, and the others after, where a
 * Python dict keeps the order keys came in. A dict decoded from the wire with such keys carries its
 * order under this symbol (not enumerable: a spread or `Object.keys` does not see it), and the
 * writers that keep order (JSON, msgpack) read it through {@link orderedKeys}.
 */
const KEY_ORDER = Symbol('salt-apid.keyOrder');

/** Whether an object would list `key` first: a canonical array index, 0 to 2^32 − 2. */
export function isIndexKey(key: string): boolean {
  const first = key.charCodeAt(0);
  if (first < 0x30 || first > 0x39 || key.length > 10) return false;
  return (key === '0' || (first !== 0x30 && /^\d+$/.test(key))) && Number(key) < 4_294_967_295;
}

/**
 * The order of a dict's keys so far, called before `key` is set on it: none while every key is one
 * an object keeps in place; from the first index-like key on, every key in the order it first came
 * (a key set again keeps its place, as in a dict). What to pass to {@link setKeyOrder} once filled.
 */
export function noteKey(dict: object, key: string, order: string[] | undefined): string[] | undefined {
  if (order === undefined) return isIndexKey(key) ? [...Object.keys(dict), key] : undefined;
  if (!Object.hasOwn(dict, key)) order.push(key);
  return order;
}

/** Records the order `keys` came in, for a dict that has index-like keys among them. */
export function setKeyOrder(dict: object, keys: readonly string[]): void {
  Object.defineProperty(dict, KEY_ORDER, { value: keys, enumerable: false, writable: true, configurable: true });
}

/** Whether `dict` carries an order of its own (otherwise its own keys are in order). */
export function hasKeyOrder(dict: object): boolean {
  return Object.hasOwn(dict, KEY_ORDER);
}

/**
 * The dict's own enumerable keys in the order they came in: the recorded order (of those keys still
 * there), then any key added since, in the object's order. Without a record, `Object.keys`.
 */
export function orderedKeys(dict: object): string[] {
  const own = Object.keys(dict);
  if (!hasKeyOrder(dict)) return own;
  const recorded = (dict as { [KEY_ORDER]: readonly string[] })[KEY_ORDER];
  const keys = recorded.filter((key) => Object.prototype.propertyIsEnumerable.call(dict, key));
  if (keys.length === own.length) return keys;
  const listed = new Set(keys);
  for (const key of own) if (!listed.has(key)) keys.push(key);
  return keys;
}
