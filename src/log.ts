import { closeSync, openSync } from 'node:fs';
import pino, { type Level, type Logger, type LevelWithSilent, type StreamEntry } from 'pino';

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

/** Where a log line can go: a stream, or a log file that can be reopened. */
export interface LineSink {
  write(line: string): unknown;
}

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Destination stream; stdout when absent. */
  destination?: NodeJS.WritableStream;
  /** Also receives the error-level (and above) lines: `log_error_file`. */
  errorDestination?: LineSink;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const config = {
    level,
    base: { service: 'salt-apid' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (options.errorDestination) {
    // The logger must let error lines through even when the main log is quieter than that.
    const quieter = pino.levels.values[level] ?? Infinity;
    const loggerLevel: Level = quieter < pino.levels.values.error! ? (level as Level) : 'error';
    const streams: StreamEntry[] = [{ level: 'error', stream: options.errorDestination }];
    if (level !== 'silent') streams.unshift({ level, stream: options.destination ?? pino.destination(1) });
    return pino({ ...config, level: loggerLevel }, pino.multistream(streams));
  }
  return options.destination ? pino(config, options.destination) : pino(config);
}

/** A log file given by an option that cannot be opened for appending. */
export class LogFileError extends Error {
  constructor(
    readonly path: string,
    readonly option: string,
    cause: unknown,
  ) {
    const code = (cause as { code?: unknown }).code;
    const reason = typeof code === 'string' ? code : cause instanceof Error ? cause.message : String(cause);
    super(`cannot open ${option} ${path}: ${reason}`, { cause });
    this.name = 'LogFileError';
  }
}

/** Throws LogFileError when `path` cannot be opened for appending (created when missing). */
export function checkLogFile(path: string, option: string): void {
  try {
    closeSync(openSync(path, 'a'));
  } catch (err) {
    throw new LogFileError(path, option, err);
  }
}

/**
 * `log_error_file`: an append-mode file for pino, reopened on SIGHUP (logrotate moves the file
 * away, salt-apid then writes to a fresh one). Lines after close() are dropped, never thrown.
 */
export class ErrorLogFile implements LineSink {
  private readonly sonic: ReturnType<typeof pino.destination>;
  private closed = false;

  constructor(
    readonly path: string,
    onError: (err: Error) => void = () => {},
  ) {
    checkLogFile(path, 'log_error_file');
    this.sonic = pino.destination({ dest: path, append: true, sync: false });
    this.sonic.on('error', onError);
  }

  write(line: string): boolean {
    if (this.closed) return false;
    return this.sonic.write(line);
  }

  reopen(): void {
    if (!this.closed) this.sonic.reopen();
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => {
      this.sonic.once('close', () => resolve());
      this.sonic.once('error', () => resolve());
      this.sonic.end();
    });
  }
}
