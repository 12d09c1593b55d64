import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LoginThrottle, throttleUserKey } from '../../src/http/auth/login-throttle.js';
import { fuzzRuns } from '../support/fuzz.js';

function throttle(options: Partial<ConstructorParameters<typeof LoginThrottle>[0]> = {}): {
  t: LoginThrottle;
  clock: { now: number };
} {
  const clock = { now: 1_000_000 };
  const t = new LoginThrottle({ maxFailures: 5, windowSeconds: 300, now: () => clock.now, ...options });
  return { t, clock };
}

describe('LoginThrottle per user and address', () => {
  it('refuses the pair after maxFailures failures until the window ends, and no one else', () => {
    const { t, clock } = throttle();
    for (let i = 0; i < 5; i++) {
      expect(t.check('alice', '10.0.0.1').allowed).toBe(true);
      t.failed('alice', '10.0.0.1');
    }
    const refused = t.check('alice', '10.0.0.1');
    expect(refused).toEqual({ allowed: false, reason: 'address', retryAfterSeconds: 300 });
    expect(t.check('ALICE', '10.0.0.1').allowed).toBe(false);
    expect(t.check('alice', '10.0.0.2').allowed).toBe(true);
    expect(t.check('bob', '10.0.0.1').allowed).toBe(true);
    clock.now += 200_000;
    expect(t.check('alice', '10.0.0.1')).toMatchObject({ allowed: false, retryAfterSeconds: 100 });
    clock.now += 100_000;
    expect(t.check('alice', '10.0.0.1').allowed).toBe(true);
  });

  it('clears the pair on success; successes are never counted', () => {
    const { t } = throttle();
    for (let i = 0; i < 4; i++) t.failed('alice', '10.0.0.1');
    t.succeeded('alice', '10.0.0.1');
    for (let i = 0; i < 100; i++) t.succeeded('alice', '10.0.0.1');
    for (let i = 0; i < 4; i++) t.failed('alice', '10.0.0.1');
    expect(t.check('alice', '10.0.0.1').allowed).toBe(true);
  });

  it('is off with login_max_failures or login_failure_window at 0', () => {
    for (const options of [{ maxFailures: 0 }, { windowSeconds: 0 }]) {
      const { t } = throttle(options);
      for (let i = 0; i < 50; i++) t.failed('alice', '10.0.0.1');
      expect(t.check('alice', '10.0.0.1').allowed).toBe(true);
      for (let i = 0; i < 50; i++) expect(t.begin('alice', '10.0.0.1').allowed).toBe(true);
      expect(t.trackedKeys).toEqual({ pairs: 0, users: 0, trusted: 0, inFlight: 0 });
    }
  });
});

describe('LoginThrottle per user across addresses', () => {
  /** 4 × 5 failures for alice, each from a different address. */
  function distributedGuessing(t: LoginThrottle): void {
    for (let i = 0; i < 20; i++) t.failed('alice', `192.0.2.${i}`);
  }

  it('slows a distributed guesser to one attempt a second for that user, without blocking', () => {
    const { t, clock } = throttle();
    distributedGuessing(t);
    // check() only tells; begin() takes the second's one attempt.
    expect(t.check('alice', '198.51.100.1').allowed).toBe(true);
    expect(t.begin('alice', '198.51.100.1').allowed).toBe(true);
    expect(t.check('alice', '198.51.100.2')).toEqual({ allowed: false, reason: 'user', retryAfterSeconds: 1 });
    expect(t.begin('alice', '198.51.100.2')).toEqual({ allowed: false, reason: 'user', retryAfterSeconds: 1 });
    clock.now += 1_000;
    expect(t.begin('alice', '198.51.100.2').allowed).toBe(true);
    expect(t.check('bob', '198.51.100.2').allowed).toBe(true);
  });

  it('never slows an address that has logged in as that user before', () => {
    const { t } = throttle();
    t.succeeded('alice', '203.0.113.7');
    distributedGuessing(t);
    for (let i = 0; i < 10; i++) expect(t.check('alice', '203.0.113.7').allowed).toBe(true);
  });

  it('per-user refusals last at most a second, and never touch an address that logged in before', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ ip: fc.integer({ min: 0, max: 40 }), ms: fc.integer({ min: 0, max: 400 }) }), {
          maxLength: 300,
        }),
        (attempts) => {
          const { t, clock } = throttle();
          t.succeeded('alice', '203.0.113.7');
          for (const { ip, ms } of attempts) {
            clock.now += ms;
            const admission = t.begin('alice', `192.0.2.${ip}`);
            if (admission.allowed) admission.attempt.failed();
            else if (admission.reason === 'user') expect(admission.retryAfterSeconds).toBe(1);
            expect(t.check('alice', '203.0.113.7').allowed).toBe(true);
          }
        },
      ),
      fuzzRuns(4242, 200),
    );
  });
});

describe('LoginThrottle attempts in flight', () => {
  it('counts them as failures until told: of 60 at once for one pair, 5 reach the master', () => {
    const { t } = throttle();
    const admissions = Array.from({ length: 60 }, () => t.begin('alice', '10.0.0.1'));
    const through = admissions.flatMap((admission) => (admission.allowed ? [admission.attempt] : []));
    expect(through).toHaveLength(5);
    // Refused only because of attempts whose outcome is not known yet: ask again in a second.
    expect(admissions[5]).toEqual({ allowed: false, reason: 'address', retryAfterSeconds: 1 });
    expect(t.trackedKeys.inFlight).toBe(5);
    for (const attempt of through) attempt.failed();
    expect(t.begin('alice', '10.0.0.1')).toEqual({ allowed: false, reason: 'address', retryAfterSeconds: 300 });
    expect(t.trackedKeys).toMatchObject({ pairs: 1, inFlight: 0 });
  });

  it('a success gives its place back and clears the count; a released place counts nothing; a second outcome is ignored', () => {
    const { t } = throttle();
    const first = t.begin('alice', '10.0.0.1');
    const second = t.begin('alice', '10.0.0.1');
    if (!first.allowed || !second.allowed) throw new Error('refused');
    for (let i = 0; i < 3; i++) t.failed('alice', '10.0.0.1');
    expect(t.check('alice', '10.0.0.1').allowed).toBe(false);
    second.attempt.released();
    second.attempt.failed();
    expect(t.check('alice', '10.0.0.1').allowed).toBe(true);
    first.attempt.succeeded();
    first.attempt.failed();
    expect(t.trackedKeys).toMatchObject({ pairs: 0, trusted: 1, inFlight: 0 });
    for (let i = 0; i < 5; i++) expect(t.begin('alice', '10.0.0.1').allowed).toBe(true);
    expect(t.begin('alice', '10.0.0.1').allowed).toBe(false);
  });

  it('attempts in flight of one user from many addresses count toward the per-user threshold', () => {
    const { t, clock } = throttle();
    const admissions = Array.from({ length: 100 }, (_, i) => t.begin('alice', `192.0.2.${i}`));
    // 4 × 5 at once, then one a second.
    expect(admissions.filter((admission) => admission.allowed)).toHaveLength(21);
    expect(admissions[21]).toEqual({ allowed: false, reason: 'user', retryAfterSeconds: 1 });
    clock.now += 1_000;
    expect(t.begin('alice', '198.51.100.1').allowed).toBe(true);
    expect(t.begin('alice', '198.51.100.2').allowed).toBe(false);
  });
});

describe('LoginThrottle memory', () => {
  it('keeps at most maxKeys entries per map, however many users and addresses fail', () => {
    const { t, clock } = throttle({ maxKeys: 100 });
    for (let i = 0; i < 10_000; i++) {
      clock.now += 1;
      t.failed(`user-${i}`, `10.${i >> 8}.${i & 255}.1`);
      t.succeeded(`user-${i}`, `10.${i >> 8}.${i & 255}.2`);
    }
    const tracked = t.trackedKeys;
    expect(tracked.pairs).toBeLessThanOrEqual(100);
    expect(tracked.users).toBeLessThanOrEqual(100);
    expect(tracked.trusted).toBeLessThanOrEqual(100);
  });

  it('sweeps windows that are over', () => {
    const { t, clock } = throttle();
    for (let i = 0; i < 50; i++) t.failed(`user-${i}`, '10.0.0.1');
    clock.now += 301_000;
    t.failed('late', '10.0.0.1');
    expect(t.trackedKeys).toMatchObject({ pairs: 1, users: 1 });
  });

  it('counts any presented user value under one bounded key', () => {
    expect(throttleUserKey('Alice')).toBe('alice');
    expect(throttleUserKey(['a'])).toBe('["a"]');
    expect(throttleUserKey(undefined)).toBe('undefined');
    expect(throttleUserKey('x'.repeat(10_000))).toHaveLength(256);
  });
});
