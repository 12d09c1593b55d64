import { yamlifyArg } from '../python/yamlify.js';
import { isSaltMap, type SaltMap, type SaltValue } from '../salt/codec/values.js';
import { pythonStr } from '../python/repr.js';
import { dictFrom, emptyDict, orderedKeys } from '../dict.js';

/**
 * How Salt turns the arguments of a call into a Python function call: the minion's
 * `load_args_and_kwargs` (trailing `{__kwarg__: true}` maps and `name=value` strings become
 * keyword arguments, `__pub_*` context for functions taking `**kwargs`), `format_call` for
 * wheel/runner loads, and Python's own binding errors.
 */

export interface Param {
  name: string;
  /** Present when the parameter is optional; `null` is Python's None. */
  default?: SaltValue;
}

/** A Python signature: named parameters, then `*args` and `**kwargs` if accepted. */
export interface Signature {
  /** The Python function name, used in TypeError texts (`echo() missing ...`). */
  pyName: string;
  params: readonly Param[];
  varArgs?: boolean;
  varKwargs?: boolean;
}

export interface BoundCall {
  /** Parameter values by name (defaults filled in). */
  values: Record<string, SaltValue>;
  /** Positional arguments beyond the named parameters (`*args`). */
  extraArgs: SaltValue[];
  /** Keyword arguments not naming a parameter (`**kwargs`), in call order. */
  extraKwargs: SaltMap;
}

/** Python's TypeError for a call that does not fit the signature. */
export class PythonTypeError extends Error {
  override readonly name = 'TypeError';
}

/** Salt's SaltInvocationError (e.g. keyword arguments a function does not accept). */
export class SaltInvocationError extends Error {
  override readonly name = 'SaltInvocationError';
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}

function quoteList(names: string[]): string {
  const quoted = names.map((n) => `'${n}'`);
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}`;
}

/** Binds positional and keyword arguments like CPython, with its error texts. */
export function bindCall(sig: Signature, args: readonly SaltValue[], kwargs: SaltMap): BoundCall {
  const values = emptyDict<SaltValue>();
  const fn = `${sig.pyName}()`;
  const named = sig.params.length;
  if (args.length > named && !sig.varArgs) {
    const required = sig.params.filter((p) => !('default' in p)).length;
    const takes = required === named ? `${named}` : `from ${required} to ${named}`;
    throw new PythonTypeError(
      `${fn} takes ${takes} positional ${plural(named, 'argument', 'arguments')} but ${args.length} ${plural(args.length, 'was', 'were')} given`,
    );
  }
  sig.params.forEach((p, i) => {
    if (i < args.length) values[p.name] = args[i];
  });
  const extra: Array<readonly [string, SaltValue]> = [];
  for (const key of orderedKeys(kwargs)) {
    const value = kwargs[key];
    const isParam = sig.params.some((p) => p.name === key);
    if (isParam && Object.hasOwn(values, key))
      throw new PythonTypeError(`${fn} got multiple values for argument '${key}'`);
    if (isParam) values[key] = value;
    else if (sig.varKwargs) extra.push([key, value]);
    else throw new PythonTypeError(`${fn} got an unexpected keyword argument '${key}'`);
  }
  const extraKwargs = dictFrom(extra);
  const missing = sig.params.filter((p) => !Object.hasOwn(values, p.name) && !('default' in p)).map((p) => p.name);
  if (missing.length > 0) {
    throw new PythonTypeError(
      `${fn} missing ${missing.length} required positional ${plural(missing.length, 'argument', 'arguments')}: ${quoteList(missing)}`,
    );
  }
  for (const p of sig.params) if (!Object.hasOwn(values, p.name)) values[p.name] = p.default;
  return { values, extraArgs: args.slice(named), extraKwargs };
}

const KWARG_PATTERN = /^([\p{L}_][\p{L}\p{N}_.-]*)=(?!=)(.*)$/u;

/** `salt.utils.args.parse_kwarg`: `name=value` → [name, value]; anything else → undefined. */
export function parseKwarg(text: string): [string, string] | undefined {
  const match = KWARG_PATTERN.exec(text);
  return match === null ? undefined : [match[1]!, match[2]!];
}

export interface SplitArgs {
  args: SaltValue[];
  kwargs: SaltMap;
}

/**
 * The minion's `load_args_and_kwargs`. Keyword arguments a function cannot take raise
 * SaltInvocationError; functions taking `**kwargs` also get `__pub_<key>` for each job key.
 */
export function loadArgsAndKwargs(sig: Signature, arg: readonly SaltValue[], jobData?: SaltMap): SplitArgs {
  const args: SaltValue[] = [];
  // Gathered in order, and made a dict at the end (dict.ts keeps number-like keys in place).
  const kwargEntries: Array<readonly [string, SaltValue]> = [];
  const invalid: string[] = [];
  const accepts = (key: string): boolean => sig.varKwargs === true || sig.params.some((p) => p.name === key);
  for (const item of arg) {
    if (typeof item === 'string') {
      const kw = parseKwarg(item);
      if (kw === undefined) {
        args.push(item);
        continue;
      }
      const [key, raw] = kw;
      const value = yamlifyArg(raw) as SaltValue;
      if (accepts(key)) kwargEntries.push([key, value]);
      else invalid.push(`${key}=${pythonStr(value)}`);
    } else if (isSaltMap(item) && item['__kwarg__'] === true) {
      for (const key of orderedKeys(item)) {
        const value = item[key];
        if (key === '__kwarg__') continue;
        if (accepts(key)) kwargEntries.push([key, value]);
        else invalid.push(`${key}=${pythonStr(value)}`);
      }
    } else {
      args.push(item);
    }
  }
  if (invalid.length > 0) {
    throw new SaltInvocationError(`The following keyword arguments are not valid: ${invalid.join(', ')}`);
  }
  if (sig.varKwargs && jobData !== undefined) {
    for (const [key, value] of Object.entries(jobData)) kwargEntries.push([`__pub_${key}`, value]);
  }
  return { args, kwargs: dictFrom(kwargEntries) };
}

/**
 * `salt.utils.args.format_call`: picks a function's arguments out of a flat load (wheel calls
 * pass their keyword arguments at the top level). Required parameters become positional
 * arguments; optional ones are passed as keywords with their defaults.
 */
export function formatCall(sig: Signature, load: SaltMap): { args: SaltValue[]; kwargs: SaltMap } {
  const args: SaltValue[] = [];
  const kwargs = emptyDict<SaltValue>();
  const missing: string[] = [];
  for (const p of sig.params) {
    const given = Object.hasOwn(load, p.name);
    if (!('default' in p)) {
      if (given) args.push(load[p.name]);
      else missing.push(p.name);
    } else {
      kwargs[p.name] = given ? load[p.name] : p.default;
    }
  }
  if (missing.length > 0) {
    const count = args.length + missing.length;
    throw new SaltInvocationError(
      `${sig.pyName} takes at least ${count} argument${count > 1 ? 's' : ''} (${args.length} given)`,
    );
  }
  return { args, kwargs };
}
