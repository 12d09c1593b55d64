/**
 * The series selectors of a PromQL expression, as far as the checks of contrib/ (the alerting rules and
 * the Grafana dashboard) need them: each metric name of salt-apid's families (`saltapid_*`, `process_*`,
 * `nodejs_*`) or `up`, with the label matchers in its braces. Not a PromQL parser: function names,
 * label names in `by (...)`, durations and string contents are skipped because they never take those
 * forms; Grafana's variables (`$instance`, `$__rate_interval`) are left as they are.
 */

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  label: string;
  op: MatchOp;
  value: string;
}

export interface SeriesSelector {
  name: string;
  matchers: LabelMatcher[];
}

const METRIC_NAME = /^(?:(?:saltapid|process|nodejs)_[a-zA-Z0-9_:]*|up)$/;
const IDENTIFIER = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const MATCHER = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*/y;

/** The end of the string literal that opens at `start` (its closing quote's index + 1). */
function stringEnd(expr: string, start: number): number {
  const quote = expr[start];
  let at = start + 1;
  while (at < expr.length && expr[at] !== quote) at += expr[at] === '\\' && quote !== '`' ? 2 : 1;
  if (at >= expr.length) throw new Error(`unterminated string at ${start} in ${expr}`);
  return at + 1;
}

/** A PromQL string literal's value (double quotes and single quotes with Go escapes, backquotes raw). */
function stringValue(literal: string): string {
  if (literal.startsWith('`')) return literal.slice(1, -1);
  return literal.slice(1, -1).replace(/\\(.)/g, (_escape, char: string) => (char === 'n' ? '\n' : char));
}

/** The matchers in the braces that open at `open`, and the index after the closing brace. */
function matchersAt(expr: string, open: number): { matchers: LabelMatcher[]; end: number } {
  const matchers: LabelMatcher[] = [];
  let at = open + 1;
  for (;;) {
    while (/[\s,]/.test(expr[at] ?? '')) at += 1;
    if (expr[at] === '}') return { matchers, end: at + 1 };
    MATCHER.lastIndex = at;
    const head = MATCHER.exec(expr);
    const quote = head === null ? undefined : expr[MATCHER.lastIndex];
    if (head === null || quote === undefined || !`"'\``.includes(quote)) {
      throw new Error(`unreadable label matcher at ${at} in ${expr}`);
    }
    const end = stringEnd(expr, MATCHER.lastIndex);
    matchers.push({
      label: head[1] ?? '',
      op: head[2] as MatchOp,
      value: stringValue(expr.slice(MATCHER.lastIndex, end)),
    });
    at = end;
  }
}

export function seriesSelectors(expr: string): SeriesSelector[] {
  const selectors: SeriesSelector[] = [];
  let at = 0;
  while (at < expr.length) {
    const char = expr[at] ?? '';
    if (`"'\``.includes(char)) {
      at = stringEnd(expr, at);
      continue;
    }
    IDENTIFIER.lastIndex = at;
    const word = /[a-zA-Z_:]/.test(char) && !/[a-zA-Z0-9_:$]/.test(expr[at - 1] ?? '') ? IDENTIFIER.exec(expr) : null;
    if (word === null) {
      at += 1;
      continue;
    }
    at = IDENTIFIER.lastIndex;
    if (!METRIC_NAME.test(word[0])) continue;
    const open = expr.slice(at).search(/\S/) + at;
    if (expr[open] === '{') {
      const { matchers, end } = matchersAt(expr, open);
      selectors.push({ name: word[0], matchers });
      at = end;
    } else {
      selectors.push({ name: word[0], matchers: [] });
    }
  }
  return selectors;
}
