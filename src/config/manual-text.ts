/**
 * The manual (manual.ts) as plain text for `--help`, laid out as `man` shows a page: section titles
 * at the margin, text 7 columns in, an option's description 7 further, nothing past column 80.
 */
import { manualSections, type ManualBlock, type Span } from './manual.js';

export const TEXT_WIDTH = 80;
const BODY = 7;
const ITEM = 14;

export function spanText(span: Span): string {
  if (typeof span === 'string') return span;
  return 'bold' in span ? span.bold : span.italic;
}

/** `text` filled into lines of at most TEXT_WIDTH columns, each `indent` columns in. */
export function wrap(text: string, indent: number): string[] {
  const room = TEXT_WIDTH - indent;
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  const pad = ' '.repeat(indent);
  return lines.map((text) => pad + text);
}

function blockLines(block: ManualBlock): string[] {
  switch (block.kind) {
    case 'paragraph':
      return wrap(block.text, BODY);
    case 'literal':
      return block.lines.map((line) => ' '.repeat(BODY + block.indent) + line);
    case 'item':
      return [' '.repeat(BODY) + block.term.map(spanText).join(''), ...wrap(block.text, ITEM)];
  }
}

export function manualText(): string {
  const sections = manualSections().map(({ title, blocks }) =>
    [
      title,
      ...blocks
        .map((block) => blockLines(block).join('\n'))
        .join('\n\n')
        .split('\n'),
    ].join('\n'),
  );
  return `${sections.join('\n\n')}\n`;
}
