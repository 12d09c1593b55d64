import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { CliUsageError, DEMO_CONFIG_FILE, parseCliArgs, type CliArgs } from './config/cli-args.js';
import { ConfigError } from './config/errors.js';
import { loadSettings } from './config/load.js';
import type { Settings } from './config/types.js';
import type { DemoMaster } from './demo/demo-master.js';
import { AccessLogFile } from './http/access-log.js';
import { createLogger, ErrorLogFile, LogFileError } from './log.js';
import { PAM_ON_MASTER } from './salt/auth/pam.js';
import { startServer, type RunningServer, type StartServerOptions } from './server.js';
import { StartupError } from './startup-error.js';
import type { WorkerPool } from './worker-pool.js';

/** Exit codes: 2 for a usage or configuration error (like salt-api), 1 for a failure to start. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  /** Where the JSON log goes; stdout when absent. */
  log?: Writable;
}

/** A started salt-apid: its server, the in-process demo master if any, and how to stop both. */
export interface Daemon {
  server: RunningServer;
  demo: DemoMaster | undefined;
  settings: Settings;
  /** SIGHUP: reopens `log_access_file` and `log_error_file` (after logrotate moved them away). */
  reopenLogs(): void;
  stop(): Promise<void>;
}

export type CliOutcome = { exitCode: number } | { daemon: Daemon } | { pool: WorkerPool };

/** What a step hands on when it stops the start: the outcome to return as it is. */
class Stop {
  constructor(readonly outcome: CliOutcome) {}
}

function failure(io: CliIo, message: string, exitCode: number): Stop {
  io.stderr.write(`salt-apid: ${message}\n`);
  return new Stop({ exitCode });
}

/** The log files of `log_error_file` and `log_access_file`, and the logger that writes to the first. */
interface LogOutputs {
  logger: Logger;
  errorFile: ErrorLogFile | undefined;
  accessFile: AccessLogFile | undefined;
}

/** Parses the command line, loads the configuration and starts serving. Never calls process.exit. */
export async function runCli(argv: string[], io: CliIo): Promise<CliOutcome> {
  const args = parseArgs(argv, io);
  if (args instanceof Stop) return args.outcome;
  const bootLogger = createLogger({ level: args.logLevel, ...(io.log && { destination: io.log }) });
  const loaded = loadConfig(args, bootLogger, io);
  if (loaded instanceof Stop) return loaded.outcome;
  if (loaded.rest.workers > 1 && (await import('node:cluster')).default.isPrimary) {
    const refusal = workersRefusal(args, loaded);
    if (refusal !== undefined) return failure(io, refusal, EXIT_USAGE).outcome;
    const { startWorkerPool } = await import('./worker-pool.js');
    return { pool: startWorkerPool(loaded.rest.workers, bootLogger) };
  }
  const logs = await openLogFiles(loaded, args, io, bootLogger);
  if (logs instanceof Stop) return logs.outcome;
  const { demo, settings } = await startDemo(args, loaded, logs.logger);
  const server = await listen(settings, demo, logs, io);
  if (server instanceof Stop) return server.outcome;
  logs.logger.info(
    {
      url: server.url,
      master: demo ? `demo master (${demo.minionIds.length} simulated minions)` : server.master.channel.endpoint,
      config: settings.master.configFile,
    },
    'salt-apid is listening',
  );
  return { daemon: daemonOf(server, demo, settings, logs) };
}

/** Why `workers: N` cannot run this configuration, if it cannot. */
function workersRefusal(args: CliArgs, settings: Settings): string | undefined {
  if (args.demo) return 'workers cannot be used with --demo: each worker would start its own demo master';
  if (settings.rest.sessionStore !== 'cache' || !['localfs', 'redis'].includes(settings.master.cacheDriver)) {
    return (
      `workers: ${settings.rest.workers} needs session_store: cache (with the localfs or redis cache), so that every ` +
      'worker knows every session'
    );
  }
  return undefined;
}

/** `--help` and `--version` answer here; a usage error is exit 2. */
function parseArgs(argv: string[], io: CliIo): CliArgs | Stop {
  try {
    const parsed = parseCliArgs(argv);
    if ('help' in parsed) {
      io.stdout.write(parsed.help);
      return new Stop({ exitCode: EXIT_OK });
    }
    if ('version' in parsed) {
      io.stdout.write(`${parsed.version}\n`);
      return new Stop({ exitCode: EXIT_OK });
    }
    return parsed;
  } catch (err) {
    if (err instanceof CliUsageError) return failure(io, `${err.message} (see --help)`, EXIT_USAGE);
    throw err;
  }
}

function loadConfig(args: CliArgs, logger: Logger, io: CliIo): Settings | Stop {
  try {
    return loadSettings({
      ...(args.demo && { configFile: DEMO_CONFIG_FILE }),
      ...(args.configFile !== undefined && { configFile: args.configFile }),
      ...(args.configDir !== undefined && { configDir: args.configDir }),
      overrides: args.overrides,
      onWarning: (message: string) => logger.warn(message),
    });
  } catch (err) {
    if (err instanceof ConfigError) return failure(io, err.message, EXIT_USAGE);
    throw err;
  }
}

/** log_error_file and log_access_file: opened now, so that a bad path stops the start (exit 2). */
async function openLogFiles(
  settings: Settings,
  args: CliArgs,
  io: CliIo,
  bootLogger: Logger,
): Promise<LogOutputs | Stop> {
  let logger = bootLogger;
  let errorFile: ErrorLogFile | undefined;
  let accessFile: AccessLogFile | undefined;
  const { logErrorFile, logAccessFile } = settings.rest;
  try {
    if (logErrorFile !== '') {
      errorFile = new ErrorLogFile(logErrorFile, (err) =>
        logger.warn({ err, file: logErrorFile }, 'log_error_file failed'),
      );
      logger = createLogger({
        level: args.logLevel,
        ...(io.log && { destination: io.log }),
        errorDestination: errorFile,
      });
    }
    if (logAccessFile !== '') {
      try {
        accessFile = new AccessLogFile(logAccessFile, {
          onProblem: (message, err) => logger.warn({ ...(err && { err }), file: logAccessFile }, message),
        });
      } catch (err) {
        throw new LogFileError(logAccessFile, 'log_access_file', err);
      }
    }
  } catch (err) {
    await errorFile?.close();
    if (err instanceof LogFileError) return failure(io, err.message, EXIT_USAGE);
    throw err;
  }
  return { logger, errorFile, accessFile };
}

async function closeLogFiles(logs: LogOutputs): Promise<void> {
  await Promise.all([logs.accessFile?.close(), logs.errorFile?.close()]);
}

/** With `--demo`, the simulated master, and the settings that point at it. */
async function startDemo(
  args: CliArgs,
  settings: Settings,
  logger: Logger,
): Promise<{ demo: DemoMaster | undefined; settings: Settings }> {
  if (!args.demo) return { demo: undefined, settings };
  // Loaded only for --demo: a production process never carries the simulated master.
  const { DemoMaster } = await import('./demo/demo-master.js');
  const { settingsForDemo } = await import('./demo/settings.js');
  const demo = await DemoMaster.start({
    externalAuth: settings.master.externalAuth,
    tokenExpire: settings.master.tokenExpire,
    logger: logger.child({ component: 'demo-master' }),
  });
  return { demo, settings: settingsForDemo(settings, demo) };
}

/** Starts the server; a start that fails undoes the demo master and the log files. */
async function listen(
  settings: Settings,
  demo: DemoMaster | undefined,
  logs: LogOutputs,
  io: CliIo,
): Promise<RunningServer | Stop> {
  // `accessLog` is taken by startServer and handed to buildApp (installAccessLog).
  const serverOptions: StartServerOptions = {
    settings,
    logger: logs.logger,
    ...(logs.accessFile && { accessLog: logs.accessFile }),
    // The demo master simulates its users: PAM logins are its to check.
    ...(demo && { pam: PAM_ON_MASTER }),
  };
  try {
    return await startServer(serverOptions);
  } catch (err) {
    await demo?.stop();
    await closeLogFiles(logs);
    if (err instanceof StartupError) return failure(io, err.message, EXIT_USAGE);
    const code = (err as { code?: unknown }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      return failure(io, `cannot listen on ${settings.rest.host}:${settings.rest.port}: ${String(code)}`, EXIT_FAILURE);
    }
    // A host that is not an address of this machine, or a name that does not resolve.
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL') {
      const message = `rest_cherrypy.host (or --host) ${JSON.stringify(settings.rest.host)} cannot be listened on: ${String(code)}`;
      return failure(io, message, EXIT_USAGE);
    }
    throw err;
  }
}

/** What the signal handlers of cli.ts call: SIGHUP reopens the log files, SIGTERM/SIGINT stop. */
function daemonOf(server: RunningServer, demo: DemoMaster | undefined, settings: Settings, logs: LogOutputs): Daemon {
  const { logger } = logs;
  let stopping: Promise<void> | undefined;
  return {
    server,
    demo,
    settings,
    reopenLogs() {
      logs.accessFile?.reopen();
      logs.errorFile?.reopen();
      logger.info('log files reopened');
    },
    stop() {
      if (!stopping) logger.info('shutting down: finishing in-flight requests');
      stopping ??= server
        .close()
        .then(() => demo?.stop())
        .finally(() => closeLogFiles(logs));
      return stopping;
    },
  };
}
