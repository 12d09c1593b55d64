import { createHash } from 'node:crypto';
import type { TokenRecord } from '../../salt/clear-commands.js';
import { honouredRecord, noPermission, TOKEN_CHECK_CACHE_MS, type TokenChecker } from './auth.js';
import { HttpError } from '../transport/errors.js';

/** What a Salt token lookup salt-apid would not make is answered with: try again in a second. */
export const TOO_MANY_LOOKUPS = 'Too many checks of unknown tokens; try again later.';

export interface TokenChecksOptions {
  now?: () => number;
  /** Confirmations kept (default 10,000): past it the oldest are forgotten first. */
  maxTokens?: number;
  /** Whether a session here holds the token (SessionStore.holdsToken): such tokens are known. */
  isHeld?: (token: string) => boolean;
  /** Refusals remembered (default 10,000), each for `refusalTtlMs` (default 60 s). */
  maxRefusals?: number;
  refusalTtlMs?: number;
  /** Lookups of unknown tokens at once (default 8) and started per second, in bursts of as many (default 20). */
  maxUnknownInFlight?: number;
  unknownPerSecond?: number;
}

/** Lookups of tokens salt-apid had not seen, since start (for metrics). */
export interface TokenLookupCounts {
  /** Sent to the master (`get_token`). */
  asked: number;
  /** Answered from the refusals remembered, without asking. */
  cachedRefusals: number;
  /** Refused with 503: too many lookups at once or in the last second. */
  limited: number;
}

/** Remembered refusals, keyed by a digest of the token, oldest first (one TTL for all: the front expires first). */
class RefusalCache {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
  ) {}

  has(key: string, now: number): boolean {
    const until = this.until.get(key);
    if (until === undefined) return false;
    if (now < until) return true;
    this.until.delete(key);
    return false;
  }

  add(key: string, now: number): void {
    this.until.delete(key);
    for (const [oldKey, oldUntil] of this.until) {
      if (oldUntil > now && this.until.size < this.maxEntries) break;
      this.until.delete(oldKey);
    }
    this.until.set(key, now + this.ttlMs);
  }

  delete(key: string): void {
    this.until.delete(key);
  }

  get size(): number {
    return this.until.size;
  }
}

function refusalKey(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}

/**
 * The master's word on a Salt token, shared by every stream that presents it (docs/decisions/0020):
 *
 * - a dashboard opening a thousand `/events` or `/ws` connections with one session costs one
 *   `get_token` round trip: concurrent checks of one token share the request in flight, and a
 *   confirmation is trusted for {@link TOKEN_CHECK_CACHE_MS} (never past the token's expiry);
 * - a definite refusal (no such token, or expired) is remembered for a minute, under a digest of
 *   the token: Salt tokens are random, so a refused one never becomes valid. A master that did not
 *   answer leaves nothing behind;
 * - tokens never seen — neither confirmed here before nor held by a session — are looked up at most
 *   `maxUnknownInFlight` at once and `unknownPerSecond` a second; past that, 503 with
 *   `Retry-After: 1`. Random tokens thrown at `/events` thus cost the master a bounded rate of
 *   lookups, while sessions' own tokens are never held back.
 *
 * Every map is bounded: confirmations by `maxTokens` (oldest first), refusals by count and age.
 */
export class TokenChecks {
  private readonly confirmed = new Map<string, { record: TokenRecord; until: number }>();
  private readonly inFlight = new Map<string, Promise<TokenRecord | null>>();
  private readonly refusals: RefusalCache;
  private readonly now: () => number;
  private readonly maxTokens: number;
  private readonly isHeld: (token: string) => boolean;
  private readonly maxUnknownInFlight: number;
  private readonly unknownPerSecond: number;
  private unknownAsking = 0;
  /** Lookups of unknown tokens that may start now (a bucket refilled at `unknownPerSecond`). */
  private allowance: number;
  private allowanceAt: number;
  private readonly counts: TokenLookupCounts = { asked: 0, cachedRefusals: 0, limited: 0 };

  constructor(
    private readonly master: TokenChecker,
    options: TokenChecksOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.maxTokens = options.maxTokens ?? 10_000;
    this.isHeld = options.isHeld ?? (() => false);
    this.refusals = new RefusalCache(options.maxRefusals ?? 10_000, options.refusalTtlMs ?? 60_000);
    this.maxUnknownInFlight = options.maxUnknownInFlight ?? 8;
    this.unknownPerSecond = options.unknownPerSecond ?? 20;
    this.allowance = this.unknownPerSecond;
    this.allowanceAt = this.now();
  }

  /** The record of a token the master honours, or null; 503 when an unknown token cannot be looked up now. */
  async honoured(token: string): Promise<TokenRecord | null> {
    const now = this.now();
    const kept = this.confirmed.get(token);
    if (kept !== undefined) {
      if (now < kept.until) return kept.record;
      // Past the expiry its record gives, the master would refuse it: no need to ask.
      if (now >= kept.record.expire * 1000) {
        this.confirmed.delete(token);
        this.refusals.add(refusalKey(token), now);
        return null;
      }
    }
    const pending = this.inFlight.get(token);
    if (pending !== undefined) return pending;
    const key = refusalKey(token);
    const known = kept !== undefined || this.isHeld(token);
    if (this.refusals.has(key, now)) {
      if (!known) this.counts.cachedRefusals++;
      return null;
    }
    if (!known) this.admitUnknown(now);
    const asking = this.ask(token, key).finally(() => {
      this.inFlight.delete(token);
      if (!known) this.unknownAsking--;
    });
    if (!known) {
      this.unknownAsking++;
      this.counts.asked++;
    }
    this.inFlight.set(token, asking);
    return asking;
  }

  /** {@link honoured}, answering 401 for a token the master does not honour. */
  async require(token: string): Promise<TokenRecord> {
    const record = await this.honoured(token);
    if (record === null) throw noPermission();
    return record;
  }

  /** Takes a record the master has just given (a login's token) as confirmed. */
  confirm(record: TokenRecord): void {
    this.refusals.delete(refusalKey(record.token));
    this.keep(record);
  }

  get size(): number {
    return this.confirmed.size;
  }

  /** Refusals remembered now. */
  get refusalsKept(): number {
    return this.refusals.size;
  }

  lookups(): Readonly<TokenLookupCounts> {
    return { ...this.counts };
  }

  /** Takes a place for a lookup of an unknown token, or refuses it with 503. */
  private admitUnknown(now: number): void {
    const elapsed = Math.max(0, now - this.allowanceAt);
    this.allowance = Math.min(this.unknownPerSecond, this.allowance + (elapsed * this.unknownPerSecond) / 1000);
    this.allowanceAt = now;
    if (this.unknownAsking < this.maxUnknownInFlight && this.allowance >= 1) {
      this.allowance--;
      return;
    }
    this.counts.limited++;
    throw new HttpError(503, TOO_MANY_LOOKUPS, { headers: { 'Retry-After': '1' } });
  }

  private async ask(token: string, key: string): Promise<TokenRecord | null> {
    // Throws, remembering nothing, when the master is unavailable or does not answer.
    const record = await honouredRecord(this.master, token, this.now);
    if (record !== null) {
      this.keep(record);
    } else {
      this.confirmed.delete(token);
      this.refusals.add(key, this.now());
    }
    return record;
  }

  private keep(record: TokenRecord): void {
    this.confirmed.delete(record.token);
    if (this.confirmed.size >= this.maxTokens) {
      const oldest = this.confirmed.keys().next();
      if (oldest.done !== true) this.confirmed.delete(oldest.value);
    }
    const until = Math.min(this.now() + TOKEN_CHECK_CACHE_MS, record.expire * 1000);
    this.confirmed.set(record.token, { record, until });
  }
}
