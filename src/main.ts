import type { Writable } from 'node:stream';
import { CliUsageError, DEMO_CONFIG_FILE, parseCliArgs } from './config/cli-args.js';
import { ConfigError } from './config/errors.js';
import { loadSettings } from './config/load.js';
import type { Settings } from './config/types.js';
import type { DemoMaster } from './demo/demo-master.js';
import { AccessLogFile } from './http/access-log.js';
import { createLogger, ErrorLogFile, LogFileError } from './log.js';
import { PAM_ON_MASTER } from './salt/auth/pam.js';
import { startServer, type RunningServer, type StartServerOptions } from './server.js';
import { StartupError } from './startup-error.js';

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

export type CliOutcome = { exitCode: number } | { daemon: Daemon };

function failure(io: CliIo, message: string, exitCode: number): CliOutcome {
  io.stderr.write(`salt-apid: ${message}\n`);
  return { exitCode };
}

/** Parses the command line, loads the configuration and starts serving. Never calls process.exit. */
export async function runCli(argv: string[], io: CliIo): Promise<CliOutcome> {
  let args;
  try {
    const parsed = parseCliArgs(argv);
    if ('help' in parsed) {
      io.stdout.write(parsed.help);
      return { exitCode: EXIT_OK };
    }
    if ('version' in parsed) {
      io.stdout.write(`${parsed.version}\n`);
      return { exitCode: EXIT_OK };
    }
    args = parsed;
  } catch (err) {
    if (err instanceof CliUsageError) return failure(io, `${err.message} (see --help)`, EXIT_USAGE);
    throw err;
  }

  let logger = createLogger({ level: args.logLevel, ...(io.log && { destination: io.log }) });
  let settings: Settings;
  try {
    settings = loadSettings({
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

  // log_error_file and log_access_file: opened now, so that a bad path stops the start (exit 2).
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
  const closeLogFiles = async (): Promise<void> => {
    await Promise.all([accessFile?.close(), errorFile?.close()]);
  };

  let demo: DemoMaster | undefined;
  if (args.demo) {
    // Loaded only for --demo: a production process never carries the simulated master.
    const { DemoMaster } = await import('./demo/demo-master.js');
    const { settingsForDemo } = await import('./demo/settings.js');
    demo = await DemoMaster.start({
      externalAuth: settings.master.externalAuth,
      tokenExpire: settings.master.tokenExpire,
      logger: logger.child({ component: 'demo-master' }),
    });
    settings = settingsForDemo(settings, demo);
  }

  let server: RunningServer;
  // `accessLog` is taken by startServer and handed to buildApp (installAccessLog).
  const serverOptions: StartServerOptions = {
    settings,
    logger,
    ...(accessFile && { accessLog: accessFile }),
    // The demo master simulates its users: PAM logins are its to check.
    ...(demo && { pam: PAM_ON_MASTER }),
  };
  try {
    server = await startServer(serverOptions);
  } catch (err) {
    await demo?.stop();
    await closeLogFiles();
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
  logger.info(
    {
      url: server.url,
      master: demo ? `demo master (${demo.minionIds.length} simulated minions)` : server.master.channel.endpoint,
      config: settings.master.configFile,
    },
    'salt-apid is listening',
  );
  let stopping: Promise<void> | undefined;
  return {
    daemon: {
      server,
      demo,
      settings,
      reopenLogs() {
        accessFile?.reopen();
        errorFile?.reopen();
        logger.info('log files reopened');
      },
      stop() {
        if (!stopping) logger.info('shutting down: finishing in-flight requests');
        stopping ??= server
          .close()
          .then(() => demo?.stop())
          .finally(closeLogFiles);
        return stopping;
      },
    },
  };
}
