import type { MasterSettings } from '../../../config/types.js';
import type { SaltMap, SaltValue } from '../../codec/values.js';
import type { PublishLoad } from '../../clear-commands.js';
import { InvalidRequestError } from '../../errors.js';
import { argList, conditionInput } from '../positional-args.js';
import { pythonStr } from '../../../python/repr.js';
import { splitChunk } from '../split-chunk.js';

/**
 * From a `local*` chunk to the master's `publish` load, the way LocalClient builds it (`run_job` →
 * `pub` → `_prep_pub` in salt/client/__init__.py; docs/wire-protocol.md
 * "Commands salt-apid sends"): named parameters taken out, every other key kept in `kwargs` in the
 * chunk's order, `kwarg` folded into `arg`, nodegroups resolved.
 */

/** The named parameters of the LocalClient method behind each client. */
export const LOCAL_PARAMS = {
  /** LocalClient.cmd */
  local: ['tgt', 'fun', 'arg', 'timeout', 'tgt_type', 'ret', 'jid', 'full_return', 'kwarg'],
  /** LocalClient.run_job */
  local_async: ['tgt', 'fun', 'arg', 'tgt_type', 'ret', 'timeout', 'jid', 'kwarg', 'listen'],
  /** LocalClient.cmd_subset (`sub` is its legacy name for `subset`) */
  local_subset: ['tgt', 'fun', 'arg', 'tgt_type', 'ret', 'kwarg', 'subset', 'cli', 'progress', 'full_return', 'sub'],
  /** LocalClient.cmd_batch */
  local_batch: ['tgt', 'fun', 'arg', 'tgt_type', 'ret', 'kwarg', 'batch'],
} as const;

export type LocalClientName = keyof typeof LOCAL_PARAMS;

export interface LocalChunk {
  named: Map<string, SaltValue>;
  extras: SaltMap;
  tgt: string | string[];
  fun: string | string[];
  tgtType: string;
}

function isStringList(value: SaltValue): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/**
 * Splits a chunk for `client`. `expr_form` (the pre-2017.7 name of `tgt_type`) is used as
 * `tgt_type` when that is absent (a deliberate difference from salt-api: old clients meant it;
 * docs/routes.md "Deliberate differences from salt-api").
 */
export function splitLocalChunk(chunk: SaltMap, client: LocalClientName): LocalChunk {
  let source = chunk;
  if (!Object.hasOwn(chunk, 'tgt_type') && Object.hasOwn(chunk, 'expr_form')) {
    const { expr_form: exprForm, ...rest } = chunk;
    source = { ...rest, tgt_type: exprForm };
  }
  const { named, extras } = splitChunk(source, LOCAL_PARAMS[client]);
  const missing = ['tgt', 'fun'].filter((key) => !named.has(key));
  if (missing.length > 0) {
    const names = missing.map((k) => `'${k}'`).join(' and ');
    throw new InvalidRequestError(`Missing ${names} in a ${client} chunk (it needs 'tgt' and 'fun')`);
  }
  const tgt = named.get('tgt');
  const fun = named.get('fun');
  if (typeof tgt !== 'string' && !isStringList(tgt))
    throw new InvalidRequestError("'tgt' must be a string or a list of strings");
  if (typeof fun !== 'string' && !isStringList(fun))
    throw new InvalidRequestError("'fun' must be a string or a list of strings");
  const tgtType = named.get('tgt_type') ?? 'glob';
  if (typeof tgtType !== 'string') throw new InvalidRequestError("'tgt_type' must be a string");
  return { named, extras, tgt, fun, tgtType };
}

/** A string parameter (`ret`, `jid`) or its default; numbers are accepted as their text. */
export function stringParam(value: SaltValue | undefined, key: string, fallback = ''): string {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  throw new InvalidRequestError(`'${key}' must be a string`);
}

/** `arg` with `kwarg` folded in (condition_input). */
export function callArgs(named: Map<string, SaltValue>): SaltValue[] {
  return conditionInput(argList(named.get('arg')), named.get('kwarg'));
}

/** A publish before `_prep_pub`: the load without the `user` the master config supplies. */
export type PublishSpec = Omit<PublishLoad, 'user'>;

/** The publish of a `local`/`local_async` chunk: its named parameters, the rest as kwargs. */
export function publishSpec({ named, extras, tgt, fun, tgtType }: LocalChunk): PublishSpec {
  return {
    tgt,
    fun,
    arg: callArgs(named),
    tgt_type: tgtType,
    ret: stringParam(named.get('ret'), 'ret'),
    jid: stringParam(named.get('jid'), 'jid'),
    kwargs: extras,
  };
}

/** `_prep_pub`: nodegroups become compound expressions; the load in LocalClient's key order. */
export function publishLoad(spec: PublishSpec, settings: MasterSettings): PublishLoad {
  let { tgt, tgt_type: tgtType } = spec;
  let words: string[] | undefined;
  if (tgtType === 'nodegroup') {
    if (typeof tgt !== 'string') throw new InvalidRequestError("a nodegroup target must be the nodegroup's name");
    words = resolveNodegroup(tgt, settings);
    tgtType = 'compound';
  } else if (tgtType === 'compound') {
    words = typeof tgt === 'string' ? tgt.split(/\s+/).filter(Boolean) : tgt;
  }
  if (words !== undefined) {
    tgt = words
      .flatMap((word) =>
        word.startsWith('N@') && word.length > 2 ? resolveNodegroup(word.slice(2), settings) : [word],
      )
      .join(' ');
  }
  return { ...spec, tgt, tgt_type: tgtType, user: settings.user };
}

function resolveNodegroup(name: string, settings: MasterSettings): string[] {
  if (!Object.hasOwn(settings.nodegroups, name)) {
    throw new InvalidRequestError(`Node group ${name} unavailable`);
  }
  return nodegroupComp(name, settings.nodegroups, new Set(), true);
}

const OPERATORS = ['and', 'or', 'not', '(', ')'];
const REGEX_CHARS = ['(', '[', '{', '\\', '?', '}', ']', ')'];

/** `salt.utils.minions.nodegroup_comp`: a nodegroup expanded into compound-matcher words. */
export function nodegroupComp(
  name: string,
  groups: Record<string, string | string[]>,
  skip: Set<string>,
  firstCall: boolean,
): string[] {
  if (skip.has(name) || !Object.hasOwn(groups, name)) return [];
  const lookup = groups[name];
  const words =
    typeof lookup === 'string'
      ? lookup.split(/\s+/).filter(Boolean)
      : Array.isArray(lookup)
        ? lookup.map((w) => pythonStr(w))
        : undefined;
  if (words === undefined) return [];
  skip.add(name);
  const out: string[] = [];
  let expanded = false;
  for (const word of words) {
    if (OPERATORS.includes(word)) out.push(word);
    else if (word.length >= 3 && word.startsWith('N@')) {
      expanded = true;
      out.push(...nodegroupComp(word.slice(2), groups, skip, false));
    } else out.push(word);
  }
  if (out.length > 0) out.unshift('(');
  if (out.length > 0) out.push(')');
  skip.delete(name);
  if (expanded || !firstCall) return (firstCall ? undefined : nodegroupAsExpression(words)) ?? out;
  return nodegroupAsExpression(words) ?? words;
}

/** `_nodegroup_regex`: a plain list of names becomes `L@a,b`, one with regex characters `E@…`. */
function nodegroupAsExpression(words: string[]): string[] | undefined {
  if (words.some((w) => OPERATORS.includes(w))) return undefined;
  if (words.some((w) => w.includes('*') || /^[A-Z]@/.test(w))) return undefined;
  const isRegex = words.some((w) => REGEX_CHARS.some((c) => w.includes(c)));
  return [`${isRegex ? 'E' : 'L'}@${words.join(',')}`];
}
