import { isSaltMap, type SaltValue } from '../codec/values.js';
import { fnmatch } from '../../python/fnmatch.js';
import { reMatch } from '../../python/re-match.js';
import { pythonStr } from '../../python/repr.js';

/**
 * eauth authorisation as `salt.utils.minions.CkMinions` decides it: `fill_auth_list` builds a
 * user's ACL from `external_auth.<backend>`, `auth_check` gates publishes (regex function
 * matching, per-target dicts, argument conditions), `spec_check` gates runner/wheel calls
 * (`@runner`, `@wheel`, `@jobs`, `@<module>`).
 */

export type AuthList = readonly unknown[];
export type ExternalAuth = Record<string, Record<string, unknown[]>>;

type PlainMap = Record<string, unknown>;

function isPlainMap(value: unknown): value is PlainMap {
  return isSaltMap(value);
}

/** The single key of a one-entry mapping; Salt skips ACL dicts of any other size. */
function soleKey(entry: PlainMap): string | undefined {
  const keys = Object.keys(entry);
  return keys.length === 1 ? keys[0] : undefined;
}

/** Salt's `expr_match(line, expr)`: exact, glob or full-regex match of an ACL name. */
function exprMatch(line: string, expr: string): boolean {
  if (fnmatch(line, expr)) return true;
  try {
    return new RegExp(`^(?:${expr})$`).test(line);
  } catch {
    return false;
  }
}

export function fillAuthList(
  eauthConfig: Record<string, unknown[]>,
  name: string,
  groups: readonly string[],
): unknown[] {
  const authList: unknown[] = [];
  let nameMatched = false;
  for (const [match, entries] of Object.entries(eauthConfig)) {
    if (match === '*') continue;
    const list = Array.isArray(entries) ? entries : [];
    if (match.endsWith('%')) {
      if (groups.includes(match.replace(/%+$/, ''))) authList.push(...list);
    } else if (exprMatch(match, name)) {
      nameMatched = true;
      authList.push(...list);
    }
  }
  const fallback = eauthConfig['*'];
  if (!nameMatched && Array.isArray(fallback)) authList.push(...fallback);
  return authList;
}

/** `match_check`: Python `re.match` (anchored at the start only) against every function. */
export function matchCheck(regex: string, fun: string | readonly string[]): boolean {
  const funs = typeof fun === 'string' ? [fun] : fun;
  return funs.length > 0 && funs.every((f) => reMatch(regex, f));
}

function argsCheck(valid: unknown, args: readonly SaltValue[] | undefined, kwargs: PlainMap | undefined): boolean {
  const conditions = Array.isArray(valid) ? valid : [valid];
  return conditions.some((cond) => {
    if (!isPlainMap(cond)) return false;
    const condArgs = Array.isArray(cond['args']) ? cond['args'] : [];
    const argsOk = condArgs.every((c, i) => {
      if (args === undefined || args.length <= i) return false;
      return c === null || (typeof c === 'string' && reMatch(c, pythonStr(args[i])));
    });
    if (!argsOk) return false;
    const condKwargs = isPlainMap(cond['kwargs']) ? cond['kwargs'] : {};
    return Object.entries(condKwargs).every(([k, v]) => {
      if (kwargs === undefined || !Object.hasOwn(kwargs, k)) return false;
      return v === null || (typeof v === 'string' && reMatch(v, pythonStr(kwargs[k])));
    });
  });
}

function funCheck(valid: unknown, fun: string, args?: readonly SaltValue[], kwargs?: PlainMap): boolean {
  const conditions = Array.isArray(valid) ? valid : [valid];
  return conditions.some((cond) => {
    if (typeof cond === 'string') return matchCheck(cond, fun);
    if (!isPlainMap(cond)) return false;
    const name = soleKey(cond);
    return name !== undefined && matchCheck(name, fun) && argsCheck(cond[name], args, kwargs);
  });
}

export interface PublishRequest {
  fun: string | readonly string[];
  arg: SaltValue;
  /** Minions the publish resolved to. */
  minions: readonly string[];
  /** Resolves an ACL target key (a compound expression) to minion ids. */
  resolve(expr: string): readonly string[];
}

/** `validate_tgt`: every targeted minion is one the ACL entry's target names. */
function targetAllowed(valid: string, request: PublishRequest): boolean {
  if (valid === '*') return true;
  // No minion ever matches @runner, @wheel and the like.
  if (valid.startsWith('@')) return false;
  const allowed = new Set(request.resolve(valid));
  return request.minions.every((id) => allowed.has(id));
}

/**
 * `auth_check`: may the caller run `fun` on `minions`? `whitelist` names functions anyone may
 * call (`ClearFuncs.publish` passes `saltutil.find_job`; the ssh client passes none).
 */
export function publishAllowed(
  authList: AuthList,
  request: PublishRequest,
  whitelist: readonly string[] = [],
): boolean {
  const funs = typeof request.fun === 'string' ? [request.fun] : request.fun;
  const argLists: SaltValue[] =
    typeof request.fun === 'string' ? [request.arg] : Array.isArray(request.arg) ? request.arg : [];
  for (const [num, fun] of funs.entries()) {
    if (whitelist.includes(fun)) return true;
    for (const entry of authList) {
      if (typeof entry === 'string') {
        if (matchCheck(entry, fun)) return true;
        continue;
      }
      if (!isPlainMap(entry)) continue;
      const target = soleKey(entry);
      if (target === undefined || !targetAllowed(target, request)) continue;
      const rawArgs = argLists[num];
      let funArgs = Array.isArray(rawArgs) ? rawArgs : [];
      let funKwargs: PlainMap | undefined;
      const last = funArgs[funArgs.length - 1];
      if (isPlainMap(last) && Object.hasOwn(last, '__kwarg__')) {
        funKwargs = last;
        funArgs = funArgs.slice(0, -1);
      }
      if (funCheck(entry[target], fun, funArgs, funKwargs)) return true;
    }
  }
  return false;
}

// A type alias, not an interface: it must stay assignable to SaltValue (interfaces get no implicit index signature).
// eslint-disable-next-line @typescript-eslint/consistent-type-definitions
export type SpecCheckError = { error: { name: string; message: string } };

/** `spec_check` for runner/wheel functions; `args` is the load's `kwarg` map. */
export function specCheck(
  authList: AuthList,
  fun: string,
  args: SaltValue,
  form: 'runner' | 'wheel',
): boolean | SpecCheckError {
  if (authList.length === 0) return false;
  const comps = fun.split('.');
  if (comps.length !== 2) {
    return { error: { name: 'SaltInvocationError', message: 'A command invocation error occurred: Check syntax.' } };
  }
  const [modName = '', funName = ''] = comps;
  const argMap = isPlainMap(args) ? args : {};
  const callArgs = Array.isArray(argMap['arg']) ? argMap['arg'] : undefined;
  const callKwargs = isPlainMap(argMap['kwarg']) ? argMap['kwarg'] : undefined;
  const isForm = (name: string): boolean => name === form || name === `${form}s`;
  for (const entry of authList) {
    if (typeof entry === 'string') {
      if (entry.startsWith('@') && (entry.slice(1) === modName || isForm(entry.slice(1)))) return true;
      continue;
    }
    if (!isPlainMap(entry)) continue;
    const valid = soleKey(entry);
    if (!valid?.startsWith('@')) continue;
    if (valid.slice(1) === modName && funCheck(entry[valid], funName, callArgs, callKwargs)) return true;
    if (isForm(valid.slice(1)) && funCheck(entry[valid], fun, callArgs, callKwargs)) return true;
  }
  return false;
}
