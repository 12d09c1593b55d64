/**
 * Log level names: pino's, and Salt's (`salt._logging.LOG_LEVELS`), for `-l`, `--log-file-level`
 * and the master options `log_level` / `log_level_logfile`.
 */
import { ownValue } from '../dict.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

const LOG_LEVELS: Record<string, LogLevel> = {
  fatal: 'fatal',
  critical: 'fatal',
  error: 'error',
  warn: 'warn',
  warning: 'warn',
  info: 'info',
  debug: 'debug',
  profile: 'debug',
  trace: 'trace',
  garbage: 'trace',
  all: 'trace',
  silent: 'silent',
  quiet: 'silent',
};

/**
 * Python's numeric levels, which Salt's config also accepts (`logging.WARNING` is 30): a record
 * passes when its number is at least the level's, so a number stands for the first of these at or
 * above it (25 lets warnings through, not info).
 */
const NUMERIC_LEVELS: ReadonlyArray<[number, LogLevel]> = [
  [5, 'trace'],
  [15, 'debug'],
  [20, 'info'],
  [30, 'warn'],
  [40, 'error'],
  [50, 'fatal'],
];

/** The level a name stands for (any case), or undefined for a name Salt does not know either. */
export function logLevelOf(name: string): LogLevel | undefined {
  return ownValue(LOG_LEVELS, name.toLowerCase());
}

/** A config value: a level name, or Python's level number (above critical's 50: nothing is logged). */
export function configLogLevel(value: string | number): LogLevel | undefined {
  if (typeof value === 'string') return logLevelOf(value);
  if (Number.isNaN(value)) return undefined;
  return NUMERIC_LEVELS.find(([threshold]) => value <= threshold)?.[1] ?? 'silent';
}
