import { closeSync, openSync, statSync } from 'node:fs';
import pino, { type Level, type Logger, type LevelWithSilent, type StreamEntry } from 'pino';
import { TextLines, type TextLogFormat } from './log-text.js';
import { errorCode, errorReason } from './error-fields.js';

/**
 * The process logger: pino JSON on stdout, or text lines where a Salt log format is set
 * (log-text.ts). Secrets never reach it: any field named like a
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
  /** Lines it had to drop (a LogFile bounded by `maxPendingBytes`), where it counts them. */
  readonly dropped?: number;
}

/** A file that gets the log's lines from `level` up: `api_logfile`, `log_error_file`. */
export interface FileOutput {
  level: LevelWithSilent;
  sink: LineSink;
  /** Text lines in this format instead of JSON (`log_fmt_logfile`). */
  format?: TextLogFormat | undefined;
}

export interface LoggerOptions {
  /** Level of the main log (stdout or `destination`); info when absent. */
  level?: LevelWithSilent;
  /** Destination stream; stdout when absent. */
  destination?: NodeJS.WritableStream;
  /** Text lines in this format on the main log instead of JSON (`log_fmt_console`). */
  format?: TextLogFormat | undefined;
  /** Also receive the same lines, each from its own level. */
  files?: readonly FileOutput[];
  /** Each line says which process wrote it: the processes of `workers: N` share their outputs. */
  pid?: boolean;
}

const levelValue = (level: LevelWithSilent): number => pino.levels.values[level] ?? Infinity;

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const config = {
    level,
    base: { service: 'salt-apid', ...(options.pid === true && { pid: process.pid }) },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  const files = (options.files ?? []).filter((file) => file.level !== 'silent');
  const main = (): LineSink => textOrJson(options.destination ?? pino.destination(1), options.format);
  if (files.length === 0) {
    if (options.format) return pino(config, main());
    return options.destination ? pino(config, options.destination) : pino(config);
  }
  const outputs: Array<{ level: Level; stream: LineSink }> = files.map((file) => ({
    level: file.level as Level,
    stream: textOrJson(file.sink, file.format),
  }));
  if (level !== 'silent') outputs.unshift({ level, stream: main() });
  // The logger lets through what the most talkative output wants; each output then takes its own.
  const loggerLevel = outputs.reduce<LevelWithSilent>(
    (lowest, output) => (levelValue(output.level) < levelValue(lowest) ? output.level : lowest),
    'silent',
  );
  const streams: StreamEntry[] = outputs;
  return pino({ ...config, level: loggerLevel }, pino.multistream(streams));
}

function textOrJson(sink: LineSink, format: TextLogFormat | undefined): LineSink {
  return format ? new TextLines(sink, format) : sink;
}

/** A log file given by an option that cannot be opened for appending. */
export class LogFileError extends Error {
  /** The system's error code (ENOENT, EACCES…), when the cause has one. */
  readonly code: string | undefined;

  constructor(
    readonly path: string,
    readonly option: string,
    cause: unknown,
  ) {
    super(`cannot open ${option} ${path}: ${errorReason(cause)}`, { cause });
    this.name = 'LogFileError';
    this.code = errorCode(cause);
  }
}

/** Throws LogFileError when `path` cannot be opened for appending (created when missing, with `mode`). */
export function checkLogFile(path: string, option: string, mode = DEFAULT_LOG_MODE): void {
  try {
    closeSync(openSync(path, 'a', mode));
  } catch (err) {
    throw new LogFileError(path, option, err);
  }
}

/**
 * How long a log file trusts that its path still names the file it writes. Python's WatchedFileHandler,
 * salt-api's, checks before every line; checking at most this often keeps the cost off busy logs.
 */
export const LOG_FILE_WATCH_MS = 100;

/** The permissions a log file is created with (less the umask): salt-api's own. */
export const DEFAULT_LOG_MODE = 0o644;

export interface LogFileOptions {
  /** Permissions a missing file is created with (less the umask); {@link DEFAULT_LOG_MODE} unless said. */
  mode?: number;
  /** Told when the file fails and writes again, and when lines start being dropped. */
  onProblem?: (message: string, err?: Error) => void;
  now?: () => number;
  /**
   * Lines waiting for the disk beyond this many bytes are dropped and counted (the access log: a
   * request never waits for the disk); without it, nothing is dropped.
   */
  maxPendingBytes?: number;
  /** What the messages call the file: `log file` unless said. */
  name?: string;
}

/**
 * A log file (`api_logfile`, `log_error_file`, `log_access_file`): append mode behind pino's
 * asynchronous writer, reopened on SIGHUP (logrotate moves the file away, salt-apid then writes to a
 * fresh one; when the path cannot be opened the current file is kept). Like salt-api's
 * WatchedFileHandler it also notices by itself that the path names another file, or none (Salt's own
 * logrotate rule for /var/log/salt/api sends no signal), and reopens before the next line. Several
 * processes may append to one file (the workers of `workers: N`): every line is one write to an
 * O_APPEND descriptor. A failing file is reported once until it writes again; a failed write is
 * retried with the next line. With `maxPendingBytes`, lines that would take the writer's buffer past
 * it are dropped and counted, reported when dropping starts and when it stops. Lines after close()
 * are dropped, never thrown.
 */
export class LogFile implements LineSink {
  private readonly sonic: ReturnType<typeof pino.destination>;
  private readonly onProblem: (message: string, err?: Error) => void;
  private readonly now: () => number;
  private readonly bounded: boolean;
  private readonly name: string;
  private readonly mode: number;
  private closed = false;
  private failing = false;
  private dropping = false;
  private droppedLines = 0;
  private pending = 0;
  /** The device and inode the path named when the file was (re)opened. */
  private identity: string | undefined;
  /** Settles once the writer's last reopen is done (its new file open, or failed to open). */
  private reopened: Promise<void> = Promise.resolve();
  private checkedAt: number;

  /** Throws LogFileError, naming `option`, when `path` cannot be opened for appending. */
  constructor(
    readonly path: string,
    option: string,
    options: LogFileOptions = {},
  ) {
    this.mode = options.mode ?? DEFAULT_LOG_MODE;
    checkLogFile(path, option, this.mode);
    this.onProblem = options.onProblem ?? (() => {});
    this.now = options.now ?? Date.now;
    this.name = options.name ?? 'log file';
    this.bounded = options.maxPendingBytes !== undefined;
    this.identity = this.pathIdentity();
    this.checkedAt = this.now();
    this.sonic = pino.destination({
      dest: path,
      append: true,
      mode: this.mode,
      sync: false,
      ...(options.maxPendingBytes !== undefined && { maxLength: options.maxPendingBytes }),
    });
    this.sonic.on('drop', () => this.onDrop());
    this.sonic.on('error', (err: Error) => this.onError(err));
    this.sonic.on('write', (bytes: number) => this.onWritten(bytes));
  }

  /** Lines dropped so far (the file was slow or failing). */
  get dropped(): number {
    return this.droppedLines;
  }

  /** Bytes accepted and not yet on disk (counted with `maxPendingBytes`, which they never pass). */
  get pendingBytes(): number {
    return this.pending;
  }

  /** Writes one line (its newline included); false when it was not taken. */
  write(line: string): boolean {
    if (this.closed) return false;
    this.followRotation();
    const droppedBefore = this.droppedLines;
    const taken = this.sonic.write(line);
    if (!this.bounded) return taken;
    if (this.droppedLines !== droppedBefore) return false;
    this.pending += Buffer.byteLength(line);
    if (this.dropping) {
      this.dropping = false;
      this.onProblem(`${this.path}: ${this.name} writing again (${this.droppedLines} lines dropped so far)`);
    }
    return taken;
  }

  reopen(): void {
    if (this.closed) return;
    try {
      closeSync(openSync(this.path, 'a', this.mode));
    } catch (err) {
      this.onProblem(
        `${this.path}: cannot reopen the ${this.name}`,
        err instanceof Error ? err : new Error(String(err)),
      );
      // Reported once: the next rotation, or a SIGHUP, tries again.
      this.identity = this.pathIdentity();
      return;
    }
    this.identity = this.pathIdentity();
    this.reopened = this.nextOpen();
    this.sonic.reopen();
  }

  /**
   * Writes what is buffered, then closes the file. After a reopen, once the new file is open: the
   * writer defers a reopen asked for while a write is under way until that write is done, and an
   * end() asked for meanwhile would make it drop the reopen, the lines after it and its close.
   */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return this.reopened.then(
      () =>
        new Promise((resolve) => {
          this.sonic.once('close', () => resolve());
          // A file that cannot be written any more is given up rather than waited for.
          this.sonic.once('error', () => resolve());
          this.sonic.end();
        }),
    );
  }

  /** Settles at the writer's next `ready` (a file opened) or `error` (it could not be). */
  private nextOpen(): Promise<void> {
    return new Promise((resolve) => {
      const settle = (): void => {
        this.sonic.off('ready', settle);
        this.sonic.off('error', settle);
        resolve();
      };
      this.sonic.on('ready', settle);
      this.sonic.on('error', settle);
    });
  }

  private pathIdentity(): string | undefined {
    try {
      const stat = statSync(this.path, { throwIfNoEntry: false });
      return stat && `${stat.dev}:${stat.ino}`;
    } catch {
      return undefined;
    }
  }

  /** Reopens when the path no longer names the file being written (moved away, or replaced). */
  private followRotation(): void {
    const now = this.now();
    if (now - this.checkedAt < LOG_FILE_WATCH_MS) return;
    this.checkedAt = now;
    if (this.pathIdentity() !== this.identity) this.reopen();
  }

  private onDrop(): void {
    this.droppedLines++;
    if (!this.dropping && !this.failing) this.onProblem(`${this.path}: ${this.name} cannot keep up, dropping lines`);
    this.dropping = true;
  }

  private onError(err: Error): void {
    if (this.failing) return;
    this.failing = true;
    this.onProblem(`${this.path}: ${this.name} write failed, retrying with the next line`, err);
  }

  private onWritten(bytes: number): void {
    if (this.bounded) this.pending = Math.max(0, this.pending - bytes);
    if (!this.failing) return;
    this.failing = false;
    this.onProblem(`${this.path}: ${this.name} writing again`);
  }
}
