import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { SaltMap } from '../../codec/values.js';
import { InvalidRequestError, NotAuthenticatedError } from '../../errors.js';
import { publishAllowed } from '../../auth/acl.js';
import { readRosterHosts, rosterTargets } from '../../auth/roster.js';
import { checkMinions, type TargetUniverse } from '../../auth/targeting.js';
import type { ClientContext } from '../context.js';

/**
 * `NetapiClient._authorize_ssh`: the caller's credentials, then their ACL against the hosts the
 * target names, accepted minions and salt-ssh roster hosts alike (salt-api turns
 * `enable_ssh_minions` on for it). Grains are not cached in salt-apid, so a grain term in an ACL
 * entry's target matches no minion: such an entry grants nothing here, never more than in Salt.
 */

/** The accepted minion keys: the files of `<pki_dir>/minions`, as `salt.key` lists them. */
async function acceptedMinions(pkiDir: string): Promise<string[]> {
  try {
    const entries = await readdir(join(pkiDir, 'minions'), { withFileTypes: true });
    return entries.filter((entry) => entry.isFile() && !entry.name.startsWith('.')).map((entry) => entry.name);
  } catch {
    return [];
  }
}

export async function authorizeSsh(low: SaltMap, ctx: ClientContext): Promise<void> {
  const caller = await ctx.loadAuth.check(low);
  const tgt = low['tgt'];
  const fun = low['fun'];
  if (tgt === undefined || fun === undefined) throw new InvalidRequestError("Missing 'tgt' or 'fun' in an ssh chunk");
  const tgtType = typeof low['tgt_type'] === 'string' ? low['tgt_type'] : 'glob';
  const universe: TargetUniverse = {
    acceptedIds: await acceptedMinions(ctx.settings.pkiDir),
    grainsOf: () => undefined,
  };
  const minions = [
    ...checkMinions(tgt, tgtType, universe).minions,
    ...rosterTargets(await readRosterHosts(ctx.settings.rosterFile), tgt, tgtType),
  ];
  const allowed =
    caller.authList !== undefined &&
    (typeof fun === 'string' || Array.isArray(fun)) &&
    publishAllowed(caller.authList, {
      fun: typeof fun === 'string' ? fun : fun.map(String),
      arg: low['arg'] ?? [],
      minions,
      resolve: (expr) => checkMinions(expr, 'compound', universe).minions,
    });
  if (!allowed) throw new NotAuthenticatedError('Authorization error occurred.');
}
