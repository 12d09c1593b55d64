import { yamlifyArg } from '../../../python/yamlify.js';
import { isSaltMap, type SaltMap, type SaltValue } from '../../codec/values.js';
import { InvalidRequestError } from '../../errors.js';
import type { RunnerSignature } from './runner-catalog.js';
import { emptyDict } from '../../../dict.js';

/**
 * RunnerClient's `_reformat_low` (salt/runner.py; docs/wire-protocol.md "Commands salt-apid sends",
 * runner): how salt-api turns a runner chunk into the master's `runner` load before anything is
 * sent.
 */

/** Set aside, in this order, and sent at the top level of the load. */
const CREDENTIAL_KEYS = ['username', 'password', 'eauth', 'token', 'client', 'user', 'key'] as const;

/** `salt.utils.args.KWARG_REGEX`: `name=value`, name a letter or `_` then word chars, `.` or `-`; not `==`. */
const KWARG_REGEX = /^([\p{L}\p{Nl}_][\p{L}\p{N}\p{M}_.-]*)=(?!=)(.*)\n?$/u;

export function parseKwarg(text: string): [string, string] | undefined {
  const m = KWARG_REGEX.exec(text);
  return m ? [m[1]!, m[2]!] : undefined;
}

function yamlify(value: string): SaltValue {
  return yamlifyArg(value) as SaltValue;
}

/**
 * `salt.utils.args.parse_input(args, condition=False)`: `name=value` strings become keywords
 * (value yamlified), other strings are yamlified, `{"__kwarg__": true, …}` maps are merged
 * into the keywords (the marker is dropped from any map that carries it).
 */
export function parseInput(args: readonly SaltValue[]): { args: SaltValue[]; kwargs: SaltMap } {
  const out: SaltValue[] = [];
  const kwargs = emptyDict<SaltValue>();
  for (const arg of args) {
    if (typeof arg === 'string') {
      const kw = parseKwarg(arg);
      if (kw) kwargs[kw[0]] = yamlify(kw[1]);
      else out.push(yamlify(arg));
    } else if (isSaltMap(arg) && Object.hasOwn(arg, '__kwarg__')) {
      const { __kwarg__: marker, ...rest } = arg;
      if (marker === true) for (const [key, value] of Object.entries(rest)) kwargs[key] = value;
      else out.push(rest);
    } else {
      out.push(arg);
    }
  }
  return { args: out, kwargs };
}

/**
 * `salt.minion.load_args_and_kwargs(func, munged, ignore_invalid=True)`: keywords the function
 * does not take are dropped; a positional string that (after yamlify) still reads as
 * `name=value` becomes a keyword. Without a signature every keyword is kept.
 */
function fitToSignature(
  args: readonly SaltValue[],
  kwargs: SaltMap,
  sig: RunnerSignature | undefined,
): { arg: SaltValue[]; kwarg: SaltMap } {
  const accepts = (key: string): boolean => sig === undefined || sig.anyKeyword || sig.params.includes(key);
  const arg: SaltValue[] = [];
  const kwarg = emptyDict<SaltValue>();
  for (const value of args) {
    const kw = typeof value === 'string' ? parseKwarg(value) : undefined;
    if (kw) {
      if (accepts(kw[0])) kwarg[kw[0]] = yamlify(kw[1]);
    } else {
      arg.push(value);
    }
  }
  for (const [key, value] of Object.entries(kwargs)) if (accepts(key)) kwarg[key] = value;
  return { arg, kwarg };
}

/**
 * The runner load, key order as salt-api sends it: `{fun, kwarg: {kwarg, arg}, <credentials>}`
 * (`cmd` is appended by the request). `low` is the chunk minus the keys the netapi method
 * itself consumed (`fun`, and for sync runners `timeout` and `full_return`).
 */
export function runnerLoad(fun: string, low: SaltMap, sig: RunnerSignature | undefined): SaltMap {
  const rest: SaltMap = { ...low };
  const credentials: SaltMap = {};
  for (const key of CREDENTIAL_KEYS) {
    if (Object.hasOwn(rest, key)) {
      credentials[key] = rest[key];
      delete rest[key];
    }
  }
  const rawArg = rest['arg'];
  const rawKwarg = rest['kwarg'];
  delete rest['arg'];
  delete rest['kwarg'];
  if (rawArg !== undefined && !Array.isArray(rawArg)) throw new InvalidRequestError("'arg' must be a list");
  if (rawKwarg !== undefined && !isSaltMap(rawKwarg)) throw new InvalidRequestError("'kwarg' must be a mapping");

  const parsed = parseInput(rawArg ?? []);
  // Later sources win, but a key keeps the position of its first appearance (dict.update).
  const kwargs: SaltMap = { ...parsed.kwargs, ...rawKwarg, ...rest };
  const { arg, kwarg } = fitToSignature(parsed.args, kwargs, sig);
  return { fun, kwarg: { kwarg, arg }, ...credentials };
}
