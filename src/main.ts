import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { CliUsageError, DEMO_CONFIG_FILE, parseCliArgs, type CliArgs } from './config/cli-args.js';
import { ConfigError } from './config/errors.js';
import { loadSettings } from './config/load.js';
import { workersRefusal } from './config/workers.js';
import type { Settings } from './config/types.js';
import type { DemoMaster } from './demo/demo-master.js';
import { createLogger, LogFileError } from './log.js';
import {
  closeLogOutputs,
  logFilePaths,
  openLogOutputs,
  reopenLogOutputs,
  type LogOutputs,
  type ProcessRole,
} from './log-outputs.js';
import {
  planUser,
  PROCESS_IDENTITY,
  switchUser,
  UserSwitchError,
  type IdentityOps,
  type UserPlan,
} from './run-as-user.js';
import { PAM_ON_MASTER } from './salt/auth/pam.js';
import { startServer, type RunningServer, type StartServerOptions } from './server.js';
import { StartupError } from './startup-error.js';
import type { WorkerPool } from './worker-pool.js';
import { errorCode } from './error-fields.js';

/**
 * Exit codes: 2 for a usage or configuration error (like salt-api; `--check-config` that found an
 * error), 1 for a failure to start.
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  /** Where the JSON log goes; stdout when absent. */
  log?: Writable;
  /** How the process takes the master config's `user:`; the real process's when absent. */
  identity?: IdentityOps;
}

/** A started salt-apid: its server, the in-process demo master if any, and how to stop both. */
export interface Daemon {
  server: RunningServer;
  demo: DemoMaster | undefined;
  settings: Settings;
  /**
   * SIGHUP: reopens `api_logfile`, `log_access_file`, `log_error_file` and `log_audit_file` (after
   * logrotate moved them away).
   */
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

/** Parses the command line, loads the configuration and starts serving. Never calls process.exit. */
export async function runCli(argv: string[], io: CliIo): Promise<CliOutcome> {
  const args = parseArgs(argv, io);
  if (args instanceof Stop) return args.outcome;
  if (args.checkConfig !== undefined) {
    // Loaded only for --check-config, as every mode's code is (docs/decisions/0014-lean-start.md).
    const { checkConfig } = await import('./check-config/check-config.js');
    return { exitCode: (await checkConfig(args, args.checkConfig, io)) ? EXIT_OK : EXIT_USAGE };
  }
  const bootLogger = createLogger({ level: args.logLevel ?? 'info', ...(io.log && { destination: io.log }) });
  const loaded = loadConfig(args, bootLogger, io);
  if (loaded instanceof Stop) return loaded.outcome;
  const plan = userPlan(loaded, io, bootLogger);
  if (plan instanceof Stop) return plan.outcome;
  const role = await processRole(loaded);
  if (role === 'primary') return startPool(args, loaded, io);
  const logs = await openLogs(loaded, args, io, role);
  if (logs instanceof Stop) return logs.outcome;
  const { demo, settings } = await startDemo(args, loaded, logs.logger);
  const server = await listen(settings, demo, logs, io);
  if (server instanceof Stop) return server.outcome;
  const daemon = daemonOf(server, demo, settings, logs);
  const switched = await runAs(plan, daemon, logs, io);
  if (switched instanceof Stop) return switched.outcome;
  logs.logger.info(
    {
      url: server.url,
      master: demo ? `demo master (${demo.minionIds.length} simulated minions)` : server.master.channel.endpoint,
      config: settings.master.configFile,
    },
    'salt-apid is listening',
  );
  return { daemon };
}

/** `workers: N` runs this module in the primary and in each worker (Node's cluster). */
async function processRole(settings: Settings): Promise<ProcessRole> {
  if (settings.rest.workers <= 1) return 'single';
  return (await import('node:cluster')).default.isPrimary ? 'primary' : 'worker';
}

/** `user:`: a user that does not exist is a configuration error; not being root, a failure to start. */
function userPlan(settings: Settings, io: CliIo, logger: Logger): UserPlan | Stop {
  const plan = planUser(settings.master.user, settings.master.userFile, io.identity ?? PROCESS_IDENTITY);
  if (plan.kind === 'unknown') return failure(io, plan.message, EXIT_USAGE);
  if (plan.kind === 'cannot') {
    logger.error(plan.message);
    return failure(io, plan.message, EXIT_FAILURE);
  }
  return plan;
}

/** Once the port is bound and the log files are open: the master config's user, if it is another. */
async function runAs(plan: UserPlan, daemon: Daemon, logs: LogOutputs, io: CliIo): Promise<undefined | Stop> {
  if (plan.kind !== 'switch') return undefined;
  const { entry } = plan;
  try {
    switchUser(entry, logFilePaths(logs), io.identity ?? PROCESS_IDENTITY);
  } catch (err) {
    if (!(err instanceof UserSwitchError)) throw err;
    logs.logger.error(err.message);
    await daemon.stop();
    return failure(io, err.message, EXIT_FAILURE);
  }
  logs.logger.info({ user: entry.name, uid: entry.uid, gid: entry.gid }, `running as user ${entry.name}`);
  return undefined;
}

/**
 * `workers: N`, in the primary: it only supervises, under the user it was started as, logging to
 * the same log file as the workers. A stop or a reopen of the log files is passed on to the workers.
 */
async function startPool(args: CliArgs, settings: Settings, io: CliIo): Promise<CliOutcome> {
  const refusal = workersRefusal(args.demo, settings);
  if (refusal !== undefined) return failure(io, refusal, EXIT_USAGE).outcome;
  const logs = await openLogs(settings, args, io, 'primary');
  if (logs instanceof Stop) return logs.outcome;
  const { startWorkerPool } = await import('./worker-pool.js');
  // Any worker answering a scrape asks the primary for the sum over all of them.
  if (settings.rest.metrics) (await import('./http/stats/cluster-metrics.js')).serveClusterMetrics();
  const pool = startWorkerPool(settings.rest.workers, logs.logger);
  return {
    pool: {
      async stop(signal) {
        await pool.stop(signal);
        await closeLogOutputs(logs);
      },
      reopenLogs() {
        reopenLogOutputs(logs);
        pool.reopenLogs();
      },
    },
  };
}

/** `--help`, `--version` and `--man` answer here; a usage error is exit 2. */
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
    if ('man' in parsed) {
      io.stdout.write(parsed.man);
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

/**
 * The log files: a `log_error_file`, `log_access_file` or `log_audit_file` that cannot be opened stops
 * the start (exit 2).
 */
async function openLogs(settings: Settings, args: CliArgs, io: CliIo, role: ProcessRole): Promise<LogOutputs | Stop> {
  try {
    return await openLogOutputs(settings, args, { destination: io.log, role });
  } catch (err) {
    if (err instanceof LogFileError) return failure(io, err.message, EXIT_USAGE);
    throw err;
  }
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
  const { minionIds } = await import('./demo/options.js');
  const demo = await DemoMaster.start({
    externalAuth: settings.master.externalAuth,
    tokenExpire: settings.master.tokenExpire,
    ...(args.demoMinions !== undefined && { minions: minionIds(args.demoMinions) }),
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
  // `accessLog` and `auditLog` are taken by startServer and handed to buildApp (installAccessLog, AuditTrail).
  const serverOptions: StartServerOptions = {
    settings,
    logger: logs.logger,
    ...(logs.accessFile && { accessLog: logs.accessFile }),
    ...(logs.auditFile && { auditLog: logs.auditFile }),
    // The demo master simulates its users: PAM logins are its to check.
    ...(demo && { pam: PAM_ON_MASTER }),
  };
  try {
    return await startServer(serverOptions);
  } catch (err) {
    await demo?.stop();
    await closeLogOutputs(logs);
    if (err instanceof StartupError) return failure(io, err.message, EXIT_USAGE);
    const code = errorCode(err);
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
      reopenLogOutputs(logs);
    },
    stop() {
      if (!stopping) logger.info('shutting down: finishing in-flight requests');
      stopping ??= server
        .close()
        .then(() => demo?.stop())
        .finally(() => closeLogOutputs(logs));
      return stopping;
    },
  };
}
