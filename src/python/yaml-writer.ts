/**
 * The text-writing half of libyaml's emitter (0.2.5, behind PyYAML's CSafeDumper), for block-style
 * documents: where lines break, how far they are indented, and how scalars are written in each of
 * their styles. State and routines keep libyaml's names (`column`, `whitespace`, `indention`,
 * `write_indent`, `write_indicator`...) so the two can be read side by side; yaml-dump.ts walks the
 * value and calls them in the order libyaml's state machine would.
 */
import { analyzeScalar, isBreak, isPrintable, readsAsString, type ScalarAnalysis } from './yaml-scalar.js';

const LF = 0x0a;
const SPACE = 0x20;

/** A scalar as the representer hands it over: its text, and how its type shows. */
export interface ScalarNode {
  readonly text: string;
  /** A string: quoted where plain text would read as another type. Other types are written plain. */
  readonly isString: boolean;
  /** A tag written before the text (`!!binary`); such a scalar is written as a literal block. */
  readonly tag?: string;
}

type Style = 'plain' | 'single' | 'double' | 'literal';

/** libyaml's escapes in double-quoted scalars; other characters are `\x`, `\u` or `\U` and hex. */
const ESCAPES = new Map<number, string>([
  [0x00, '0'],
  [0x07, 'a'],
  [0x08, 'b'],
  [0x09, 't'],
  [0x0a, 'n'],
  [0x0b, 'v'],
  [0x0c, 'f'],
  [0x0d, 'r'],
  [0x1b, 'e'],
  [0x22, '"'],
  [0x5c, '\\'],
  [0x85, 'N'],
  [0xa0, '_'],
  [0x2028, 'L'],
  [0x2029, 'P'],
]);

function escaped(c: number): string {
  const name = ESCAPES.get(c);
  if (name !== undefined) return `\\${name}`;
  const hex = c.toString(16).toUpperCase();
  if (c <= 0xff) return `\\x${hex.padStart(2, '0')}`;
  if (c <= 0xffff) return `\\u${hex.padStart(4, '0')}`;
  return `\\U${hex.padStart(8, '0')}`;
}

export class YamlWriter {
  /** Text written and not yet taken. */
  private out = '';
  private column = 0;
  private whitespace = true;
  private indention = true;
  private indent = -1;
  private readonly indents: number[] = [];
  private openEnded = false;

  /** `width` as PyYAML's `width`: lines fold past it; below 0, never. */
  constructor(private readonly bestWidth = 80) {
    if (bestWidth < 0) this.bestWidth = Number.MAX_SAFE_INTEGER;
    else if (bestWidth <= 4) this.bestWidth = 80;
  }

  get pending(): number {
    return this.out.length;
  }

  /** The text written since the last call. */
  take(): string {
    const text = this.out;
    this.out = '';
    return text;
  }

  /** libyaml's `indention`: nothing but indentation and indicators such as `- ` on this line yet. */
  get atIndention(): boolean {
    return this.indention;
  }

  increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? 2 : 0;
    else if (!indentless) this.indent += 2;
  }

  popIndent(): void {
    this.indent = this.indents.pop() ?? -1;
  }

  private put(text: string): void {
    this.out += text;
    this.column += text.length;
  }

  private putBreak(): void {
    this.out += '\n';
    this.column = 0;
  }

  writeIndent(): void {
    const indent = this.indent >= 0 ? this.indent : 0;
    let text = '';
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) {
      text = '\n';
      this.column = 0;
    }
    if (this.column < indent) {
      text += ' '.repeat(indent - this.column);
      this.column = indent;
    }
    this.out += text;
    this.whitespace = true;
    this.indention = true;
  }

  writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    this.put(indicator);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  /** An empty sequence or mapping, which libyaml writes in flow style: `[]`, `{}`. */
  writeEmptyFlow(open: string, close: string): void {
    this.writeIndicator(open, true, true, false);
    this.writeIndicator(close, false, false, false);
  }

  /** The end of the document: its last line ended (libyaml's document end and stream end). */
  endDocument(): void {
    this.indent = -1;
    this.writeIndent();
    if (this.openEnded) {
      this.writeIndicator('...', true, false, false);
      this.writeIndent();
    }
  }

  /** `yaml_emitter_check_simple_key` for a scalar key (sequences and mappings never are keys here). */
  static isSimpleKey(node: ScalarNode, analysis: ScalarAnalysis): boolean {
    if (analysis.multiline) return false;
    const length = (node.tag?.length ?? 0) + (node.text.length > 42 ? Buffer.byteLength(node.text) : node.text.length);
    return length <= 128;
  }

  /** `yaml_emitter_emit_scalar`: the style chosen, the tag, then the text one indent further in. */
  writeScalar(node: ScalarNode, analysis: ScalarAnalysis = analyzeScalar(node.text), simpleKey = false): void {
    const style = YamlWriter.selectStyle(node, analysis, simpleKey);
    if (node.tag !== undefined) {
      if (!this.whitespace) this.put(' ');
      this.put(node.tag);
      this.whitespace = false;
      this.indention = false;
    }
    this.increaseIndent(true, false);
    if (style === 'plain') this.writePlain(node.text, !simpleKey);
    else if (style === 'single') this.writeSingleQuoted(node.text, !simpleKey);
    else if (style === 'double') this.writeDoubleQuoted(node.text, !simpleKey);
    else this.writeLiteral(node.text);
    this.popIndent();
  }

  /** `yaml_emitter_select_scalar_style` in block context, where only strings can need quotes. */
  private static selectStyle(node: ScalarNode, analysis: ScalarAnalysis, simpleKey: boolean): Style {
    let style: Style = node.tag === undefined ? 'plain' : 'literal';
    if (simpleKey && analysis.multiline) style = 'double';
    if (style === 'plain') {
      if (!analysis.plainAllowed || (analysis.empty && simpleKey)) style = 'single';
      else if (node.isString && !readsAsString(node.text)) style = 'single';
    }
    if (style === 'single' && !analysis.singleQuotedAllowed) style = 'double';
    if (style === 'literal' && (!analysis.blockAllowed || simpleKey)) style = 'double';
    return style;
  }

  /** Writes `text.slice(start, end)`: characters with no role in folding (one column each). */
  private run(text: string, start: number, end: number, doubleQuotes = false): void {
    if (end <= start) return;
    let part = text.slice(start, end);
    if (doubleQuotes && part.includes("'")) part = part.replaceAll("'", "''");
    this.put(part);
    this.indention = false;
  }

  /**
   * A line break inside a plain, single-quoted or literal scalar: in the first two, the first LF
   * of a run is written twice (a single LF would fold into a space when read); LS and PS are
   * written as they are.
   */
  private lineBreak(c: number, first: boolean): void {
    if (c === LF) this.out += first ? '\n\n' : '\n';
    else this.out += String.fromCharCode(c);
    this.column = 0;
    this.indention = true;
  }

  /**
   * `yaml_emitter_write_plain_scalar` and `..._single_quoted_scalar`, which differ only in the
   * quotes and in where a space may become a line break. Such text holds only characters of the
   * BMP that are printable, so each UTF-16 unit is one column (two for a doubled quote). The text
   * between line breaks and folds is written in one piece.
   */
  private writeFolded(text: string, allowBreaks: boolean, quoted: boolean): void {
    let spaces = false;
    let breaks = false;
    let start = 0;
    let quotes = 0;
    const last = text.length - 1;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === SPACE) {
        const column = this.column + (i - start) + quotes;
        const edge = quoted && (i === 0 || i === last);
        if (allowBreaks && !spaces && column > this.bestWidth && !edge && text.charCodeAt(i + 1) !== SPACE) {
          this.run(text, start, i, quoted);
          this.writeIndent();
          start = i + 1;
          quotes = 0;
        }
        spaces = true;
      } else if (c === LF || ((c === 0x2028 || c === 0x2029 || c === 0x0d || c === 0x85) && isBreak(c))) {
        this.run(text, start, i, quoted);
        this.lineBreak(c, !breaks);
        breaks = true;
        start = i + 1;
        quotes = 0;
      } else {
        if (breaks) this.writeIndent();
        if (c === 0x27) quotes++;
        spaces = false;
        breaks = false;
      }
    }
    this.run(text, start, text.length, quoted);
    if (quoted && breaks) this.writeIndent();
  }

  private writePlain(text: string, allowBreaks: boolean): void {
    if (!this.whitespace && text.length > 0) this.put(' ');
    this.writeFolded(text, allowBreaks, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeSingleQuoted(text: string, allowBreaks: boolean): void {
    this.writeIndicator("'", true, false, false);
    this.writeFolded(text, allowBreaks, true);
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  /** `yaml_emitter_write_double_quoted_scalar`: escapes, and spaces that may become `\`-less breaks. */
  private writeDoubleQuoted(text: string, allowBreaks: boolean): void {
    this.writeIndicator('"', true, false, false);
    let spaces = false;
    let start = 0;
    const last = text.length - 1;
    for (let i = 0; i < text.length;) {
      let c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff) c = text.codePointAt(i) ?? c;
      const width = c > 0xffff ? 2 : 1;
      if (!isPrintable(c) || isBreak(c) || c === 0x22 || c === 0x5c) {
        this.run(text, start, i);
        this.put(escaped(c));
        spaces = false;
        start = i + width;
      } else if (c === SPACE) {
        const column = this.column + (i - start);
        if (allowBreaks && !spaces && column > this.bestWidth && i !== 0 && i !== last) {
          this.run(text, start, i);
          this.writeIndent();
          if (text.charCodeAt(i + 1) === SPACE) this.put('\\');
          start = i + 1;
        }
        spaces = true;
      } else spaces = false;
      i += width;
    }
    this.run(text, start, text.length);
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  /** `yaml_emitter_write_literal_scalar` with its block scalar hints (indent and chomping). */
  private writeLiteral(text: string): void {
    this.writeIndicator('|', true, false, false);
    const first = text.charCodeAt(0);
    if (first === SPACE || isBreak(first)) this.writeIndicator('2', false, false, false);
    this.openEnded = false;
    const lastIsBreak = isBreak(text.charCodeAt(text.length - 1));
    if (!lastIsBreak) this.writeIndicator('-', false, false, false);
    else if (text.length === 1 || isBreak(text.charCodeAt(text.length - 2))) {
      this.writeIndicator('+', false, false, false);
      this.openEnded = true;
    }
    this.putBreak();
    this.indention = true;
    this.whitespace = true;
    let breaks = true;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (isBreak(c)) {
        this.run(text, start, i);
        this.lineBreak(c, false);
        breaks = true;
        start = i + 1;
      } else if (breaks) {
        this.writeIndent();
        breaks = false;
      }
    }
    this.run(text, start, text.length);
  }
}
