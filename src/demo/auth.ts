import { createHash, randomBytes } from 'node:crypto';
import { Float64, isSaltMap, type SaltMap, type SaltValue } from '../salt/codec/values.js';
import { fillAuthList, type ExternalAuth } from '../salt/auth/acl.js';
import { sleep } from './sleep.js';
import { ownValue, safeText } from '../dict.js';

/**
 * The master's authentication (`salt.auth.LoadAuth`): eauth backends `pam` (a demo user table)
 * and `auto` (any password), tokens issued by `mk_token` and checked by `get_token`, and
 * `check_authentication` with the exact error records the request channel returns.
 */

export interface DemoUser {
  password: string;
  /** What the pam backend reports as the user's groups (ACL `group%` entries use them). */
  groups?: string[];
}

export interface TokenRecord extends SaltMap {
  start: Float64;
  expire: Float64;
  name: string;
  eauth: string;
  groups?: string[];
  token: string;
}

/** Issued tokens; survives a demo master restart when handed to the next one. */
export class TokenStore {
  private readonly tokens = new Map<string, TokenRecord>();

  add(record: TokenRecord): void {
    this.tokens.set(record.token, record);
  }

  get(token: string): TokenRecord | undefined {
    return this.tokens.get(token);
  }

  delete(token: string): void {
    this.tokens.delete(token);
  }
}

export type AuthType = 'token' | 'eauth' | 'user';

// A type alias, not an interface: it must stay assignable to SaltValue (interfaces get no implicit index signature).
// eslint-disable-next-line @typescript-eslint/consistent-type-definitions
export type AuthError = { name: string; message: string };

export interface AuthOutcome {
  username: string;
  authList: unknown[];
  error?: AuthError;
}

export interface AuthenticatorOptions {
  externalAuth: ExternalAuth;
  users: Record<string, DemoUser>;
  /** Token lifetime in seconds (`token_expire`). */
  tokenExpire: number;
  /** `hash_type`: names the hash whose hex digest is a token (sha256 → 64 hex digits). */
  hashType: string;
  /** Randomised delay range for failed logins, or undefined for none. */
  failedAuthDelayMs: readonly [number, number] | undefined;
  tokens: TokenStore;
  signal: AbortSignal;
}

const BACKENDS = new Set(['pam', 'auto']);

/** `_prep_auth_info`: the load's credentials decide the kind of authentication. */
export function authTypeOf(load: SaltMap): { authType: AuthType; errorName: string; sensitiveKeys: string[] } {
  if (Object.hasOwn(load, 'token'))
    return { authType: 'token', errorName: 'TokenAuthenticationError', sensitiveKeys: ['token'] };
  if (Object.hasOwn(load, 'eauth')) {
    return { authType: 'eauth', errorName: 'EauthAuthenticationError', sensitiveKeys: ['username', 'password'] };
  }
  return { authType: 'user', errorName: 'UserAuthenticationError', sensitiveKeys: [] };
}

export class Authenticator {
  constructor(private readonly options: AuthenticatorOptions) {}

  /** ClearFuncs.mk_token: the token record, or "" on any failure. */
  async mkToken(load: SaltMap): Promise<SaltValue> {
    // PAM reads both keys without a default: a KeyError, which the master answers as any exception.
    if (load['eauth'] === 'pam' && !(Object.hasOwn(load, 'username') && Object.hasOwn(load, 'password'))) {
      throw new Error("KeyError: 'password'");
    }
    if (!(await this.authenticateEauth(load))) return '';
    const eauth = load['eauth'] as string;
    const name = safeText(load['username']);
    const now = Date.now() / 1000;
    const record: TokenRecord = {
      start: new Float64(now),
      expire: new Float64(now + this.options.tokenExpire),
      name,
      eauth,
      ...(eauth === 'pam' ? { groups: this.groupsOf(name) } : {}),
      token: createHash(this.options.hashType).update(randomBytes(512)).digest('hex'),
    };
    this.options.tokens.add(record);
    return record;
  }

  /** ClearFuncs.get_token: false without a token key, {} for unknown or expired tokens. */
  getToken(load: SaltMap): SaltValue {
    if (!Object.hasOwn(load, 'token')) return false;
    return this.validToken(load['token']) ?? {};
  }

  /** `LoadAuth.check_authentication` for the credentials in `load`. */
  async checkAuthentication(load: SaltMap, authType: AuthType): Promise<AuthOutcome> {
    const username = typeof load['username'] === 'string' ? load['username'] : 'UNKNOWN';
    if (authType === 'token') {
      const token = this.validToken(load['token']);
      if (token === undefined || !Object.hasOwn(this.options.externalAuth, token.eauth)) {
        return {
          username,
          authList: [],
          error: { name: 'TokenAuthenticationError', message: 'Authentication failure of type "token" occurred.' },
        };
      }
      return { username: token.name, authList: this.authList(token.eauth, token.name, token.groups ?? []) };
    }
    if (authType === 'eauth') {
      if (!(await this.authenticateEauth(load))) {
        return {
          username,
          authList: [],
          error: {
            name: 'EauthAuthenticationError',
            message: `Authentication failure of type "eauth" occurred for user ${username}.`,
          },
        };
      }
      const eauth = load['eauth'] as string;
      return { username, authList: this.authList(eauth, username, eauth === 'pam' ? this.groupsOf(username) : []) };
    }
    // "user" auth needs the master's root key, which the demo master never hands out.
    return {
      username,
      authList: [],
      error: { name: 'UserAuthenticationError', message: 'Authentication failure of type "user" occurred' },
    };
  }

  private validToken(token: SaltValue): TokenRecord | undefined {
    if (typeof token !== 'string') return undefined;
    const record = this.options.tokens.get(token);
    if (record === undefined) return undefined;
    if (record.expire.value < Date.now() / 1000) {
      this.options.tokens.delete(token);
      return undefined;
    }
    return record;
  }

  private async authenticateEauth(load: SaltMap): Promise<boolean> {
    const eauth = load['eauth'];
    if (typeof eauth !== 'string' || !Object.hasOwn(this.options.externalAuth, eauth) || !BACKENDS.has(eauth))
      return false;
    const username = load['username'];
    const password = load['password'];
    if (typeof username !== 'string') return false;
    if (eauth === 'auto') return true;
    const user = Object.hasOwn(this.options.users, username) ? this.options.users[username] : undefined;
    if (user !== undefined && typeof password === 'string' && user.password === password) return true;
    await this.failedLoginDelay();
    return false;
  }

  /** Salt's anti-timing delay after a failed password check (occupies a worker 3-5 s). */
  private async failedLoginDelay(): Promise<void> {
    const range = this.options.failedAuthDelayMs;
    if (range === undefined) return;
    const [min, max] = range;
    await sleep(min + Math.random() * (max - min), this.options.signal);
  }

  private groupsOf(name: string): string[] {
    const user = Object.hasOwn(this.options.users, name) ? this.options.users[name] : undefined;
    return [...(user?.groups ?? [])];
  }

  private authList(eauth: string, name: string, groups: readonly string[]): unknown[] {
    const config: unknown = ownValue(this.options.externalAuth, eauth);
    return isSaltMap(config) ? fillAuthList(config as Record<string, unknown[]>, name, groups) : [];
  }
}
