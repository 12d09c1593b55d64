/**
 * What happens wherever eauth credentials are presented — `/login`, `/token`, `/run`, `POST
 * /keys` and lowstate chunks carrying `username`/`eauth` on the session routes — before the
 * master sees them: `api_acl` (salt-api checks it only at `/login`), then the login throttle.
 * Every check the master makes of a password holds a place in the throttle while it runs, and its
 * outcome is counted: a refusal or no answer (time-out, master unavailable) as a failure.
 */
import type { FastifyRequest } from 'fastify';
import type { SaltMap, SaltValue } from '../../salt/codec/values.js';
import type { LowstateRunner, RunOptions } from '../../salt/clients/netapi.js';
import { MasterErrorReply, NotAuthenticatedError, SaltError } from '../../salt/errors.js';
import { normalizeAddress } from './authorized-ips.js';
import { HttpError } from '../transport/errors.js';
import type { LoginAttempt, LoginThrottle, ThrottleRefusal } from './login-throttle.js';

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

/** The master did not answer (time-out) or could not be reached: the password may have been checked. */
export function isUnanswered(error: unknown): boolean {
  return error instanceof SaltError && (error.kind === 'timeout' || error.kind === 'unavailable');
}

export interface CredentialGuardOptions {
  apiAcl: Readonly<Record<string, readonly string[]>> | undefined;
  throttle: LoginThrottle;
}

/** What the guard refused and saw fail, since start (for metrics). */
export interface CredentialGuardCounts {
  loginFailures: number;
  /** Password checks the master did not answer (counted as failures by the throttle). */
  loginUnanswered: number;
  throttled: number;
  apiAclRefused: number;
}

export class CredentialGuard {
  private readonly tally: CredentialGuardCounts = {
    loginFailures: 0,
    loginUnanswered: 0,
    throttled: 0,
    apiAclRefused: 0,
  };

  constructor(private readonly options: CredentialGuardOptions) {}

  counts(): Readonly<CredentialGuardCounts> {
    return { ...this.tally };
  }

  /**
   * `api_acl` (401) and the throttle (429) for `user` presenting credentials from the request's
   * address; nothing is reserved (see {@link checked}).
   */
  admit(request: FastifyRequest, user: unknown): void {
    const ip = this.aclAllowed(request, user);
    const verdict = this.options.throttle.check(user, ip);
    if (!verdict.allowed) this.refuse(request, user, verdict);
  }

  /** {@link admit} for every chunk that carries credentials, before any of them runs. */
  admitChunks(request: FastifyRequest, chunks: readonly SaltMap[]): void {
    for (const chunk of chunks) {
      const credentials = chunkCredentials(chunk);
      if (credentials !== undefined) this.admit(request, credentials.user);
    }
  }

  /**
   * Runs `check` — the master checking `user`'s password — after {@link admit}, in a place the
   * throttle holds for it until it ends, and counts its outcome: `accepted` says whether the
   * master took the password; a refusal or no answer is a failure.
   */
  async checked<T>(
    request: FastifyRequest,
    user: unknown,
    check: () => Promise<T>,
    accepted: (result: T) => boolean,
  ): Promise<T> {
    const admission = this.options.throttle.begin(user, this.aclAllowed(request, user));
    if (!admission.allowed) this.refuse(request, user, admission);
    const { attempt } = admission;
    let result: T;
    try {
      result = await check();
    } catch (error) {
      this.settle(attempt, error);
      throw error;
    }
    if (accepted(result)) attempt.succeeded();
    else this.refused(attempt);
    return result;
  }

  private refused(attempt: LoginAttempt): void {
    this.tally.loginFailures++;
    attempt.failed();
  }

  /** The outcome of a check that threw: a refusal, no answer (both failures), or nothing said of the password. */
  private settle(attempt: LoginAttempt, error: unknown): void {
    if (isCredentialFailure(error)) {
      this.refused(attempt);
    } else if (isUnanswered(error)) {
      this.tally.loginUnanswered++;
      attempt.failed();
    } else {
      attempt.released();
    }
  }

  /** The request's address, once `api_acl` lets `user` present credentials from it (else 401). */
  private aclAllowed(request: FastifyRequest, user: unknown): string {
    const ip = peerAddress(request);
    if (!apiAclAllows(this.options.apiAcl, user, ip)) {
      this.tally.apiAclRefused++;
      request.log.info({ user, ip }, '[api_acl] Authentication failed');
      throw new HttpError(401);
    }
    return ip;
  }

  /** The throttle's 429, with Retry-After. */
  private refuse(request: FastifyRequest, user: unknown, verdict: ThrottleRefusal): never {
    this.tally.throttled++;
    request.log.warn(
      { user, ip: peerAddress(request), by: verdict.reason },
      'login attempt throttled after repeated failures',
    );
    throw new HttpError(429, THROTTLED, {
      shape: 'envelope',
      headers: { 'Retry-After': String(verdict.retryAfterSeconds) },
    });
  }

  /** `runner` with the outcome of each chunk whose password the master checks counted. */
  watching(runner: LowstateRunner, request: FastifyRequest): LowstateRunner {
    return {
      get masterAvailable() {
        return runner.masterAvailable;
      },
      run: async (chunk: SaltMap, options?: RunOptions): Promise<SaltValue[]> => {
        const credentials = chunkCredentials(chunk);
        // Without the master the chunk fails before any password is checked.
        if (!credentials?.checked || !runner.masterAvailable) return runner.run(chunk, options);
        return this.checked(
          request,
          credentials.user,
          () => runner.run(chunk, options),
          () => true,
        );
      },
    };
  }
}
