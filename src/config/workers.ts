import type { Settings } from './types.js';

/** The master cache drivers whose sessions `session_store: cache` shares (those saltCacheOf in server.ts opens). */
export const SESSION_CACHE_DRIVERS: readonly string[] = ['localfs', 'redis', 'redis_cache'];

/**
 * Why `workers: N` (N above 1) cannot run this configuration, if it cannot: each worker would start
 * its own demo master, or the workers would not share their sessions. The start refuses it (exit 2),
 * and so does `--check-config`.
 */
export function workersRefusal(demo: boolean, settings: Settings): string | undefined {
  if (settings.rest.workers <= 1) return undefined;
  if (demo) return 'workers cannot be used with --demo: each worker would start its own demo master';
  if (settings.rest.sessionStore !== 'cache' || !['localfs', 'redis'].includes(settings.master.cacheDriver)) {
    return (
      `workers: ${settings.rest.workers} needs session_store: cache (with the localfs or redis cache), so that every ` +
      'worker knows every session'
    );
  }
  return undefined;
}
