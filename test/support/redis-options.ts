import type { RedisCacheOptions } from '../../src/salt/cache/redis.js';

/** The Redis cache driver's options for a server on 127.0.0.1:`port`, with salt/cache/redis_cache.py's defaults. */
export function redisAt(port: number): RedisCacheOptions {
  return {
    host: '127.0.0.1',
    port,
    unixSocketPath: undefined,
    db: 0,
    password: undefined,
    separator: '_',
    banksPrefix: '$BANKS',
    keysPrefix: '$KEYS',
    timestampPrefix: '$TSTAMP',
  };
}
