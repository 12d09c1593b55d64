/**
 * The manual (manual.ts) as a roff man page, salt-apid(1), in the man macros: what `salt-apid --man`
 * prints for packaging to install as /usr/share/man/man1/salt-apid.1. Text is escaped for roff: a
 * backslash becomes `\e`, every `-` is `\-` (a hyphen-minus that can be copied into a shell), and a
 * line that would begin with `.` or `'` (a control line) starts with `\&`.
 */
import { manualSections, NAME, type ManualBlock, type ManualSection, type Span } from './manual.js';

export function roffEscape(text: string): string {
  return text.replaceAll('\\', '\\e').replaceAll('-', '\\-');
}

/** A line of running text: never taken for a request, whatever it starts with. */
function textLine(escaped: string): string {
  return /^[.']/.test(escaped) ? `\\&${escaped}` : escaped;
}

function roffSpan(span: Span): string {
  if (typeof span === 'string') return roffEscape(span);
  return 'bold' in span ? `\\fB${roffEscape(span.bold)}\\fR` : `\\fI${roffEscape(span.italic)}\\fR`;
}

/** One paragraph on one line: roff fills it, whatever its length. */
function paragraph(text: string): string {
  return textLine(roffEscape(text.replace(/\s+/g, ' ').trim()));
}

function roffBlock(block: ManualBlock): string[] {
  switch (block.kind) {
    case 'paragraph':
      return ['.PP', paragraph(block.text)];
    case 'literal': {
      const lines = ['.nf', ...block.lines.map((line) => textLine(roffEscape(line))), '.fi'];
      return block.indent > 0 ? [`.RS ${block.indent}`, ...lines, '.RE'] : lines;
    }
    case 'item':
      return ['.TP', textLine(block.term.map(roffSpan).join('')), paragraph(block.text)];
  }
}

/** A macro argument in double quotes (which it cannot contain); its hyphens stay hyphens. */
function quoted(text: string): string {
  return `"${text.replaceAll('\\', '\\e').replaceAll('"', "'")}"`;
}

/** The page of `sections` (salt-apid's manual unless told otherwise). */
export function manPage(version: string, date: string, sections: ManualSection[] = manualSections()): string {
  const lines = [
    `.\\" ${NAME}(1), written by \`${NAME} --man\` from src/config/manual.ts.`,
    `.TH ${NAME.toUpperCase()} 1 ${quoted(date)} ${quoted(`${NAME} ${version}`)} "User Commands"`,
  ];
  for (const { title, blocks } of sections) {
    lines.push(`.SH ${quoted(title)}`);
    // NAME is one line, `name \- summary`, which whatis and apropos read.
    const body = title === 'NAME' ? blocks.map((block) => roffBlock(block).slice(1)) : blocks.map(roffBlock);
    lines.push(...body.flat());
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The page's date, YYYY-MM-DD: SOURCE_DATE_EPOCH's when set (a reproducible package build),
 * else today's (UTC).
 */
export function manDate(env: Record<string, string | undefined> = process.env, now = new Date()): string {
  const epoch = env['SOURCE_DATE_EPOCH']?.trim() ?? '';
  const when = /^[0-9]{1,12}$/.test(epoch) ? new Date(Number(epoch) * 1000) : now;
  return when.toISOString().slice(0, 10);
}
