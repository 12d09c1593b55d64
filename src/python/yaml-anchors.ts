/**
 * PyYAML's anchors and aliases: a list, dict (or deferred value standing for one) that a document
 * holds in more than one place is written in full once, marked `&id001`, and as `*id001` wherever
 * else it is met. salt-api's `/jobs/<jid>` puts each minion's return both in the job record and in
 * `return`, so a dict or list return is written that way. Ids are numbered in the order of each
 * value's second meeting, walking the value as the writer does (PyYAML's `anchor_node`). Text,
 * numbers, booleans, null and bytes are never aliased (SafeRepresenter's `ignore_aliases`).
 */
import { DeferredValue } from './deferred.js';
import { mappingEntries, scalarNode } from './yaml-represent.js';

/** What can be aliased: an array, a Map, a plain object, or a deferred value. */
function aliasable(value: unknown): value is object {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value) || value instanceof Map || value instanceof DeferredValue) return true;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Puts the values inside `value` on `pending` so that they come off it in the writer's order
 * (mapping keys sorted; keys are never aliased).
 */
function pushInWriterOrder(value: object, pending: unknown[]): void {
  if (value instanceof DeferredValue) return;
  const items = Array.isArray(value) ? (value as unknown[]) : mappingEntries(value).values;
  for (let i = items.length - 1; i >= 0; i--) pending.push(items[i]);
}

/** Puts the objects inside `value` on `pending`, in any order (no keys sorted): all a search for repeats needs. */
function pushObjects(value: object, pending: unknown[]): void {
  if (value instanceof DeferredValue) return;
  // One push per item: a spread of a list of 200,000 jobs would pass that many arguments.
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) if (typeof item === 'object' && item !== null) pending.push(item);
  } else if (value instanceof Map) {
    for (const item of (value as Map<unknown, unknown>).values()) {
      if (typeof item === 'object' && item !== null) pending.push(item);
    }
  } else {
    for (const key in value) {
      const item = (value as Record<string, unknown>)[key];
      if (typeof item === 'object' && item !== null) pending.push(item);
    }
  }
}

/**
 * Walks `root` depth first, never into a value met before (PyYAML's `anchor_node`): `pushInside`
 * puts a value's insides on the stack, `again` hears of each later meeting.
 */
function walk(
  root: unknown,
  pushInside: (value: object, pending: unknown[]) => void,
  again: (value: object) => void,
): void {
  const met = new Set<object>();
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (!aliasable(value)) continue;
    if (met.has(value)) {
      again(value);
      continue;
    }
    met.add(value);
    pushInside(value, pending);
  }
}

/**
 * The anchor of each value `root` holds more than once, or undefined when there is none (the usual
 * case, found by one walk of the containers without sorting anything).
 */
export function anchorsOf(root: unknown): Map<object, string> | undefined {
  let repeated = false;
  walk(root, pushObjects, () => (repeated = true));
  if (!repeated) return undefined;
  const anchors = new Map<object, string>();
  walk(root, pushInWriterOrder, (value) => {
    // A deferred value stands for text or a number as often as for a container.
    const stands = value instanceof DeferredValue ? value.value() : value;
    if (!anchors.has(value) && scalarNode(stands) === undefined) {
      anchors.set(value, `id${String(anchors.size + 1).padStart(3, '0')}`);
    }
  });
  return anchors;
}
