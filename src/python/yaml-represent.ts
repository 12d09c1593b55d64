/**
 * PyYAML's SafeRepresenter as salt-api's YAML uses it: what each value is written as (scalars'
 * text, mappings' keys in `sorted()` order, bytes as base64 lines), for yaml-dump.ts.
 */
import { Float64 } from './float.js';
import { pythonFloatRepr } from './float-repr.js';
import { settled } from './deferred.js';
import type { ScalarNode } from './yaml-writer.js';

/** Written as an int: a bigint, or a number JS holds exactly (past 2^53 it can only have been a float). */
const isIntegerValue = (value: number | bigint): boolean =>
  typeof value === 'bigint' || (Number.isSafeInteger(value) && !Object.is(value, -0));

/** Python's float repr, adjusted the way PyYAML's represent_float keeps it a YAML 1.1 float. */
function yamlFloatText(value: number): string {
  if (Number.isNaN(value)) return '.nan';
  if (value === Infinity) return '.inf';
  if (value === -Infinity) return '-.inf';
  const text = pythonFloatRepr(value);
  return text.includes('.') || !text.includes('e') ? text : text.replace('e', '.0e');
}

/** Python's `datetime.isoformat(' ')` of the UTC instant, as PyYAML's represent_datetime writes it. */
function yamlDateText(date: Date): string {
  const iso = date.toISOString();
  const millis = iso.slice(20, 23);
  const base = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
  return millis === '000' ? base : `${base}.${millis}000`;
}

/** What JSON.stringify and a mapping here leave out: values with no YAML (or JSON) form. */
export function absent(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/** Python's `base64.encodebytes`: lines of 76 characters, each ending in a newline. */
function encodeBytes(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let out = '';
  for (let i = 0; i < text.length; i += 76) out += `${text.slice(i, i + 76)}\n`;
  return out;
}

/** SafeRepresenter's scalar for `value`, or undefined for a sequence or mapping. */
export function scalarNode(value: unknown): ScalarNode | undefined {
  if (typeof value === 'string') return { text: value, isString: true };
  if (value === null || value === undefined) return { text: 'null', isString: false };
  if (typeof value === 'boolean') return { text: value ? 'true' : 'false', isString: false };
  if (typeof value === 'bigint') return { text: String(value), isString: false };
  if (typeof value === 'number') {
    return { text: isIntegerValue(value) ? String(value) : yamlFloatText(value), isString: false };
  }
  if (value instanceof Float64) return { text: yamlFloatText(value.value), isString: false };
  if (value instanceof Uint8Array) return { text: encodeBytes(value), isString: false, tag: '!!binary' };
  if (value instanceof Date) return { text: yamlDateText(value), isString: false };
  if (typeof value === 'function' || typeof value === 'symbol') return { text: 'null', isString: false };
  return undefined;
}

/**
 * Python's order of str keys: by code point. UTF-16 order differs only between a character past
 * the BMP (a surrogate pair) and U+E000–U+FFFF, so the plain sort is used unless both occur.
 */
function codePointOrder(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      const fix = (c: number): number => (c >= 0xd800 && c <= 0xdfff ? c + 0x2000 : c >= 0xe000 ? c - 0x800 : c);
      return fix(x) - fix(y);
    }
  }
  return a.length - b.length;
}

function sortedText(keys: string[]): string[] {
  return keys.some((key) => /[\ud800-\uffff]/.test(key)) ? keys.sort(codePointOrder) : keys.sort();
}

const isNumeric = (key: unknown): key is number | bigint | boolean | Float64 =>
  typeof key === 'number' || typeof key === 'bigint' || typeof key === 'boolean' || key instanceof Float64;
const numeric = (key: number | bigint | boolean | Float64): number | bigint =>
  key instanceof Float64 ? key.value : typeof key === 'boolean' ? Number(key) : key;

/**
 * A Map's keys in `sorted()` order where Python can compare them all (all text, all numbers, all
 * bytes); otherwise in insertion order, as PyYAML leaves them when sorting raises TypeError.
 */
function sortedMapKeys(keys: unknown[]): unknown[] {
  if (keys.every((key) => typeof key === 'string')) return sortedText(keys);
  if (keys.every(isNumeric)) {
    return keys.sort((a, b) => {
      const x = numeric(a);
      const y = numeric(b);
      return x < y ? -1 : x > y ? 1 : 0;
    });
  }
  if (keys.every((key) => key instanceof Uint8Array)) return keys.sort((a, b) => Buffer.compare(a, b));
  return keys;
}

/** A mapping's keys, sorted as PyYAML sorts them, and their values; absent values left out. */
export function mappingEntries(value: object): { keys: unknown[]; values: unknown[] } {
  if (value instanceof Map) {
    const map = value as Map<unknown, unknown>;
    const keys = sortedMapKeys([...map.keys()].filter((key) => !absent(map.get(key))));
    return { keys, values: keys.map((key) => map.get(key)) };
  }
  const record = value as Record<string, unknown>;
  const keys = sortedText(Object.keys(record).filter((key) => !absent(record[key])));
  return { keys, values: keys.map((key) => record[key]) };
}

/**
 * What a value is written as: a deferred value as what it stands for, any other object with a
 * `toJSON` (other than those written above) as its JSON form, as the JSON writer has it.
 */
export function settledValue(value: unknown): unknown {
  const produced = settled(value);
  if (produced !== value) return produced;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Map) return value;
  if (value instanceof Float64 || value instanceof Uint8Array || value instanceof Date) return value;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  return typeof toJSON === 'function' ? (toJSON.call(value) as unknown) : value;
}
