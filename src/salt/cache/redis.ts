import type { createClient } from 'redis';
import type { MasterSettings } from '../../config/types.js';
import { pack } from '../codec/pack.js';
import { unpack } from '../codec/unpack.js';
import type { SaltValue } from '../codec/values.js';
import { unwrapExpiry, wrapExpiry, type SaltCache } from './salt-cache.js';

/**
 * Salt's `redis` cache driver (`salt/cache/redis_cache.py`) through node-redis, in its layout:
 * a bank is the hash `<keys_prefix><sep><bank>/` (field: the key, value: `salt.payload.dumps`),
 * with the store time in the hash `<timestamp_prefix><sep><bank>/` and the bank listed in the
 * sorted set `<banks_prefix><sep>`. The driver has no expiry of its own, so `Cache.store`'s
 * `{"data", "_expires"}` envelope applies, as with localfs.
 */

/** `cache.redis.*` as the master config gives them (host, port, socket, db, password, key layout). */
export type RedisCacheOptions = MasterSettings['redisCache'];

type Client = ReturnType<typeof createClient>;

export class RedisCache implements SaltCache {
  private client: Promise<Client> | undefined;

  constructor(
    private readonly options: RedisCacheOptions,
    private readonly now: () => number = Date.now,
  ) {}

  private connect(): Promise<Client> {
    this.client ??= (async () => {
      const { options } = this;
      // Loaded on first use: a salt-apid without a Redis cache never pays for the client.
      const { createClient } = await import('redis');
      const client = createClient({
        socket:
          options.unixSocketPath !== undefined
            ? { path: options.unixSocketPath, tls: false }
            : { host: options.host, port: options.port, tls: false },
        database: options.db,
        ...(options.password !== undefined && options.password !== '' && { password: options.password }),
      });
      client.on('error', () => undefined); // reconnects by itself; each command reports its own failure
      await client.connect();
      return client;
    })();
    return this.client;
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
    const client = await this.connect();
    const { bankKey, timestampKey, banksKey } = this.keys(bank);
    const value = pack(wrapExpiry(data, expiresSeconds, this.now), { useBinType: true });
    const stamp = pack(Math.trunc(this.now() / 1000), { useBinType: true });
    await client
      .multi()
      .zAdd(banksKey, { score: 0, value: bankKey })
      .hSet(bankKey, key, value)
      .hSet(timestampKey, key, stamp)
      .exec();
  }

  async fetch(bank: string, key: string): Promise<SaltValue | undefined> {
    const client = await this.connect();
    const { RESP_TYPES } = await import('redis');
    const raw = await client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).hGet(this.keys(bank).bankKey, key);
    if (raw === null || raw === undefined) return undefined;
    try {
      return unwrapExpiry(unpack(raw), this.now);
    } catch {
      return undefined;
    }
  }

  async flush(bank: string, key: string): Promise<boolean> {
    const client = await this.connect();
    const { bankKey, timestampKey, banksKey } = this.keys(bank);
    const [removed, , exists] = await client.multi().hDel(bankKey, key).hDel(timestampKey, key).exists(bankKey).exec();
    if (Number(exists) === 0) await client.zRem(banksKey, bankKey);
    return Number(removed) > 0;
  }

  async list(bank: string): Promise<string[]> {
    const client = await this.connect();
    return client.hKeys(this.keys(bank).bankKey);
  }

  async close(): Promise<void> {
    const client = await this.client;
    this.client = undefined;
    await client?.close();
  }
}
