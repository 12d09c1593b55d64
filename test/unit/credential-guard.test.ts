import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { CredentialGuard, apiAclAllows } from '../../src/http/auth/credential-guard.js';
import { HttpError } from '../../src/http/transport/errors.js';
import { LoginThrottle } from '../../src/http/auth/login-throttle.js';
import { InvalidRequestError, MasterTimeoutError, MasterUnavailableError } from '../../src/salt/errors.js';

describe('api_acl', () => {
  it('follows salt_api_acl_tool', () => {
    expect(apiAclAllows(undefined, 'a', '1.2.3.4')).toBe(true);
    // api_acl set without users: the tool returns None, which refuses.
    expect(apiAclAllows({}, 'a', '1.2.3.4')).toBe(false);
    const acl = { alice: ['1.1.1.1'], bob: ['*'] };
    expect(apiAclAllows(acl, 'alice', '1.1.1.1')).toBe(true);
    expect(apiAclAllows(acl, 'alice', '2.2.2.2')).toBe(false);
    expect(apiAclAllows(acl, 'bob', '2.2.2.2')).toBe(true);
    expect(apiAclAllows(acl, 'carol', '1.1.1.1')).toBe(false);
    expect(apiAclAllows({ ...acl, '*': ['3.3.3.3'] }, 'carol', '3.3.3.3')).toBe(true);
  });
});

describe('CredentialGuard.checked', () => {
  const request = {
    socket: { remoteAddress: '::ffff:10.0.0.1' },
    log: { info: () => undefined, warn: () => undefined },
  } as unknown as FastifyRequest;
  const guard = (): CredentialGuard =>
    new CredentialGuard({
      apiAcl: undefined,
      throttle: new LoginThrottle({ maxFailures: 5, windowSeconds: 300, now: () => 1_000_000 }),
    });
  const wrong = (): Promise<null> => Promise.resolve(null);

  it('of 60 concurrent checks of one user and address, runs 5; the rest are 429 with Retry-After', async () => {
    const credentials = guard();
    let asked = 0;
    let answer = (): void => undefined;
    const held = new Promise<void>((resolve) => (answer = resolve));
    const check = async (): Promise<null> => {
      asked++;
      await held;
      return null;
    };
    const outcomes = Array.from({ length: 60 }, () =>
      credentials.checked(request, 'alice', check, (result) => result !== null).catch((error: unknown) => error),
    );
    answer();
    const settled = await Promise.all(outcomes);
    expect(asked).toBe(5);
    const refused = settled.filter((outcome) => outcome instanceof HttpError);
    expect(refused).toHaveLength(55);
    expect(refused.every((error) => error.status === 429 && /^\d+$/.test(error.headers['Retry-After'] ?? ''))).toBe(
      true,
    );
    expect(credentials.counts()).toMatchObject({ loginFailures: 5, throttled: 55 });
  });

  it('counts a master that did not answer as a failure, and an error that says nothing of the password as none', async () => {
    for (const error of [new MasterTimeoutError('mk_token', 5_000), new MasterUnavailableError('gone')]) {
      const credentials = guard();
      for (let i = 0; i < 5; i++) {
        await expect(
          credentials.checked(
            request,
            'alice',
            () => Promise.reject(error),
            () => true,
          ),
        ).rejects.toBe(error);
      }
      await expect(credentials.checked(request, 'alice', wrong, () => true)).rejects.toMatchObject({ status: 429 });
      expect(credentials.counts()).toMatchObject({ loginFailures: 0, loginUnanswered: 5, throttled: 1 });
    }
    const credentials = guard();
    for (let i = 0; i < 10; i++) {
      const invalid = new InvalidRequestError("'tgt' is required");
      await expect(
        credentials.checked(
          request,
          'alice',
          () => Promise.reject(invalid),
          () => true,
        ),
      ).rejects.toBe(invalid);
    }
    expect(await credentials.checked(request, 'alice', wrong, (result) => result !== null)).toBeNull();
    expect(credentials.counts()).toMatchObject({ loginFailures: 1, loginUnanswered: 0, throttled: 0 });
  });
});
