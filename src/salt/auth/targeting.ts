import { isSaltMap, type SaltMap, type SaltValue } from '../codec/values.js';
import { fnmatch } from '../../python/fnmatch.js';
import { reMatch } from '../../python/re-match.js';
import { pythonStr } from '../../python/repr.js';

/**
 * The master's target resolution (`salt.utils.minions.CkMinions.check_minions`) over the
 * accepted keys: glob, pcre, list, grain, grain_pcre, ipcidr and compound expressions built
 * from those. Pillar, nodegroup and range targets match nothing here.
 */

export interface TargetUniverse {
  /** Accepted minion ids. */
  readonly acceptedIds: readonly string[];
  /** The grains the master has cached for a minion, if any. */
  grainsOf(id: string): SaltMap | undefined;
}

export interface TargetMatch {
  minions: string[];
  missing: string[];
}

const NO_MATCH: TargetMatch = { minions: [], missing: [] };

export function checkMinions(tgt: SaltValue, tgtType: string, universe: TargetUniverse, delimiter = ':'): TargetMatch {
  const all = [...universe.acceptedIds].sort();
  if (tgtType === 'list') return listMatch(tgt, all);
  if (typeof tgt !== 'string') return NO_MATCH;
  const set = matchSet(tgt, tgtType, all, universe, delimiter);
  return set === undefined ? NO_MATCH : { minions: all.filter((id) => set.has(id)), missing: [] };
}

function listMatch(tgt: SaltValue, all: string[]): TargetMatch {
  const wanted = typeof tgt === 'string' ? tgt.split(',').filter((id) => id !== '') : Array.isArray(tgt) ? tgt : [];
  const known = new Set(all);
  const ids = wanted.map((id) => pythonStr(id));
  return { minions: ids.filter((id) => known.has(id)), missing: ids.filter((id) => !known.has(id)) };
}

function matchSet(
  expr: string,
  tgtType: string,
  all: string[],
  universe: TargetUniverse,
  delimiter: string,
): Set<string> | undefined {
  const pick = (test: (id: string) => boolean): Set<string> => new Set(all.filter(test));
  switch (tgtType) {
    case 'glob':
      return pick((id) => fnmatch(id, expr));
    case 'pcre':
      return pick((id) => reMatch(expr, id));
    case 'grain':
    case 'grain_pcre': {
      const regex = tgtType === 'grain_pcre';
      return pick((id) => {
        const grains = universe.grainsOf(id);
        return grains !== undefined && subdictMatch(grains, expr, delimiter, regex);
      });
    }
    case 'ipcidr':
      return pick((id) => ipv4Grains(universe.grainsOf(id)).some((ip) => ipInCidr(ip, expr)));
    case 'compound':
      return new CompoundParser(expr, all, universe, delimiter).parse();
    default:
      return undefined;
  }
}

/** `salt.utils.data.subdict_match`: `key:sub:value` against nested grains, value globbed. */
export function subdictMatch(data: SaltValue, expr: string, delimiter: string, regex: boolean): boolean {
  const splits = expr.split(delimiter);
  for (let idx = 1; idx < splits.length; idx++) {
    const key = splits.slice(0, idx).join(delimiter);
    const pattern = key === '*' ? expr : splits.slice(idx).join(delimiter);
    const found = key === '*' ? data : traverse(data, key.split(delimiter));
    if (found === undefined) continue;
    if (isSaltMap(found)) {
      if (dictMatch(found, pattern, delimiter, regex)) return true;
    } else if (Array.isArray(found)) {
      if (
        found.some((m) => (isSaltMap(m) && dictMatch(m, pattern, delimiter, regex)) || scalarMatch(m, pattern, regex))
      ) {
        return true;
      }
    } else if (scalarMatch(found, pattern, regex)) return true;
  }
  return false;
}

function traverse(data: SaltValue, path: string[]): SaltValue {
  let node: SaltValue = data;
  for (const part of path) {
    if (isSaltMap(node)) node = Object.hasOwn(node, part) ? node[part] : undefined;
    else if (Array.isArray(node) && /^\d+$/.test(part)) node = node[Number(part)];
    else return undefined;
    if (node === undefined) return undefined;
  }
  return node;
}

function dictMatch(target: SaltMap, pattern: string, delimiter: string, regex: boolean): boolean {
  if (pattern === '*' || Object.hasOwn(target, pattern)) return true;
  return subdictMatch(target, pattern, delimiter, regex);
}

function scalarMatch(target: SaltValue, pattern: string, regex: boolean): boolean {
  const text = pythonStr(target).toLowerCase();
  return regex ? reMatch(pattern.toLowerCase(), text) : fnmatch(text, pattern.toLowerCase());
}

function ipv4Grains(grains: SaltMap | undefined): string[] {
  const ips = grains?.['ipv4'];
  return Array.isArray(ips) ? ips.filter((ip): ip is string => typeof ip === 'string') : [];
}

function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

function ipInCidr(ip: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/');
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  const a = ipToInt(ip);
  const b = ipToInt(net ?? '');
  if (a === undefined || b === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(a / size) === Math.floor(b / size);
}

/**
 * Compound targets: words joined by `and`, `or`, `not` and standalone parentheses; `not` binds
 * tightest, then `and`, then `or` (Salt evaluates them as Python set operators -, &, |).
 * A malformed expression matches nothing, as Salt's failed eval does.
 */
class CompoundParser {
  private readonly words: string[];
  private pos = 0;

  constructor(
    expr: string,
    private readonly all: string[],
    private readonly universe: TargetUniverse,
    private readonly delimiter: string,
  ) {
    this.words = expr.split(/\s+/).filter((w) => w !== '');
  }

  parse(): Set<string> {
    try {
      const result = this.orExpr();
      return this.pos === this.words.length ? result : new Set();
    } catch {
      return new Set();
    }
  }

  private orExpr(): Set<string> {
    let left = this.andExpr();
    while (this.words[this.pos] === 'or') {
      this.pos++;
      const right = this.andExpr();
      left = new Set([...left, ...right]);
    }
    return left;
  }

  private andExpr(): Set<string> {
    let left = this.unary();
    while (this.words[this.pos] === 'and') {
      this.pos++;
      const right = this.unary();
      left = new Set([...left].filter((id) => right.has(id)));
    }
    return left;
  }

  private unary(): Set<string> {
    const word = this.words[this.pos++];
    if (word === undefined || word === 'and' || word === 'or' || word === ')') throw new Error('malformed compound');
    if (word === 'not') {
      const negated = this.unary();
      return new Set(this.all.filter((id) => !negated.has(id)));
    }
    if (word === '(') {
      const inner = this.orExpr();
      if (this.words[this.pos++] !== ')') throw new Error('unbalanced parentheses');
      return inner;
    }
    return this.term(word);
  }

  private term(word: string): Set<string> {
    const engine = /^([A-Z])@(.*)$/s.exec(word);
    if (engine === null) return matchSet(word, 'glob', this.all, this.universe, this.delimiter) ?? new Set();
    const [, letter, value = ''] = engine;
    const tgtType = { G: 'grain', P: 'grain_pcre', L: 'list', E: 'pcre', S: 'ipcidr' }[letter ?? ''];
    if (tgtType === undefined) return new Set();
    if (tgtType === 'list') return new Set(listMatch(value, this.all).minions);
    return matchSet(value, tgtType, this.all, this.universe, this.delimiter) ?? new Set();
  }
}
