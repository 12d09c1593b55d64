/**
 * salt-api's YAML: `salt.utils.yaml.safe_dump(data, default_flow_style=False)`, i.e. PyYAML's
 * SafeRepresenter (keys sorted, floats as Python prints them, bytes as `!!binary`) feeding
 * libyaml's emitter (yaml-writer.ts), with PyYAML's anchors for values held twice (yaml-anchors.ts).
 * The value is walked with an explicit stack, so an answer of any size or depth is written in
 * chunks as it goes (docs/routes.md "Responses").
 */
import { YamlWriter } from './yaml-writer.js';
import { analyzeScalar } from './yaml-scalar.js';
import { absent, mappingEntries, scalarNode, settledValue } from './yaml-represent.js';
import { anchorsOf } from './yaml-anchors.js';

/** A block sequence or mapping being written: its items (for a mapping, keys and values) and the next one. */
interface Frame {
  /** The array, object or Map written (one found inside itself without an anchor is refused). */
  readonly source: object;
  readonly keys: readonly unknown[] | undefined;
  readonly items: readonly unknown[];
  next: number;
}

function frameOf(value: object): Frame {
  if (Array.isArray(value)) return { source: value, keys: undefined, items: value, next: 0 };
  const { keys, values } = mappingEntries(value);
  return { source: value, keys, items: values, next: 0 };
}

class YamlDumper {
  readonly writer: YamlWriter;
  private readonly stack: Frame[] = [];
  /** Values already written in full, of those with an anchor. */
  private readonly anchored = new Set<unknown>();

  constructor(
    width: number,
    private readonly anchors: Map<object, string> | undefined,
  ) {
    this.writer = new YamlWriter(width);
  }

  get busy(): boolean {
    return this.stack.length > 0;
  }

  /** `yaml_emitter_emit_node`: a scalar or empty collection is written now; any other starts a frame. */
  node(raw: unknown, mapping: boolean, simpleKey = false): void {
    const anchor = this.anchors?.get(raw as object);
    if (anchor !== undefined) {
      if (this.anchored.has(raw)) {
        this.writer.writeAlias(anchor, simpleKey);
        return;
      }
      this.anchored.add(raw);
    }
    const value = settledValue(raw);
    const scalar = scalarNode(value);
    if (scalar !== undefined) {
      this.writer.writeScalar(scalar, analyzeScalar(scalar.text), simpleKey);
      return;
    }
    if (anchor !== undefined) this.writer.writeAnchor(anchor);
    const frame = frameOf(value as object);
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
  const dumper = new YamlDumper(width, anchorsOf(value));
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
