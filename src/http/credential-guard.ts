/**
 * What happens wherever eauth credentials are presented — `/login`, `/token`, `/run`, `POST
 * /keys` and lowstate chunks carrying `username`/`eauth` on the session routes — before the
 * master sees them: `api_acl` (salt-api checks it only at `/login`), then the login throttle.
 * The outcome of every check the master makes of a password is counted by the throttle.
 */
import type { FastifyRequest } from 'fastify';
import type { SaltMap, SaltValue } from '../salt/codec/values.js';
import type { LowstateRunner, RunOptions } from '../salt/clients/netapi.js';
import { MasterErrorReply, NotAuthenticatedError } from '../salt/errors.js';
import { normalizeAddress } from './authorized-ips.js';
import { HttpError } from './errors.js';
import type { LoginThrottle } from './login-throttle.js';

export const THROTTLED = 'Too many failed logins; try again later.';

/** The socket peer address (never a header), IPv4-mapped IPv6 written as plain IPv4. */
export function peerAddress(request: FastifyRequest): string {
  return normalizeAddress(request.socket.remoteAddress ?? '');
}

/**
 * `api_acl` as salt_api_acl_tool (salt/netapi/rest_cherrypy/app.py) decides: a listed user
 * passes from one of their addresses (or anywhere with `'*'`); an unlisted user is judged by the
 * `'*'` entry, and refused without one. `acl` undefined: no check.
 */
export function apiAclAllows(
  acl: Readonly<Record<string, readonly string[]>> | undefined,
  user: unknown,
  ip: string,
): boolean {
  if (acl === undefined) return true;
  const name = typeof user === 'string' ? user : undefined;
  const allowed = name !== undefined && Object.hasOwn(acl, name) ? acl[name] : acl['*'];
  return allowed !== undefined && (allowed.includes(ip) || allowed.includes('*'));
}

/** The user a chunk presents eauth credentials for, and whether the master will check them. */
export function chunkCredentials(chunk: SaltMap): { user: SaltValue | undefined; checked: boolean } | undefined {
  if (!Object.hasOwn(chunk, 'username') && !Object.hasOwn(chunk, 'eauth')) return undefined;
  // With a token in the chunk the master authenticates the token and ignores the password.
  return { user: chunk['username'], checked: Object.hasOwn(chunk, 'eauth') && !Object.hasOwn(chunk, 'token') };
}

/** A refusal of the presented password (not of a token, not a missing permission). */
export function isCredentialFailure(error: unknown): boolean {
  if (error instanceof MasterErrorReply)
    return error.errorName === 'EauthAuthenticationError' || error.errorName === 'AuthenticationError';
  return error instanceof NotAuthenticatedError && error.message.startsWith('Authentication failure of type "eauth"');
}

export interface CredentialGuardOptions {
  apiAcl: Readonly<Record<string, readonly string[]>> | undefined;
  throttle: LoginThrottle;
}

/** What the guard refused and saw fail, since start (for metrics). */
export interface CredentialGuardCounts {
  loginFailures: number;
  throttled: number;
  apiAclRefused: number;
}

export class CredentialGuard {
  private readonly tally: CredentialGuardCounts = { loginFailures: 0, throttled: 0, apiAclRefused: 0 };

  constructor(private readonly options: CredentialGuardOptions) {}

  counts(): Readonly<CredentialGuardCounts> {
    return { ...this.tally };
  }

  /** `api_acl` (401) and the throttle (429) for `user` presenting credentials from the request's address. */
  admit(request: FastifyRequest, user: unknown): void {
    const ip = peerAddress(request);
    if (!apiAclAllows(this.options.apiAcl, user, ip)) {
      this.tally.apiAclRefused++;
      request.log.info({ user, ip }, '[api_acl] Authentication failed');
      throw new HttpError(401);
    }
    const verdict = this.options.throttle.check(user, ip);
    if (!verdict.allowed) {
      this.tally.throttled++;
      request.log.warn({ user, ip, by: verdict.reason }, 'login attempt throttled after repeated failures');
      throw new HttpError(429, THROTTLED, {
        shape: 'envelope',
        headers: { 'Retry-After': String(verdict.retryAfterSeconds) },
      });
    }
  }

  /** {@link admit} for every chunk that carries credentials, before any of them runs. */
  admitChunks(request: FastifyRequest, chunks: readonly SaltMap[]): void {
    for (const chunk of chunks) {
      const credentials = chunkCredentials(chunk);
      if (credentials !== undefined) this.admit(request, credentials.user);
    }
  }

  loginFailed(request: FastifyRequest, user: unknown): void {
    this.tally.loginFailures++;
    this.options.throttle.failed(user, peerAddress(request));
  }

  loginSucceeded(request: FastifyRequest, user: unknown): void {
    this.options.throttle.succeeded(user, peerAddress(request));
  }

  /** `runner` with the outcome of each chunk whose password the master checks counted. */
  watching(runner: LowstateRunner, request: FastifyRequest): LowstateRunner {
    return {
      get masterAvailable() {
        return runner.masterAvailable;
      },
      run: async (chunk: SaltMap, options?: RunOptions): Promise<SaltValue[]> => {
        const credentials = chunkCredentials(chunk);
        if (!credentials?.checked) return runner.run(chunk, options);
        try {
          const result = await runner.run(chunk, options);
          this.loginSucceeded(request, credentials.user);
          return result;
        } catch (error) {
          if (isCredentialFailure(error)) this.loginFailed(request, credentials.user);
          throw error;
        }
      },
    };
  }
}
