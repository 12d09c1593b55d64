/**
 * Where a salt-apid process logs: standard output at `log_level` (`-l` wins; info by default), the
 * log file `api_logfile` (`--log-file`) at `log_level_logfile` (`--log-file-level`; Salt's default
 * warning), `log_error_file` at error, the access lines to `log_access_file` and the audit records
 * to `log_audit_file`. Standard output and the log file write JSON lines, or text where
 * `log_fmt_console` / `log_fmt_logfile` is set.
 *
 * The log file is optional, as in Salt: when it cannot be opened, one warning says so on standard
 * output and salt-apid goes on without it. `log_error_file`, `log_access_file` and `log_audit_file`
 * are salt-apid's promise to the operator: one that cannot be opened stops the start (LogFileError,
 * exit 2).
 */
import type { Logger } from 'pino';
import type { CliArgs } from './config/cli-args.js';
import type { LogLevel } from './config/log-level.js';
import type { MasterSettings, Settings } from './config/types.js';
import { ACCESS_LOG_MAX_PENDING_BYTES } from './http/stats/access-log.js';
import { AUDIT_LOG_MAX_PENDING_BYTES } from './http/audit/audit-trail.js';
import { checkLogFile, createLogger, DEFAULT_LOG_MODE, LogFile, LogFileError, type FileOutput } from './log.js';
import { TextLogFormat, type TextLogSpec } from './log-text.js';

export interface LogOutputs {
  logger: Logger;
  apiFile: LogFile | undefined;
  errorFile: LogFile | undefined;
  accessFile: LogFile | undefined;
  auditFile: LogFile | undefined;
}

/** The level of standard output. */
export function consoleLevel(args: Pick<CliArgs, 'logLevel'>, master: MasterSettings): LogLevel {
  return args.logLevel ?? master.logLevel ?? 'info';
}

/**
 * The log file and its level; none at level quiet, and none with `--demo` unless one is named
 * (`--log-file`, or `api_logfile` in the config): a try-out writes nothing to /var/log.
 */
export function apiLogTarget(
  args: Pick<CliArgs, 'demo' | 'logFile' | 'logFileLevel'>,
  master: MasterSettings,
): { path: string; level: LogLevel } | undefined {
  const path = args.logFile ?? (args.demo && !master.apiLogfileSet ? undefined : master.apiLogfile);
  const level = args.logFileLevel ?? master.logLevelLogfile;
  return path === undefined || level === 'silent' ? undefined : { path, level };
}

/**
 * `primary`: the supervisor of `workers: N`, which serves nothing: its `log_access_file` and
 * `log_audit_file` are only checked (each worker appends to them). `worker`: its primary already
 * warned about a log file that cannot be opened.
 */
export type ProcessRole = 'single' | 'primary' | 'worker';

export interface OpenLogOptions {
  /** The log stream; stdout when absent. */
  destination?: NodeJS.WritableStream | undefined;
  role: ProcessRole;
}

/** Opens the log files; rejects with LogFileError for `log_error_file`, `log_access_file` and `log_audit_file`. */
export async function openLogOutputs(settings: Settings, args: CliArgs, options: OpenLogOptions): Promise<LogOutputs> {
  const level = consoleLevel(args, settings.master);
  // The processes of `workers: N` share standard output and the files: each line names its writer.
  const { logText } = settings.master;
  const common = {
    level,
    ...(options.destination && { destination: options.destination }),
    format: textFormat(logText.console),
    pid: options.role !== 'single',
  };
  let logger = createLogger(common);
  // Reads `logger` when called: once the files are open, problems go to them too.
  const report = (message: string, err?: Error): void => logger.warn({ ...(err && { err }) }, message);
  const files: FileOutput[] = [];
  const target = apiLogTarget(args, settings.master);
  const apiFile = target && openApiLog(target.path, report, options.role === 'worker' ? undefined : logger);
  if (apiFile && target) files.push({ level: target.level, sink: apiFile, format: textFormat(logText.logfile) });
  const { logErrorFile, logAccessFile, logAuditFile } = settings.rest;
  const outputs: LogOutputs = { logger, apiFile, errorFile: undefined, accessFile: undefined, auditFile: undefined };
  try {
    outputs.errorFile =
      logErrorFile === '' ? undefined : new LogFile(logErrorFile, 'log_error_file', { onProblem: report });
    if (outputs.errorFile) files.push({ level: 'error', sink: outputs.errorFile });
    outputs.accessFile = openAppended(logAccessFile, ACCESS_FILE, options.role, report);
    outputs.auditFile = openAppended(logAuditFile, AUDIT_FILE, options.role, report);
  } catch (err) {
    await closeLogOutputs(outputs);
    throw err;
  }
  logger = createLogger({ ...common, files });
  return { ...outputs, logger };
}

interface AppendedFile {
  option: string;
  name: string;
  maxPendingBytes: number;
  /** Permissions the file is created with (less the umask). */
  mode: number;
}

const ACCESS_FILE: AppendedFile = {
  option: 'log_access_file',
  name: 'access log',
  maxPendingBytes: ACCESS_LOG_MAX_PENDING_BYTES,
  mode: DEFAULT_LOG_MODE,
};
const AUDIT_FILE: AppendedFile = {
  option: 'log_audit_file',
  name: 'audit log',
  maxPendingBytes: AUDIT_LOG_MAX_PENDING_BYTES,
  // It says who ran what with which arguments: no one but its owner and group reads it.
  mode: 0o640,
};

/**
 * A file each serving process appends its own lines to (`log_access_file`, `log_audit_file`): never
 * held up by the disk (lines past `maxPendingBytes` are dropped, counted and reported). The primary of
 * `workers: N` only checks that it can be opened; `''`: none.
 */
function openAppended(
  path: string,
  file: AppendedFile,
  role: ProcessRole,
  report: (message: string, err?: Error) => void,
): LogFile | undefined {
  if (path === '') return undefined;
  if (role === 'primary') {
    checkLogFile(path, file.option, file.mode);
    return undefined;
  }
  return new LogFile(path, file.option, {
    onProblem: report,
    maxPendingBytes: file.maxPendingBytes,
    name: file.name,
    mode: file.mode,
  });
}

/** The settings were checked when read: compiling cannot fail here. */
const textFormat = (spec: TextLogSpec | undefined): TextLogFormat | undefined => spec && TextLogFormat.compile(spec);

/** The log file, or undefined (said on `console`, in Salt's words) when it cannot be opened. */
function openApiLog(
  path: string,
  report: (message: string, err?: Error) => void,
  console: Logger | undefined,
): LogFile | undefined {
  try {
    return new LogFile(path, 'api_logfile', { onProblem: report });
  } catch (err) {
    if (!(err instanceof LogFileError)) throw err;
    console?.warn(
      { file: path, code: err.code },
      `Failed to open log file, do you have permission to write to ${path}?`,
    );
    return undefined;
  }
}

/** The files open, for a switch of user to hand over. */
export function logFilePaths(logs: LogOutputs): string[] {
  return [logs.apiFile, logs.errorFile, logs.accessFile, logs.auditFile].flatMap((file) => (file ? [file.path] : []));
}

/** SIGHUP: after logrotate moved the files away, each is opened afresh at its path. */
export function reopenLogOutputs(logs: LogOutputs): void {
  logs.apiFile?.reopen();
  logs.errorFile?.reopen();
  logs.accessFile?.reopen();
  logs.auditFile?.reopen();
  logs.logger.info('log files reopened');
}

export async function closeLogOutputs(logs: LogOutputs): Promise<void> {
  await Promise.all([
    logs.apiFile?.close(),
    logs.errorFile?.close(),
    logs.accessFile?.close(),
    logs.auditFile?.close(),
  ]);
}
