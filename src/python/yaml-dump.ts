/**
 * salt-api's YAML: `salt.utils.yaml.safe_dump(data, default_flow_style=False)`, i.e. PyYAML's
 * SafeRepresenter (keys sorted, floats as Python prints them, bytes as `!!binary`) feeding
 * libyaml's emitter (yaml-writer.ts). The value is walked with an explicit stack, so an answer of
 * any size or depth is written in chunks as it goes (docs/routes.md "Responses").
 */
import { Float64 } from './float.js';
import { DeferredValue } from './deferred.js';
import { isIntegerValue, yamlDateText, yamlFloatText } from './yaml11-types.js';
import { YamlWriter, type ScalarNode } from './yaml-writer.js';
import { analyzeScalar } from './yaml-scalar.js';

/** A block sequence or mapping being written: its items (for a mapping, keys and values) and the next one. */
interface Frame {
  /** The array, object or Map written: a value found inside itself is refused, as JSON.stringify does. */
  readonly source: object;
  readonly keys: readonly unknown[] | undefined;
  readonly items: readonly unknown[];
  next: number;
}

/** What JSON.stringify and a mapping here leave out: values with no YAML (or JSON) form. */
function absent(value: unknown): boolean {
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
function scalarNode(value: unknown): ScalarNode | undefined {
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

/** A mapping's keys (sorted) and values, leaving out absent values. */
function mappingFrame(value: object): Frame {
  if (value instanceof Map) {
    const map = value as Map<unknown, unknown>;
    const keys = sortedMapKeys([...map.keys()].filter((key) => !absent(map.get(key))));
    return { source: value, keys, items: keys.map((key) => map.get(key)), next: 0 };
  }
  const record = value as Record<string, unknown>;
  const keys = sortedText(Object.keys(record).filter((key) => !absent(record[key])));
  return { source: value, keys, items: keys.map((key) => record[key]), next: 0 };
}

/**
 * What a value is written as: a deferred value as what it stands for, any other object with a
 * `toJSON` (other than those written above) as its JSON form, as the JSON writer has it.
 */
function settledValue(value: unknown): unknown {
  if (value instanceof DeferredValue) return value.value();
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Map) return value;
  if (value instanceof Float64 || value instanceof Uint8Array || value instanceof Date) return value;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  return typeof toJSON === 'function' ? (toJSON.call(value) as unknown) : value;
}

class YamlDumper {
  readonly writer: YamlWriter;
  private readonly stack: Frame[] = [];

  constructor(width: number) {
    this.writer = new YamlWriter(width);
  }

  get busy(): boolean {
    return this.stack.length > 0;
  }

  /** `yaml_emitter_emit_node`: a scalar or empty collection is written now; any other starts a frame. */
  node(raw: unknown, mapping: boolean, simpleKey = false): void {
    const value = settledValue(raw);
    const scalar = scalarNode(value);
    if (scalar !== undefined) {
      this.writer.writeScalar(scalar, analyzeScalar(scalar.text), simpleKey);
      return;
    }
    const frame: Frame = Array.isArray(value)
      ? { source: value, keys: undefined, items: value, next: 0 }
      : mappingFrame(value as object);
    if (frame.items.length === 0) {
      if (frame.keys === undefined) this.writer.writeEmptyFlow('[', ']');
      else this.writer.writeEmptyFlow('{', '}');
      return;
    }
    if (this.stack.some((open) => open.source === frame.source)) {
      throw new TypeError('Converting circular structure to YAML');
    }
    const indentless = frame.keys === undefined && mapping && !this.writer.atIndention;
    this.writer.increaseIndent(false, indentless);
    this.stack.push(frame);
  }

  /** Writes the next item of the innermost sequence or mapping, or closes it. */
  step(): void {
    const frame = this.stack[this.stack.length - 1];
    if (frame === undefined) return;
    if (frame.next === frame.items.length) {
      this.stack.pop();
      this.writer.popIndent();
      return;
    }
    const index = frame.next++;
    const item = frame.items[index];
    this.writer.writeIndent();
    if (frame.keys === undefined) {
      this.writer.writeIndicator('-', true, false, true);
      this.node(absent(item) ? null : item, false);
      return;
    }
    this.key(frame.keys[index]);
    this.node(item, true);
  }

  /** A mapping key: simple (`key:`) where libyaml allows it, else explicit (`? key` / `:`). */
  private key(raw: unknown): void {
    const key = settledValue(raw);
    const scalar = scalarNode(key);
    const analysis = scalar === undefined ? undefined : analyzeScalar(scalar.text);
    if (scalar !== undefined && analysis !== undefined && YamlWriter.isSimpleKey(scalar, analysis)) {
      this.writer.writeScalar(scalar, analysis, true);
      this.writer.writeIndicator(':', false, false, false);
      return;
    }
    this.writer.writeIndicator('?', true, false, true);
    const depth = this.stack.length;
    this.node(key, true);
    while (this.stack.length > depth) this.step();
    this.writer.writeIndent();
    this.writer.writeIndicator(':', true, false, true);
  }
}

/**
 * The YAML text of `value` in chunks of about `chunkChars` (one long scalar may make a larger one):
 * the same text as {@link dumpYaml}, never held whole. `width` is PyYAML's (below 0: no folding).
 */
export function* dumpYamlChunks(
  value: unknown,
  chunkChars = 64 * 1024,
  width = 80,
): Generator<string, void, undefined> {
  const dumper = new YamlDumper(width);
  dumper.node(value, false);
  while (dumper.busy) {
    dumper.step();
    if (dumper.writer.pending >= chunkChars) yield dumper.writer.take();
  }
  dumper.writer.endDocument();
  yield dumper.writer.take();
}

/** The YAML text of `value`, as salt-api writes it (see {@link dumpYamlChunks}). */
export function dumpYaml(value: unknown, width = 80): string {
  let text = '';
  for (const chunk of dumpYamlChunks(value, Number.POSITIVE_INFINITY, width)) text += chunk;
  return text;
}
