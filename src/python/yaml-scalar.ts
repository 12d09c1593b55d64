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

/** Characters that may not start a plain scalar at all (`yaml_emitter_analyze_scalar`). */
const LEADING_INDICATORS = new Set('#,[]{}&*!|>\'"%@`'.split('').map((c) => c.charCodeAt(0)));

/*
 * libyaml looks at each character in turn. The same findings come from native scans of the text
 * for the few characters that matter, so a megabyte of command output is not walked in JavaScript.
 * BLANKZ is libyaml's blank, break or NUL (or the end, for what follows the last character).
 */
const BREAKS = '\\r\\n\\x85\\u2028\\u2029';
/**
 * Not libyaml's IS_PRINTABLE: printable are LF, printable ASCII, U+00A0–U+D7FF and U+E000–U+FFFD
 * but U+FEFF. Tabs, other controls (NEL too) and characters past the BMP (surrogates here) are
 * not: they make a scalar double-quoted, with escapes.
 */
const NOT_PRINTABLE = /[^\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd]/;
const LINE_BREAK = new RegExp(`[${BREAKS}]`);
const BREAK_THEN_SPACE = new RegExp(`[${BREAKS}] `);
const SPACE_THEN_BREAK = new RegExp(` [${BREAKS}]`);
/** `:` followed by BLANKZ, or `#` after BLANKZ (anywhere past the first character). */
const INNER_INDICATOR = new RegExp(`:(?:[ \\t\\0${BREAKS}]|$)|[ \\t\\0${BREAKS}]#`);

/**
 * Most text at once: printable ASCII without `:` or `#`, starting with a character that is no
 * indicator (nor `-`, `.`, `?`, which are in some places). Only a trailing space can still keep
 * such text from being plain.
 */
const PLAIN_ASCII = /^[A-Za-z0-9_/(+=~$^;<\\][\x20-\x22\x24-\x39\x3b-\x7e]*$/;

const isSpaceOrBreak = (c: number): boolean => c === SPACE || isBreak(c);
const isBlankz = (c: number): boolean => Number.isNaN(c) || c === SPACE || c === TAB || c === 0 || isBreak(c);

/** Whether libyaml finds a block indicator: `---`/`...`, an indicator first, `: ` or ` #` inside. */
function blockIndicators(text: string): boolean {
  if (text.startsWith('---') || text.startsWith('...')) return true;
  const first = text.charCodeAt(0);
  if (LEADING_INDICATORS.has(first)) return true;
  // `?`, `:` and `-` first are indicators when BLANKZ follows (a first character past the BMP is none of them).
  if ((first === 0x3f || first === 0x3a || first === 0x2d) && isBlankz(text.charCodeAt(1))) return true;
  return INNER_INDICATOR.test(text);
}

/** `yaml_emitter_analyze_scalar`, keeping what the block context needs. */
export function analyzeScalar(text: string): ScalarAnalysis {
  if (text === '') return EMPTY;
  const last = text.charCodeAt(text.length - 1);
  if (last !== SPACE && PLAIN_ASCII.test(text)) return SIMPLE;
  const edges = isSpaceOrBreak(text.charCodeAt(0)) || isSpaceOrBreak(last);
  const special = NOT_PRINTABLE.test(text);
  const lineBreaks = LINE_BREAK.test(text);
  const breakSpace = lineBreaks && BREAK_THEN_SPACE.test(text);
  const spaceBreak = lineBreaks && SPACE_THEN_BREAK.test(text);
  const plainAllowed = !(edges || special || lineBreaks || blockIndicators(text));
  if (plainAllowed) return SIMPLE;
  return {
    empty: false,
    multiline: lineBreaks,
    plainAllowed,
    singleQuotedAllowed: !(breakSpace || spaceBreak || special),
    blockAllowed: !(last === SPACE || spaceBreak || special),
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
