import type { TokenRecord } from '../salt/clear-commands.js';
import { honouredRecord, noPermission, TOKEN_CHECK_CACHE_MS, type TokenChecker } from './auth.js';

/**
 * The master's word on a Salt token, shared by every stream that presents it: a dashboard opening
 * a thousand `/events` or `/ws` connections with one session costs one `get_token` round trip,
 * not a thousand. Concurrent checks of one token share the request in flight; a confirmation is
 * trusted for {@link TOKEN_CHECK_CACHE_MS} (never past the token's expiry); a refusal is not kept,
 * so a token the master starts honouring again works at once. Bounded: past `maxTokens` the oldest
 * confirmations are forgotten first.
 */
export class TokenChecks {
  private readonly confirmed = new Map<string, { record: TokenRecord; until: number }>();
  private readonly inFlight = new Map<string, Promise<TokenRecord | null>>();

  constructor(
    private readonly master: TokenChecker,
    private readonly now: () => number = Date.now,
    private readonly maxTokens = 10_000,
  ) {}

  /** The record of a token the master honours, or null. */
  async honoured(token: string): Promise<TokenRecord | null> {
    const kept = this.confirmed.get(token);
    if (kept !== undefined) {
      if (this.now() < kept.until) return kept.record;
      this.confirmed.delete(token);
    }
    let pending = this.inFlight.get(token);
    if (pending === undefined) {
      pending = this.ask(token).finally(() => this.inFlight.delete(token));
      this.inFlight.set(token, pending);
    }
    return pending;
  }

  /** {@link honoured}, answering 401 for a token the master does not honour. */
  async require(token: string): Promise<TokenRecord> {
    const record = await this.honoured(token);
    if (record === null) throw noPermission();
    return record;
  }

  /** Takes a record the master has just given (a login's token) as confirmed. */
  confirm(record: TokenRecord): void {
    this.keep(record);
  }

  get size(): number {
    return this.confirmed.size;
  }

  private async ask(token: string): Promise<TokenRecord | null> {
    const record = await honouredRecord(this.master, token, this.now);
    if (record !== null) this.keep(record);
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
