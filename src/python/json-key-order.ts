/**
 * The key order of the objects of a JSON text, put back on what the parser made of it where a
 * JavaScript object lost it (keys that look like numbers come first in an object; in a Python dict,
 * and so in what salt-api sends on to the master, they stay where they were: decision 0039).
 * Only a text whose parse holds such a key is read again; the text has already parsed.
 */
import { isIndexKey, setKeyOrder } from '../dict.js';
import { closingQuote } from './json-dumps.js';

/** What the text holds at each place: nothing to order (a scalar), an array's items, or an object's keys. */
type Shape = undefined | Shape[] | { keys: string[]; values: Shape[] };

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** A reader of the containers of a JSON text that has already parsed (so it checks nothing). */
class ShapeReader {
  private pos = 0;

  constructor(private readonly text: string) {}

  private skipSpace(): void {
    while (WHITESPACE.has(this.text.charCodeAt(this.pos))) this.pos++;
  }

  value(): Shape {
    this.skipSpace();
    const c = this.text.charCodeAt(this.pos);
    if (c === 0x7b) return this.object();
    if (c === 0x5b) return this.array();
    if (c === 0x22) {
      this.pos = closingQuote(this.text, this.pos) + 1;
      return undefined;
    }
    // A number, true, false, null, or Python's NaN/Infinity: up to the next `,`, `]`, `}` or space.
    while (this.pos < this.text.length && !/[,\]}\s]/.test(this.text.charAt(this.pos))) this.pos++;
    return undefined;
  }

  /** The items of the array or object opening here, each read by `item`, up to `close` (`]` or `}`). */
  private items(close: number, item: () => void): void {
    this.pos++;
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) === close) {
      this.pos++;
      return;
    }
    for (;;) {
      item();
      this.skipSpace();
      if (this.text.charCodeAt(this.pos++) !== 0x2c) return;
    }
  }

  private array(): Shape[] {
    const items: Shape[] = [];
    this.items(0x5d, () => items.push(this.value()));
    return items;
  }

  private object(): { keys: string[]; values: Shape[] } {
    const shape = { keys: [] as string[], values: [] as Shape[] };
    this.items(0x7d, () => {
      this.skipSpace();
      const end = closingQuote(this.text, this.pos) + 1;
      shape.keys.push(JSON.parse(this.text.slice(this.pos, end)) as string);
      this.pos = end;
      this.skipSpace();
      this.pos++; // the colon
      shape.values.push(this.value());
    });
    return shape;
  }
}

function isDict(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Whether any object in `value` has a key an object lists first. */
function hasIndexKey(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (Array.isArray(item)) for (const inner of item as unknown[]) pending.push(inner);
    else if (isDict(item)) {
      for (const key of Object.keys(item)) {
        if (isIndexKey(key)) return true;
        pending.push(item[key]);
      }
    }
  }
  return false;
}

/** Records each object's key order from its shape: a key given twice keeps its first place and its last value. */
function applyOrder(value: unknown, shape: Shape): void {
  if (shape === undefined) return;
  if (Array.isArray(shape)) {
    if (Array.isArray(value)) shape.forEach((inner, i) => applyOrder((value as unknown[])[i], inner));
    return;
  }
  if (!isDict(value)) return;
  const last = new Map<string, Shape>();
  shape.keys.forEach((key, i) => last.set(key, shape.values[i]));
  const order = [...last.keys()];
  for (const key of order) applyOrder(value[key], last.get(key));
  if (order.some(isIndexKey)) setKeyOrder(value, order);
}

/** Puts back the order of `text`'s object keys on `value`, its parse, where an object lost it. */
export function restoreKeyOrder(value: unknown, text: string): void {
  if (!hasIndexKey(value)) return;
  applyOrder(value, new ShapeReader(text).value());
}
