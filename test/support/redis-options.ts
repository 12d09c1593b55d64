import type { RedisCacheOptions } from '../../src/salt/cache/redis.js';
import { testSettings } from './settings.js';

/** Redis cache options for a server on 127.0.0.1:`port`; the rest are the loader's defaults (redis_cache.py's). */
export function redisAt(port: number): RedisCacheOptions {
  return { ...testSettings().master.redisCache, host: '127.0.0.1', port };
}
