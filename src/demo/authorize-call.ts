import type { SaltMap, SaltValue } from '../salt/codec/values.js';
import { specCheck } from '../salt/auth/acl.js';
import { authTypeOf } from './auth.js';
import type { MasterContext } from './master-context.js';
import { pythonStr } from '../python/repr.js';

export type AuthorizedCall =
  | { authorized: true; fun: string; username: string; sensitiveKeys: string[] }
  | { authorized: false; reply: SaltValue };

/**
 * What ClearFuncs.runner and ClearFuncs.wheel both do first: authenticate the load (token,
 * eauth or user) and check its function against the user's ACL; a refusal is the reply itself.
 */
export async function authorizeCall(
  ctx: MasterContext,
  load: SaltMap,
  form: 'runner' | 'wheel',
): Promise<AuthorizedCall> {
  const { authType, errorName, sensitiveKeys } = authTypeOf(load);
  const auth = await ctx.auth.checkAuthentication(load, authType);
  if (auth.error !== undefined) return { authorized: false, reply: { error: auth.error } };
  if (!Object.hasOwn(load, 'fun')) throw new TypeError(`${form} load has no 'fun'`);
  const fun = pythonStr(load['fun']);
  const allowed = specCheck(auth.authList, fun, load['kwarg'] ?? {}, form);
  if (allowed === false) {
    const message = `Authentication failure of type "${authType}" occurred for user ${auth.username}.`;
    return { authorized: false, reply: { error: { name: errorName, message } } };
  }
  if (allowed !== true) return { authorized: false, reply: allowed };
  return { authorized: true, fun, username: auth.username, sensitiveKeys };
}
