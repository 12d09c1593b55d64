/**
 * `json.dumps` as salt-api writes it (json-dumps.ts), produced in chunks of about `chunkChars`
 * rather than as one string: an answer of 100 MB is written to the socket as it is serialised,
 * with one copy of each chunk at a time, and the event loop gets a turn between chunks. The text is
 * the same, character for character, as {@link jsonDumps} writes (a property test holds them to it).
 *
 * A walk with a stack of its own rather than recursion, so that it can stop after any value.
 */
import { DeferredValue } from './deferred.js';
import { Float64 } from './float.js';
import { bytesValue, mapKeyText, printsUnlikePython, rawNumber } from './json-scalars.js';
import { orderedKeys } from '../dict.js';

/** An object's entries in the order its keys came in (dict.ts). */
function orderedEntries(value: object): Array<readonly [string, unknown]> {
  const record = value as Record<string, unknown>;
  return orderedKeys(record).map((key) => [key, record[key]] as const);
}

/** What JSON.stringify leaves out of an object and writes as `null` in an array. */
function skipped(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/** A value as JSON.stringify would see it after `toJSON` and the replacer of json-dumps.ts. */
type Resolved =
  | { text: string }
  | { array: readonly unknown[] }
  | { entries: ReadonlyArray<readonly [string, unknown]>; source: object }
  | undefined;

/** JSON.stringify's `toJSON` step, then what the replacer does with the original and the result. */
function resolve(value: unknown, key: string): Resolved {
  // Produced here, written, and let go: a large answer never holds all its deferred values at once.
  if (value instanceof DeferredValue) return resolve(value.value(), key);
  if (value instanceof Uint8Array) {
    const decoded = bytesValue(value);
    return typeof decoded === 'string'
      ? { text: JSON.stringify(decoded) }
      : { entries: Object.entries(decoded), source: decoded };
  }
  if (value instanceof Float64) return { text: rawNumber(value.value) };
  let seen = value;
  if (seen !== null && typeof seen === 'object' && typeof (seen as { toJSON?: unknown }).toJSON === 'function') {
    seen = (seen as { toJSON: (key: string) => unknown }).toJSON(key);
  }
  switch (typeof seen) {
    case 'string':
      return { text: JSON.stringify(seen) };
    case 'bigint':
      return { text: seen.toString() };
    case 'number':
      return { text: printsUnlikePython(seen) ? rawNumber(seen) : JSON.stringify(seen) };
    case 'boolean':
      return { text: seen ? 'true' : 'false' };
    case 'object':
      if (seen === null) return { text: 'null' };
      if (Array.isArray(seen)) return { array: seen };
      if (seen instanceof Map) {
        // As Python's json.dumps writes a dict: in insertion order, each key as text (a key text
        // met twice, as 1 and "1" may be, is written twice).
        const mapped = [...(seen as Map<unknown, unknown>)].map(
          ([mapKey, mapValue]) => [mapKeyText(mapKey), mapValue] as const,
        );
        return { entries: mapped, source: seen };
      }
      return { entries: orderedEntries(seen), source: seen };
    default:
      return undefined;
  }
}

interface Frame {
  /** The container (what `toJSON` and the replacer made of it), for the cycle check. */
  of: unknown;
  /** The items of an array, or the entries of an object, and the next one to write. */
  array?: readonly unknown[];
  entries?: ReadonlyArray<readonly [string, unknown]>;
  next: number;
  /** Whether something was written in this container yet (for the separator). */
  wrote: boolean;
}

/** The chunks of `json.dumps(value)`: joined, exactly {@link jsonDumps}'s text. */
export function* jsonDumpsChunks(value: unknown, chunkChars = 64 * 1024): Generator<string, void, undefined> {
  let chunk = '';
  const write = (text: string): void => {
    chunk += text;
  };
  const stack: Frame[] = [];
  /**
   * A value inside itself is an error, as in JSON.stringify, which also looks for it on its stack.
   * Not a Set of the open containers: a Set that gains and loses a key for every container of a
   * 100 MB answer has its table replaced again and again, and once one table is in the old
   * generation V8 allocates every later one there, holding young containers: each young collection
   * then promotes about 2 MB, and the heap grows by 100 MB in a second or two (decision 0037).
   */
  const enter = (container: unknown): void => {
    for (const frame of stack) {
      if (frame.of === container) throw new TypeError('Converting circular structure to JSON');
    }
  };
  /** Writes a scalar, or opens a container (pushed on the stack); what JSON skips is written as null. */
  const begin = (resolved: Resolved): void => {
    if (resolved === undefined) {
      write('null');
    } else if ('text' in resolved) {
      write(resolved.text);
    } else if ('array' in resolved) {
      enter(resolved.array);
      write('[');
      stack.push({ of: resolved.array, array: resolved.array, next: 0, wrote: false });
    } else {
      enter(resolved.source);
      write('{');
      stack.push({ of: resolved.source, entries: resolved.entries, next: 0, wrote: false });
    }
  };
  begin(skipped(value) ? undefined : resolve(value, ''));
  while (stack.length > 0) {
    const frame = stack.at(-1)!;
    if (frame.array !== undefined) {
      if (frame.next >= frame.array.length) {
        write(']');
        stack.pop();
      } else {
        const index = frame.next++;
        if (frame.wrote) write(', ');
        frame.wrote = true;
        const item = frame.array[index];
        begin(skipped(item) ? undefined : resolve(item, String(index)));
      }
    } else {
      const entries = frame.entries!;
      if (frame.next >= entries.length) {
        write('}');
        stack.pop();
      } else {
        const [key, item] = entries[frame.next++]!;
        const resolved = skipped(item) ? undefined : resolve(item, key);
        if (resolved === undefined) continue;
        if (frame.wrote) write(', ');
        frame.wrote = true;
        write(JSON.stringify(key));
        write(': ');
        begin(resolved);
      }
    }
    if (chunk.length >= chunkChars) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}
