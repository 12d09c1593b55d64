/**
 * For a table kept in time order (each entry deleted and set again when it changes): drops from the
 * front what is older than `before`, and the oldest beyond `max`; stops at the first entry it keeps,
 * so each entry is dropped once and a call costs what it drops.
 */
export function dropOldest<K>(table: Map<K, number>, before: number, max: number): void {
  for (const [key, at] of table) {
    if (at >= before && table.size <= max) return;
    table.delete(key);
  }
}
