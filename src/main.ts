import type { Writable } from 'node:stream';
import { CliUsageError, DEMO_CONFIG_FILE, parseCliArgs } from './config/cli-args.js';
import { ConfigError } from './config/errors.js';
import { loadSettings } from './config/load.js';
import type { Settings } from './config/types.js';
import { DemoMaster } from './demo/demo-master.js';
import { settingsForDemo } from './demo/settings.js';
import { createLogger } from './log.js';
import { startServer, type RunningServer } from './server.js';

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

  const logger = createLogger({ level: args.logLevel, ...(io.log && { destination: io.log }) });
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

  let demo: DemoMaster | undefined;
  if (args.demo) {
    demo = await DemoMaster.start({
      externalAuth: settings.master.externalAuth,
      tokenExpire: settings.master.tokenExpire,
      logger: logger.child({ component: 'demo-master' }),
    });
    settings = settingsForDemo(settings, demo);
  }

  let server: RunningServer;
  try {
    server = await startServer({ settings, logger });
  } catch (err) {
    await demo?.stop();
    const code = (err as { code?: unknown }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      return failure(io, `cannot listen on ${settings.rest.host}:${settings.rest.port}: ${String(code)}`, EXIT_FAILURE);
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
      stop() {
        if (!stopping) logger.info('shutting down: finishing in-flight requests');
        stopping ??= server.close().then(() => demo?.stop());
        return stopping;
      },
    },
  };
}
