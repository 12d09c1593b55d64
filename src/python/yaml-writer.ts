/**
 * The text-writing half of libyaml's emitter (0.2.5, behind PyYAML's CSafeDumper), for block-style
 * documents: where lines break, how far they are indented, and how scalars are written in each of
 * their styles. State and routines keep libyaml's names (`column`, `whitespace`, `indention`,
 * `write_indent`, `write_indicator`...) so the two can be read side by side; yaml-dump.ts walks the
 * value and calls them in the order libyaml's state machine would.
 */
import { isBreak, readsAsString, type ScalarAnalysis } from './yaml-scalar.js';

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

/**
 * What double quotes must escape: anything not printable (tabs, C0 and C1 controls, surrogates of
 * characters past the BMP, U+FEFF, U+FFFE/F), the line breaks LF, NEL, LS and PS, `"` and `\\`.
 */
const TO_ESCAPE = /[^\x20\x21\x23-\x5b\x5d-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]/;

/**
 * The next place of one character in a text, asked for at places that only move forward: each
 * search starts where the last one stopped, so finding every line, space or quote of a text of
 * any size costs one pass over it.
 */
class NextIndex {
  private asked = 0;
  private at = -1;

  constructor(
    private readonly text: string,
    private readonly search: string,
  ) {}

  /** The first place at or after `from`, or the text's length when there is none. */
  from(from: number): number {
    if (from < this.asked || this.at < from) {
      const found = this.text.indexOf(this.search, from);
      this.at = found === -1 ? this.text.length : found;
    }
    this.asked = from;
    return this.at;
  }
}

/**
 * Whether the space at `j` may become a line break in plain or single-quoted text: no space right
 * before or after it, and (in quotes, `last` ≥ 0) not the text's first or last character.
 */
function foldable(text: string, j: number, last: number): boolean {
  if (text.charCodeAt(j - 1) === SPACE || text.charCodeAt(j + 1) === SPACE) return false;
  return last < 0 || (j !== 0 && j !== last);
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

  /** `&id001` before a value written in full that is met again later (libyaml's process_anchor). */
  writeAnchor(name: string): void {
    this.writeIndicator(`&${name}`, true, false, false);
    this.indention = false;
  }

  /** `*id001` where such a value is met again (libyaml's emit_alias). */
  writeAlias(name: string, simpleKey: boolean): void {
    this.writeIndicator(`*${name}`, true, false, false);
    this.indention = false;
    if (simpleKey) this.put(' ');
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
  writeScalar(node: ScalarNode, analysis: ScalarAnalysis, simpleKey: boolean): void {
    const style = YamlWriter.selectStyle(node, analysis, simpleKey);
    if (node.tag !== undefined) {
      if (!this.whitespace) this.put(' ');
      this.put(node.tag);
      this.whitespace = false;
      this.indention = false;
    }
    this.increaseIndent(true, false);
    // Text on one line that ends before the width (even with every character a doubled quote) cannot fold.
    const allowBreaks = !simpleKey && (analysis.multiline || this.column + 2 * node.text.length > this.bestWidth);
    if (style === 'plain') this.writePlain(node.text, allowBreaks);
    else if (style === 'single') this.writeSingleQuoted(node.text, allowBreaks);
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
   * quotes and in where a space may become a line break. Such text holds no character past the BMP
   * and none that is not printable, and its only line breaks are LF, LS and PS: it is written a
   * line at a time, each UTF-16 unit one column (two for a doubled quote).
   */
  private writeFolded(text: string, allowBreaks: boolean, quoted: boolean): void {
    if (!allowBreaks && !text.includes('\n') && !text.includes('\u2028') && !text.includes('\u2029')) {
      this.run(text, 0, text.length, quoted);
      return;
    }
    const rareBreaks = text.includes('\u2028') || text.includes('\u2029');
    if (quoted && !rareBreaks && this.writeShortLines(text)) return;
    const lineFeeds = new NextIndex(text, '\n');
    const separators = rareBreaks ? [new NextIndex(text, '\u2028'), new NextIndex(text, '\u2029')] : [];
    const quotes = new NextIndex(text, "'");
    const spaces = new NextIndex(text, ' ');
    let breaks = false;
    for (let start = 0; ;) {
      const end = Math.min(lineFeeds.from(start), ...separators.map((next) => next.from(start)));
      if (end > start) {
        if (breaks) this.writeIndent();
        if (!allowBreaks) this.run(text, start, end, quoted);
        else if (quoted && quotes.from(start) < end) this.writeLineByChar(text, start, end, quoted);
        else this.writeLine(text, start, end, quoted, spaces);
        breaks = false;
      }
      if (end === text.length) break;
      this.lineBreak(text.charCodeAt(end), !breaks);
      breaks = true;
      start = end + 1;
    }
    if (quoted && breaks) this.writeIndent();
  }

  /**
   * Single-quoted text of lines too short to fold (a command's output, line by line): each run of
   * LFs written with one LF more and the indent after it, as the loop in {@link writeFolded} would
   * write it, with no more work per line than finding its end. Declines (writing nothing) text with
   * quotes to double or a line long enough that a space in it could pass the width.
   */
  private writeShortLines(text: string): boolean {
    const firstEnd = text.indexOf('\n');
    // A space at offset p of the first line is at column this.column + p (the quote is written).
    if (firstEnd === -1 || firstEnd > this.bestWidth - this.column || text.includes("'")) return false;
    const indent = Math.max(this.indent, 0);
    const longest = this.bestWidth - indent + 1;
    const pad = ' '.repeat(indent);
    let rest = '';
    let lineStart = firstEnd;
    for (let at = firstEnd; at < text.length;) {
      lineStart = at;
      while (text.charCodeAt(lineStart) === 0x0a) lineStart++;
      const next = text.indexOf('\n', lineStart);
      const lineEnd = next === -1 ? text.length : next;
      if (lineEnd - lineStart > longest) return false;
      rest += `\n${text.slice(at, lineStart)}${pad}${text.slice(lineStart, lineEnd)}`;
      at = lineEnd;
    }
    this.run(text, 0, firstEnd, true);
    this.out += rest;
    this.column = indent + (text.length - lineStart);
    this.indention = lineStart === text.length;
    return true;
  }

  /**
   * A line of text without quotes to double: a space becomes a line break where the column is past
   * the width and neither neighbour is a space (nor, in quotes, is it the text's first or last
   * character). The first such space is looked for from where the width runs out.
   */
  private writeLine(text: string, start: number, end: number, quoted: boolean, spaces: NextIndex): void {
    const last = quoted ? text.length - 1 : -1;
    const canFold = (j: number): boolean => foldable(text, j, last);
    let runStart = start;
    for (;;) {
      const j = this.nextFold(runStart, end, spaces, canFold);
      if (j < 0) break;
      this.run(text, runStart, j, quoted);
      this.writeIndent();
      runStart = j + 1;
    }
    this.run(text, runStart, end, quoted);
  }

  /**
   * The first space of `[runStart, end)` written past the width (each character one column from
   * here) that `canFold` lets become a line break, or -1. The search starts where the width runs
   * out, never past `end`, so that each search starts no earlier than the one before.
   */
  private nextFold(runStart: number, end: number, spaces: NextIndex, canFold: (j: number) => boolean): number {
    const from = Math.max(runStart, runStart + this.bestWidth - this.column + 1);
    if (from >= end) return -1;
    let j = spaces.from(from);
    while (j < end && !canFold(j)) j = spaces.from(j + 1);
    return j < end ? j : -1;
  }

  /** The same, a character at a time, for a line with quotes (each written twice). */
  private writeLineByChar(text: string, start: number, end: number, quoted: boolean): void {
    const last = text.length - 1;
    let runStart = start;
    let quotes = 0;
    for (let j = start; j < end; j++) {
      const c = text.charCodeAt(j);
      if (c === 0x27) quotes++;
      if (c !== SPACE || this.column + (j - runStart) + quotes <= this.bestWidth) continue;
      if (!foldable(text, j, quoted ? last : -1)) continue;
      this.run(text, runStart, j, quoted);
      this.writeIndent();
      runStart = j + 1;
      quotes = 0;
    }
    this.run(text, runStart, end, quoted);
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

  /**
   * `yaml_emitter_write_double_quoted_scalar`: every character that is not printable, a line
   * break, `"` or `\\` escaped; between them, a space past the width (not the text's first or last
   * character, nor right after another space) becomes a line break, and a space after it a `\\ `.
   */
  private writeDoubleQuoted(text: string, allowBreaks: boolean): void {
    this.writeIndicator('"', true, false, false);
    const last = text.length - 1;
    const escapes = new RegExp(TO_ESCAPE.source, 'g');
    const spaces = new NextIndex(text, ' ');
    for (let start = 0; ;) {
      const found = escapes.exec(text);
      const end = found === null ? text.length : found.index;
      // Not the text's first or last character, nor right after a space (an escape is none).
      const canFold = (j: number): boolean =>
        j !== 0 && j !== last && (j === start || text.charCodeAt(j - 1) !== SPACE);
      let runStart = start;
      while (allowBreaks) {
        const j = this.nextFold(runStart, end, spaces, canFold);
        if (j < 0) break;
        this.run(text, runStart, j);
        this.writeIndent();
        if (text.charCodeAt(j + 1) === SPACE) this.put('\\');
        runStart = j + 1;
      }
      this.run(text, runStart, end);
      if (found === null) break;
      const c = text.codePointAt(end) ?? 0;
      this.put(escaped(c));
      start = end + (c > 0xffff ? 2 : 1);
      escapes.lastIndex = start;
    }
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
