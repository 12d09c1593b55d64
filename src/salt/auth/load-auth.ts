import { createHmac, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { MasterSettings } from '../../config/types.js';
import type { TokenRecord } from '../clear-commands.js';
import type { SaltMap, SaltValue } from '../codec/values.js';
import { NotAuthenticatedError } from '../errors.js';
import { pythonStr } from '../../python/repr.js';
import { fillAuthList } from './acl.js';
import type { PamLoad } from './pam.js';

/**
 * `LoadAuth.check_authentication` for the one client salt-api authorises itself, ssh: who is the
 * caller, and what may they run (`auth_list`)? A token is looked up on the master; `eauth: pam`
 * is checked in this process when the PAM binding loads, as salt-api does; any other backend, or
 * PAM without the binding, is checked by the master through `mk_token`. That token is minted once
 * per set of credentials and reused until it expires, so repeated calls leave no trail of tokens.
 */

export interface AuthenticatedCaller {
  username: string;
  /** The caller's ACL; undefined when `external_auth` has no entry for their backend. */
  authList: readonly unknown[] | undefined;
}

export interface TokenSource {
  mkToken(credentials: SaltMap): Promise<TokenRecord | null>;
  getToken(token: string): Promise<TokenRecord | null>;
}

export interface LoadAuthDeps {
  master: TokenSource;
  settings: Pick<MasterSettings, 'externalAuth' | 'keepAclInToken' | 'pamService'>;
  /** The in-process PAM, asked for on the first PAM login (loading it costs a native module). */
  pam: () => PamLoad;
  logger?: Logger | undefined;
}

/** Distinct credential sets whose minted token is kept for reuse. */
const MAX_MINTED = 1000;
/** A kept token is not reused in its last seconds: the call must not outlive it. */
const EXPIRY_MARGIN_S = 30;

/** A credential as text that tells `1` from `'1'` and a missing value from `None`. */
function tagged(value: SaltValue | undefined): string {
  return value === undefined ? 'missing' : `${typeof value}:${pythonStr(value)}`;
}

export class LoadAuth {
  private readonly minted = new Map<string, TokenRecord>();
  /** Keys of `minted`: an HMAC of the credentials under a key that never leaves this process. */
  private readonly digestKey = randomBytes(32);
  private toldFallback = false;

  constructor(private readonly deps: LoadAuthDeps) {}

  async check(low: SaltMap): Promise<AuthenticatedCaller> {
    if (Object.hasOwn(low, 'token')) {
      const token = low['token'];
      const record = typeof token === 'string' ? await this.deps.master.getToken(token) : null;
      if (record === null) throw new NotAuthenticatedError('Authentication failure of type "token" occurred.');
      return { username: record.name, authList: this.authListOf(record.eauth, record.name, record.groups, record) };
    }
    const username = Object.hasOwn(low, 'username') ? pythonStr(low['username'] ?? null) : 'UNKNOWN';
    const failure = new NotAuthenticatedError(`Authentication failure of type "eauth" occurred for user ${username}.`);
    const eauth = low['eauth'];
    if (typeof eauth !== 'string' || !Object.hasOwn(this.deps.settings.externalAuth, eauth)) throw failure;
    const pamLoad = this.deps.pam();
    const { pam } = pamLoad;
    if (eauth === 'pam' && pam !== undefined) {
      // `pam.auth(username, password)`: both must be given, as text.
      const name = low['username'];
      const password = low['password'];
      if (typeof name !== 'string' || typeof password !== 'string') throw failure;
      if (!(await pam.authenticate(name, password, this.deps.settings.pamService))) throw failure;
      return { username: name, authList: this.authListOf(eauth, name, await pam.groups(name), undefined) };
    }
    if (eauth === 'pam' && pamLoad.pam === undefined) this.tellFallback(pamLoad.reason);
    const record = await this.mintOnce(low, eauth);
    if (record === null) throw failure;
    return { username: record.name, authList: this.authListOf(record.eauth, record.name, record.groups, record) };
  }

  /** `get_auth_list`: the token's own ACL where the master keeps it there, else `fill_auth_list`. */
  private authListOf(
    eauth: string,
    name: string,
    groups: readonly string[] | undefined,
    token: TokenRecord | undefined,
  ): readonly unknown[] | undefined {
    const kept: SaltValue | undefined = token?.['auth_list'];
    if (this.deps.settings.keepAclInToken && Array.isArray(kept)) return kept;
    const externalAuth = this.deps.settings.externalAuth;
    if (!Object.hasOwn(externalAuth, eauth)) return undefined;
    return fillAuthList(externalAuth[eauth] ?? {}, name, groups ?? []);
  }

  private async mintOnce(low: SaltMap, eauth: string): Promise<TokenRecord | null> {
    const credentials: SaltMap = { eauth };
    for (const key of ['username', 'password'] as const)
      if (Object.hasOwn(low, key)) credentials[key] = low[key] ?? null;
    const digest = createHmac('sha256', this.digestKey)
      .update(JSON.stringify([eauth, ...['username', 'password'].map((key) => tagged(credentials[key]))]))
      .digest('hex');
    const kept = this.minted.get(digest);
    if (kept !== undefined && kept.expire - EXPIRY_MARGIN_S > Date.now() / 1000) return kept;
    this.minted.delete(digest);
    const record = await this.deps.master.mkToken(credentials);
    if (record === null) return null;
    if (this.minted.size >= MAX_MINTED) {
      const oldest = this.minted.keys().next();
      if (oldest.done !== true) this.minted.delete(oldest.value);
    }
    this.minted.set(digest, record);
    return record;
  }

  private tellFallback(reason: string): void {
    if (this.toldFallback) return;
    this.toldFallback = true;
    this.deps.logger?.warn(
      { reason },
      'in-process PAM is not used: ssh credentials are checked by the master, ' +
        'with one token per set of credentials kept until it expires',
    );
  }
}
