import { HttpError } from '../transport/errors.js';
import { SESSION_LIFETIME_SECONDS, type Session, type SharedSessionBackend } from './sessions.js';
import type { CacheHealth, SaltCache } from '../../salt/cache/salt-cache.js';
import { Float64, isSaltMap, SaltExt } from '../../salt/codec/values.js';

/**
 * `session_store: cache`: sessions kept where salt-api keeps them, in the master's Salt cache
 * (bank `netapi/session`, localfs under `cachedir` or Redis), in salt-api's own format (docs/shared-sessions.md),
 * so that every salt-apid and salt-api of the master accept a session any of them created, and a
 * logout on one ends it for all.
 *
 * A cache that fails (Redis down: its driver fails fast, see circuit.ts) fails the request as it
 * fails salt-api's: `SaltCacheSession` raises inside CherryPy's session tool, before any handler,
 * and CherryPy answers with its 500 error page (a traceback only with `debug`).
 */

export const SESSION_BANK = 'netapi/session';

/** CherryPy's answer to an exception in its session tool: the stock 500 page. */
async function asCherryPyError<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (cause) {
    throw new HttpError(500, undefined, { cause });
  }
}

export class CacheSessionBackend implements SharedSessionBackend {
  constructor(
    private readonly cache: SaltCache,
    private readonly now: () => number = Date.now,
  ) {}

  async save(session: Session): Promise<void> {
    const { token } = session;
    // CherryPy's session: the Salt token and its lifetime in minutes (a Python float), with the
    // session's expiry as a naive local datetime.
    const value = {
      data: { token: token.token, timeout: new Float64((token.expire - token.start) / 60) },
      expiration: SaltExt.datetime(new Date(this.now() + SESSION_LIFETIME_SECONDS * 1000)),
    };
    await asCherryPyError(this.cache.store(SESSION_BANK, session.id, value, SESSION_LIFETIME_SECONDS));
  }

  async tokenOf(id: string): Promise<string | undefined> {
    const stored = await asCherryPyError(this.cache.fetch(SESSION_BANK, id));
    if (!isSaltMap(stored) || !isSaltMap(stored['data'])) return undefined;
    const token = stored['data']['token'];
    return typeof token === 'string' ? token : undefined;
  }

  async remove(id: string): Promise<void> {
    await asCherryPyError(this.cache.flush(SESSION_BANK, id));
  }

  /** The cache server's health (Redis); undefined for localfs. */
  get health(): CacheHealth | undefined {
    return this.cache.health;
  }

  async close(): Promise<void> {
    await this.cache.close?.();
  }

  async sweep(): Promise<number> {
    let flushed = 0;
    for (const id of await this.cache.list(SESSION_BANK)) {
      if ((await this.cache.fetch(SESSION_BANK, id)) === undefined && (await this.cache.flush(SESSION_BANK, id))) {
        flushed++;
      }
    }
    return flushed;
  }
}
