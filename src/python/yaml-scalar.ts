/**
 * What libyaml's emitter (the one behind PyYAML's CSafeDumper, which salt-api's YAML responses
 * come from) learns about a scalar's text before it writes it, and the implicit typing that decides
 * whether a string may be written plain. Each function follows the libyaml 0.2.5 routine it is
 * named after; the YAML dump fixtures recorded from PyYAML hold them to it (docs/routes.md
 * "Responses").
 */

/** `yaml_emitter_analyze_scalar`'s findings, for the block context salt-api writes in. */
export interface ScalarAnalysis {
  readonly empty: boolean;
  /** Holds a line break: a multi-line scalar is never a simple key. */
  readonly multiline: boolean;
  readonly plainAllowed: boolean;
  readonly singleQuotedAllowed: boolean;
  readonly blockAllowed: boolean;
}

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;

/** libyaml's IS_BREAK: CR, LF, NEL, LS, PS. */
export function isBreak(c: number): boolean {
  return c === LF || c === CR || c === 0x85 || c === 0x2028 || c === 0x2029;
}

/**
 * libyaml's IS_PRINTABLE on a code point: LF, printable ASCII, U+00A0–U+D7FF and U+E000–U+FFFD
 * without the byte-order mark. Tabs, C1 controls (NEL too) and everything past the BMP are not:
 * they make a scalar double-quoted, with escapes.
 */
export function isPrintable(c: number): boolean {
  return (
    c === LF || (c >= SPACE && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff)
  );
}

/** libyaml's IS_BLANKZ at index `i` of `text`: a blank, a break, NUL, or past the end. */
function isBlankz(text: string, i: number): boolean {
  if (i >= text.length) return true;
  const c = text.charCodeAt(i);
  return c === SPACE || c === TAB || c === 0 || isBreak(c);
}

/** Characters that may not start a plain scalar at all (`yaml_emitter_analyze_scalar`). */
const LEADING_INDICATORS = new Set('#,[]{}&*!|>\'"%@`'.split('').map((c) => c.charCodeAt(0)));

const NOT_PLAIN: ScalarAnalysis = {
  empty: false,
  multiline: false,
  plainAllowed: false,
  singleQuotedAllowed: true,
  blockAllowed: true,
};
const EMPTY: ScalarAnalysis = { ...NOT_PLAIN, empty: true, plainAllowed: true, blockAllowed: false };
/** Text with nothing that keeps it from being written plain. */
const SIMPLE: ScalarAnalysis = { ...NOT_PLAIN, plainAllowed: true };

/** The flags of the scan below, gathered in one place so the loop stays readable. */
interface Findings {
  blockIndicators: boolean;
  lineBreaks: boolean;
  special: boolean;
  leadingOrTrailing: boolean;
  trailingSpace: boolean;
  breakSpace: boolean;
  spaceBreak: boolean;
}

/** Whether the character at `i` is a block indicator where it stands (libyaml's checks, block half). */
function blockIndicatorAt(text: string, i: number, c: number, precededByWhitespace: boolean): boolean {
  const followedByWhitespace = isBlankz(text, i + (c > 0xffff ? 2 : 1));
  if (i === 0) {
    if (LEADING_INDICATORS.has(c)) return true;
    if ((c === 0x3f /* ? */ || c === 0x3a) /* : */ && followedByWhitespace) return true;
    return c === 0x2d /* - */ && followedByWhitespace;
  }
  if (c === 0x3a && followedByWhitespace) return true;
  return c === 0x23 /* # */ && precededByWhitespace;
}

function scan(text: string): Findings {
  const found: Findings = {
    blockIndicators: text.startsWith('---') || text.startsWith('...'),
    lineBreaks: false,
    special: false,
    leadingOrTrailing: false,
    trailingSpace: false,
    breakSpace: false,
    spaceBreak: false,
  };
  let precededByWhitespace = true;
  let previousSpace = false;
  let previousBreak = false;
  for (let i = 0; i < text.length;) {
    let c = text.charCodeAt(i);
    // Most characters are printable ASCII with no role here: nothing to note but that.
    if (c > SPACE && c < 0x7f && c !== 0x3a && c !== 0x23 && i !== 0) {
      previousSpace = false;
      previousBreak = false;
      precededByWhitespace = false;
      i++;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff) c = text.codePointAt(i) ?? c;
    const width = c > 0xffff ? 2 : 1;
    const last = i + width === text.length;
    if (!found.blockIndicators && blockIndicatorAt(text, i, c, precededByWhitespace)) found.blockIndicators = true;
    if (!isPrintable(c)) found.special = true;
    if (c === SPACE) {
      if (i === 0 || last) found.leadingOrTrailing = true;
      if (last) found.trailingSpace = true;
      if (previousBreak) found.breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      found.lineBreaks = true;
      if (i === 0 || last) found.leadingOrTrailing = true;
      if (previousSpace) found.spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = c === SPACE || c === TAB || c === 0 || isBreak(c);
    i += width;
  }
  return found;
}

/** `yaml_emitter_analyze_scalar`, keeping what the block context needs. */
export function analyzeScalar(text: string): ScalarAnalysis {
  if (text === '') return EMPTY;
  const found = scan(text);
  const plainAllowed = !(
    found.leadingOrTrailing ||
    found.breakSpace ||
    found.spaceBreak ||
    found.special ||
    found.lineBreaks ||
    found.blockIndicators
  );
  if (plainAllowed) return SIMPLE;
  return {
    empty: false,
    multiline: found.lineBreaks,
    plainAllowed,
    singleQuotedAllowed: !(found.breakSpace || found.spaceBreak || found.special),
    blockAllowed: !(found.trailingSpace || found.spaceBreak || found.special),
  };
}

/*
 * PyYAML's implicit resolvers (resolver.py), which decide whether a string written plain would
 * read back as a string. A string any of them matches is single-quoted.
 */
const IMPLICIT_PATTERNS: readonly RegExp[] = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:<<)$/,
  /^(?:~|null|Null|NULL|)$/,
  /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/,
  /^(?:=)$/,
];

/** The first characters any implicit resolver is registered for (PyYAML looks them up by it). */
const RESOLVABLE_START = /^(?:[-+0-9.yYnNtTfFoO<~=]|$)/;

/**
 * Whether PyYAML resolves `text`, written plain, as a string (`plain_implicit` of a str node).
 * Python's `$` also matches before a final newline, which only multi-line text has: such text is
 * never written plain, so the difference cannot show.
 */
export function readsAsString(text: string): boolean {
  if (!RESOLVABLE_START.test(text)) return true;
  return !IMPLICIT_PATTERNS.some((pattern) => pattern.test(text));
}
