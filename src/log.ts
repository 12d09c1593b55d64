import pino, { type Logger, type LevelWithSilent } from 'pino';

/**
 * The process logger: pino JSON on stdout. Secrets never reach it: any field named like a
 * password or token, and the request headers that carry them, are censored wherever they appear.
 */
export const REDACTED_PATHS = [
  'password',
  'token',
  '*.password',
  '*.token',
  '*.*.password',
  '*.*.token',
  'req.headers["x-auth-token"]',
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["x-auth-token"]',
  'res.headers["set-cookie"]',
];

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Destination stream; stdout when absent. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const config = {
    level: options.level ?? 'info',
    base: { service: 'salt-apid' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}
