/**
 * Slows down password guessing. Failed logins are counted per (user, client address) and per
 * user across all addresses, in fixed windows of `windowSeconds`:
 *
 * - after `maxFailures` failures of one user from one address, that address is refused for that
 *   user (429) until the window ends — without asking the master;
 * - after `userFactor × maxFailures` failures of one user from anywhere (a guesser spread over
 *   many addresses), attempts for that user are slowed, not blocked: one attempt per second in
 *   all, the others answered 429 with `Retry-After: 1`. An address that has logged in as that
 *   user before is not slowed at all, so an attacker cannot lock a user out of their usual
 *   machines, and from a new one they get in within seconds.
 *
 * Attempts still at the master count as failures until their outcome is known ({@link
 * LoginThrottle.begin} reserves a place, the {@link LoginAttempt} gives it back): however many
 * attempts arrive at once, at most `maxFailures` of one (user, address) reach the master. One
 * refused only because others are in flight gets `Retry-After: 1`. A check the master did not
 * answer counts as a failure (the caller says so: salt-apid cannot tell a slow refusal from a lost
 * one, and Salt holds a failing check for seconds).
 *
 * A successful login clears the (user, address) count. Every map is bounded (`maxKeys`): expired
 * entries are swept from the front (oldest first), and past the bound the oldest entry goes; the
 * counts of attempts in flight hold only as many entries as there are attempts in flight.
 */

export interface LoginThrottleOptions {
  /** Failures per user and address within a window before refusing; 0 turns throttling off. */
  maxFailures: number;
  /** Window length in seconds; 0 turns throttling off. */
  windowSeconds: number;
  /** The per-user threshold is this many times `maxFailures` (default 4). */
  userFactor?: number;
  /** Entries kept per map (default 10000). */
  maxKeys?: number;
  /** How long a successful (user, address) pair stays exempt from the per-user limit (default 30 days). */
  trustSeconds?: number;
  now?: () => number;
}

export interface ThrottleRefusal {
  allowed: false;
  retryAfterSeconds: number;
  reason: 'address' | 'user';
}

export type ThrottleVerdict = { allowed: true } | ThrottleRefusal;

/** A password check the throttle let through, until its outcome is told (once; later calls do nothing). */
export interface LoginAttempt {
  /** The master refused the password, or did not answer: a failure. */
  failed(): void;
  /** The master accepted it: the pair's count is cleared and the pair trusted. */
  succeeded(): void;
  /** The master never judged the password: the place is given back, nothing counted. */
  released(): void;
}

export type ThrottleAdmission = { allowed: true; attempt: LoginAttempt } | ThrottleRefusal;

interface FailureWindow {
  start: number;
  failures: number;
}

const NO_ATTEMPT: LoginAttempt = { failed: () => {}, succeeded: () => {}, released: () => {} };

const DEFAULT_USER_FACTOR = 4;
const DEFAULT_MAX_KEYS = 10_000;
const DEFAULT_TRUST_SECONDS = 30 * 24 * 3600;
/** One attempt per this many ms for a user over the per-user threshold. */
const SLOW_ATTEMPT_MS = 1_000;
/** User names are compared in lower case and cut to this length. */
const MAX_USER_KEY = 256;

/** The key a presented user name is counted under (any value; names in any case count together). */
export function throttleUserKey(user: unknown): string {
  const name = typeof user === 'string' ? user : (JSON.stringify(user) ?? String(user));
  return name.slice(0, MAX_USER_KEY).toLowerCase();
}

/** A Map bounded to `maxKeys`, entries in insertion order (oldest first). */
class BoundedMap<V> {
  private readonly entries = new Map<string, V>();

  constructor(
    private readonly maxKeys: number,
    private readonly isExpired: (value: V) => boolean,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Stores `value` as the newest entry, sweeping expired ones first and evicting past the bound. */
  set(key: string, value: V): void {
    this.entries.delete(key);
    for (const [oldKey, oldValue] of this.entries) {
      if (!this.isExpired(oldValue)) break;
      this.entries.delete(oldKey);
    }
    while (this.entries.size >= this.maxKeys) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(key, value);
  }
}

export class LoginThrottle {
  readonly enabled: boolean;
  private readonly maxFailures: number;
  private readonly userThreshold: number;
  private readonly windowMs: number;
  private readonly trustMs: number;
  private readonly now: () => number;
  private readonly pairs: BoundedMap<FailureWindow>;
  private readonly users: BoundedMap<FailureWindow>;
  /** Users over the per-user threshold → when the last attempt was let through. */
  private readonly slowed: BoundedMap<number>;
  /** (user, address) pairs that logged in successfully → when they last did. */
  private readonly trusted: BoundedMap<number>;
  /** Attempts at the master now, per pair and per user. */
  private readonly pendingPairs = new Map<string, number>();
  private readonly pendingUsers = new Map<string, number>();

  constructor(options: LoginThrottleOptions) {
    this.enabled = options.maxFailures > 0 && options.windowSeconds > 0;
    this.maxFailures = options.maxFailures;
    this.userThreshold = (options.userFactor ?? DEFAULT_USER_FACTOR) * options.maxFailures;
    this.windowMs = options.windowSeconds * 1000;
    this.trustMs = (options.trustSeconds ?? DEFAULT_TRUST_SECONDS) * 1000;
    this.now = options.now ?? Date.now;
    const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    const windowOver = (window: FailureWindow): boolean => this.now() - window.start >= this.windowMs;
    this.pairs = new BoundedMap<FailureWindow>(maxKeys, windowOver);
    this.users = new BoundedMap<FailureWindow>(maxKeys, windowOver);
    this.slowed = new BoundedMap(maxKeys, (at) => this.now() - at >= SLOW_ATTEMPT_MS);
    this.trusted = new BoundedMap(maxKeys, (at) => this.now() - at >= this.trustMs);
  }

  /** Whether a login attempt of `user` from `address` would be let through now (nothing reserved or counted). */
  check(user: unknown, address: string): ThrottleVerdict {
    if (!this.enabled) return { allowed: true };
    return this.verdict(throttleUserKey(user), address, this.now());
  }

  /** Lets an attempt through, holding its place until its outcome is told, or refuses it. */
  begin(user: unknown, address: string): ThrottleAdmission {
    if (!this.enabled) return { allowed: true, attempt: NO_ATTEMPT };
    const now = this.now();
    const userKey = throttleUserKey(user);
    const verdict = this.verdict(userKey, address, now);
    if (!verdict.allowed) return verdict;
    if (this.overUserThreshold(userKey, now) && !this.isTrusted(userKey, address, now)) this.slowed.set(userKey, now);
    const key = pairKey(userKey, address);
    adjust(this.pendingPairs, key, 1);
    adjust(this.pendingUsers, userKey, 1);
    let settled = false;
    const settle = (outcome: () => void) => () => {
      if (settled) return;
      settled = true;
      adjust(this.pendingPairs, key, -1);
      adjust(this.pendingUsers, userKey, -1);
      outcome();
    };
    return {
      allowed: true,
      attempt: {
        failed: settle(() => this.failedKey(userKey, address)),
        succeeded: settle(() => this.succeededKey(userKey, address)),
        released: settle(() => undefined),
      },
    };
  }

  /** The master refused the credentials (counted without an attempt in flight). */
  failed(user: unknown, address: string): void {
    if (this.enabled) this.failedKey(throttleUserKey(user), address);
  }

  /** The master accepted the credentials: the pair's count is cleared and the pair trusted. */
  succeeded(user: unknown, address: string): void {
    if (this.enabled) this.succeededKey(throttleUserKey(user), address);
  }

  private verdict(userKey: string, address: string, now: number): ThrottleVerdict {
    const key = pairKey(userKey, address);
    const pair = this.live(this.pairs.get(key), now);
    if (pair !== undefined && pair.failures >= this.maxFailures) {
      return { allowed: false, reason: 'address', retryAfterSeconds: secondsUntil(pair.start + this.windowMs, now) };
    }
    // Only attempts still in flight fill the pair's allowance: they may all succeed, so ask again soon.
    if ((pair?.failures ?? 0) + (this.pendingPairs.get(key) ?? 0) >= this.maxFailures) {
      return { allowed: false, reason: 'address', retryAfterSeconds: 1 };
    }
    if (!this.overUserThreshold(userKey, now) || this.isTrusted(userKey, address, now)) return { allowed: true };
    const lastSlowAttempt = this.slowed.get(userKey);
    if (lastSlowAttempt !== undefined && now - lastSlowAttempt < SLOW_ATTEMPT_MS) {
      return {
        allowed: false,
        reason: 'user',
        retryAfterSeconds: secondsUntil(lastSlowAttempt + SLOW_ATTEMPT_MS, now),
      };
    }
    return { allowed: true };
  }

  /** Failures of the user within the window, with the attempts in flight, reach the per-user threshold. */
  private overUserThreshold(userKey: string, now: number): boolean {
    const failures = this.live(this.users.get(userKey), now)?.failures ?? 0;
    return failures + (this.pendingUsers.get(userKey) ?? 0) >= this.userThreshold;
  }

  private failedKey(userKey: string, address: string): void {
    const now = this.now();
    const key = pairKey(userKey, address);
    const pair = this.live(this.pairs.get(key), now);
    if (pair === undefined) this.pairs.set(key, { start: now, failures: 1 });
    else pair.failures++;
    const perUser = this.live(this.users.get(userKey), now);
    if (perUser === undefined) this.users.set(userKey, { start: now, failures: 1 });
    else perUser.failures++;
  }

  private succeededKey(userKey: string, address: string): void {
    const key = pairKey(userKey, address);
    this.pairs.delete(key);
    this.trusted.set(key, this.now());
  }

  /** Entries tracked now, for tests and /stats. */
  get trackedKeys(): { pairs: number; users: number; trusted: number; inFlight: number } {
    let inFlight = 0;
    for (const count of this.pendingPairs.values()) inFlight += count;
    return { pairs: this.pairs.size, users: this.users.size, trusted: this.trusted.size, inFlight };
  }

  private live<W extends FailureWindow>(window: W | undefined, now: number): W | undefined {
    return window !== undefined && now - window.start < this.windowMs ? window : undefined;
  }

  private isTrusted(userKey: string, address: string, now: number): boolean {
    const at = this.trusted.get(pairKey(userKey, address));
    return at !== undefined && now - at < this.trustMs;
  }
}

function adjust(counts: Map<string, number>, key: string, by: number): void {
  const count = (counts.get(key) ?? 0) + by;
  if (count > 0) counts.set(key, count);
  else counts.delete(key);
}

function pairKey(userKey: string, address: string): string {
  return `${userKey}\u0000${address}`;
}

function secondsUntil(at: number, now: number): number {
  return Math.max(1, Math.ceil((at - now) / 1000));
}
