import type { Logger } from 'pino';
import type { createClient } from 'redis';
import type { MasterSettings } from '../../config/types.js';
import { pack } from '../codec/pack.js';
import { unpack } from '../codec/unpack.js';
import type { SaltValue } from '../codec/values.js';
import { Circuit, type CacheVerdict, type CircuitStatus, type CircuitTimers, type Opening } from './circuit.js';
import { unwrapExpiry, wrapExpiry, type CacheHealth, type SaltCache } from './salt-cache.js';
import { errorMessage } from '../../error-fields.js';

/**
 * Salt's `redis` cache driver (`salt/cache/redis_cache.py`) through node-redis, in its layout:
 * a bank is the hash `<keys_prefix><sep><bank>/` (field: the key, value: `salt.payload.dumps`),
 * with the store time in the hash `<timestamp_prefix><sep><bank>/` and the bank listed in the
 * sorted set `<banks_prefix><sep>`. The driver has no expiry of its own, so `Cache.store`'s
 * `{"data", "_expires"}` envelope applies, as with localfs.
 *
 * Every command goes through a {@link Circuit}: a Redis that is down, unreachable or silent fails
 * each operation within `timeoutMs` (at once while it is known to be down) instead of queueing it
 * until Redis comes back, and a new connection is tried every `retryMs` in the background
 * (docs/decisions/0021-session-cache-outage.md). node-redis itself neither queues commands while
 * offline nor reconnects: the circuit does.
 */

/** `cache.redis.*` as the master config gives them (host, port, socket, db, password, key layout). */
export type RedisCacheOptions = MasterSettings['redisCache'];

/** How long connecting and each command may take (`session_store_timeout`), and the retry pace. */
export const DEFAULT_REDIS_TIMEOUT_MS = 2_000;
export const DEFAULT_REDIS_RETRY_MS = 1_000;

export interface RedisCacheTuning {
  /** ms a connection (with its first PING) may take; default `DEFAULT_REDIS_TIMEOUT_MS`. */
  connectMs?: number;
  /** ms a command may wait for its answer; default `DEFAULT_REDIS_TIMEOUT_MS`. */
  commandMs?: number;
  /** ms between reconnection attempts while Redis is down; default `DEFAULT_REDIS_RETRY_MS`. */
  retryMs?: number;
  timers?: CircuitTimers;
  /** Where the outage and the recovery are logged (once each). */
  logger?: Logger;
}

type RedisModule = typeof import('redis');
type Client = ReturnType<typeof createClient>;

export class RedisCache implements SaltCache {
  readonly health: CacheHealth;
  private module: Promise<RedisModule> | undefined;
  private loaded: RedisModule | undefined;
  private readonly circuit: Circuit<Client>;

  constructor(
    private readonly options: RedisCacheOptions,
    private readonly now: () => number = Date.now,
    tuning: RedisCacheTuning = {},
  ) {
    const connectMs = tuning.connectMs ?? DEFAULT_REDIS_TIMEOUT_MS;
    const where = options.unixSocketPath ?? `${options.host}:${options.port}`;
    const { logger } = tuning;
    this.circuit = new Circuit<Client>(
      {
        open: (lost) => this.open(connectMs, lost),
        drop: (client) => {
          try {
            client.destroy();
          } catch {
            // already closed by its own failure
          }
        },
        ping: (client) => client.ping(),
        answered: (error) => this.loaded !== undefined && error instanceof this.loaded.ErrorReply,
      },
      {
        connectMs,
        commandMs: tuning.commandMs ?? DEFAULT_REDIS_TIMEOUT_MS,
        retryMs: tuning.retryMs ?? DEFAULT_REDIS_RETRY_MS,
        ...(tuning.timers && { timers: tuning.timers }),
        onChange: (up, reason) => {
          if (up) logger?.info({ redis: where }, 'the Redis cache answers again');
          else logger?.error({ redis: where, reason }, 'the Redis cache does not answer: its operations fail at once');
        },
      },
    );
    const { circuit } = this;
    this.health = {
      driver: 'redis',
      check: (): Promise<CacheVerdict> => circuit.check(),
      status: (): CircuitStatus => circuit.status(),
    };
  }

  private async open(connectMs: number, lost: (reason: string) => void): Promise<Opening<Client>> {
    // Loaded on first use: a salt-apid without a Redis cache never pays for the client.
    const redis = await (this.module ??= import('redis'));
    this.loaded = redis;
    const { options } = this;
    const socket = { connectTimeout: connectMs, reconnectStrategy: false as const, tls: false as const };
    const client = redis.createClient({
      socket:
        options.unixSocketPath !== undefined
          ? { ...socket, path: options.unixSocketPath }
          : { ...socket, host: options.host, port: options.port },
      database: options.db,
      // A command sent while the connection is down fails at once instead of waiting for it.
      disableOfflineQueue: true,
      ...(options.password !== undefined && options.password !== '' && { password: options.password }),
    });
    client.on('error', (error: unknown) => lost(errorMessage(error)));
    return { connection: client, ready: client.connect() };
  }

  private keys(bank: string): { bankKey: string; timestampKey: string; banksKey: string } {
    const { separator, keysPrefix, timestampPrefix, banksPrefix } = this.options;
    const name = `${bank.replace(/\/+$/, '')}/`;
    return {
      bankKey: `${keysPrefix}${separator}${name}`,
      timestampKey: `${timestampPrefix}${separator}${name}`,
      banksKey: `${banksPrefix}${separator}`,
    };
  }

  async store(bank: string, key: string, data: SaltValue, expiresSeconds?: number): Promise<void> {
    const { bankKey, timestampKey, banksKey } = this.keys(bank);
    const value = pack(wrapExpiry(data, expiresSeconds, this.now), { useBinType: true });
    const stamp = pack(Math.trunc(this.now() / 1000), { useBinType: true });
    await this.circuit.run((client) =>
      client
        .multi()
        .zAdd(banksKey, { score: 0, value: bankKey })
        .hSet(bankKey, key, value)
        .hSet(timestampKey, key, stamp)
        .exec(),
    );
  }

  async fetch(bank: string, key: string): Promise<SaltValue | undefined> {
    const { bankKey } = this.keys(bank);
    const raw = await this.circuit.run((client) =>
      client.withTypeMapping({ [this.loadedModule().RESP_TYPES.BLOB_STRING]: Buffer }).hGet(bankKey, key),
    );
    if (raw === null || raw === undefined) return undefined;
    try {
      return unwrapExpiry(unpack(raw), this.now);
    } catch {
      return undefined;
    }
  }

  async flush(bank: string, key: string): Promise<boolean> {
    const { bankKey, timestampKey, banksKey } = this.keys(bank);
    return this.circuit.run(async (client) => {
      const [removed, , exists] = await client
        .multi()
        .hDel(bankKey, key)
        .hDel(timestampKey, key)
        .exists(bankKey)
        .exec();
      if (Number(exists) === 0) await client.zRem(banksKey, bankKey);
      return Number(removed) > 0;
    });
  }

  async list(bank: string): Promise<string[]> {
    const { bankKey } = this.keys(bank);
    return this.circuit.run((client) => client.hKeys(bankKey));
  }

  async close(): Promise<void> {
    this.circuit.close();
  }

  /** The redis module, loaded by the time any command runs (a connection needs it). */
  private loadedModule(): RedisModule {
    if (this.loaded === undefined) throw new Error('the redis module is not loaded');
    return this.loaded;
  }
}
