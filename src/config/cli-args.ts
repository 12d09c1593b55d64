/**
 * salt-apid's command line, shaped like salt-api's: `-c DIR` reads DIR/master, `-l LEVEL` accepts
 * Salt's level names as well as pino's. Bad usage throws CliUsageError (one-line message; exit 2).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ownValue } from '../dict.js';
import { listenHostProblem } from './listen-host.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { VERSION } from '../version.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface CliArgs {
  /** `--config FILE`, or the bundled demo master config with `--demo`. */
  configFile: string | undefined;
  /** `-c DIR`; with neither this nor configFile, loadSettings uses salt-api's default lookup. */
  configDir: string | undefined;
  demo: boolean;
  overrides: { host?: string; port?: number };
  logLevel: LogLevel;
}

export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** The demo master config shipped with salt-apid, wherever its code runs from (src/, dist/ or the bundle). */
export const DEMO_CONFIG_FILE = join(PACKAGE_ROOT.dir, 'config', 'demo.conf');

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

export const USAGE = `Usage: salt-apid [options]

A drop-in replacement for salt-api (rest_cherrypy). Reads the master config and its
rest_cherrypy: section like salt-api does.

Options:
  -c, --config-dir DIR   read DIR/master (default: $SALT_CONFIG_DIR or /etc/salt)
      --config FILE      read this master config file instead
      --demo             run with the built-in demo master config
      --host HOST        listen address (overrides rest_cherrypy.host)
      --port PORT        listen port (overrides rest_cherrypy.port)
  -l, --log-level LEVEL  fatal, error, warn, info, debug, trace or silent (Salt's names
                         such as warning, critical, quiet, all also work; default info)
  -h, --help             show this help
      --version          print the version
`;

function version(): string {
  return `salt-apid ${VERSION}`;
}

function parsePort(text: string): number {
  const port = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535))
    throw new CliUsageError(`--port must be an integer between 1 and 65535, got "${text}"`);
  return port;
}

function parseLogLevel(text: string): LogLevel {
  const level = ownValue(LOG_LEVELS, text.toLowerCase());
  if (level === undefined) throw new CliUsageError(`--log-level: unknown level "${text}"`);
  return level;
}

function readFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'config-dir': { type: 'string', short: 'c' },
        config: { type: 'string' },
        demo: { type: 'boolean' },
        host: { type: 'string' },
        port: { type: 'string' },
        'log-level': { type: 'string', short: 'l' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    }).values;
  } catch (error) {
    // Node's messages go on with advice about '--'; the first sentence is the useful part.
    const message = error instanceof Error ? error.message : String(error);
    throw new CliUsageError(message.split(/\.\s|\n/)[0] ?? message);
  }
}

/** `argv` without the node executable and script (process.argv.slice(2)). */
export function parseCliArgs(argv: string[]): CliArgs | { help: string } | { version: string } {
  const flags = readFlags(argv);
  if (flags.help === true) return { help: USAGE };
  if (flags.version === true) return { version: version() };

  const sources = [
    flags.demo === true && '--demo',
    flags.config !== undefined && '--config',
    flags['config-dir'] !== undefined && '-c',
  ];
  const chosen = sources.filter((source): source is string => typeof source === 'string');
  if (chosen.length > 1) throw new CliUsageError(`${chosen.join(' and ')} cannot be used together`);
  if (flags.host === '') throw new CliUsageError('--host must not be empty');
  const hostProblem = flags.host === undefined ? undefined : listenHostProblem(flags.host);
  if (hostProblem !== undefined) throw new CliUsageError(`--host ${hostProblem}`);

  const overrides: CliArgs['overrides'] = {};
  if (flags.host !== undefined) overrides.host = flags.host;
  if (flags.port !== undefined) overrides.port = parsePort(flags.port);
  return {
    configFile: flags.demo === true ? DEMO_CONFIG_FILE : flags.config,
    configDir: flags['config-dir'],
    demo: flags.demo === true,
    overrides,
    logLevel: flags['log-level'] === undefined ? 'info' : parseLogLevel(flags['log-level']),
  };
}
