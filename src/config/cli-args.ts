/**
 * salt-apid's command line, shaped like salt-api's: `-c DIR` reads DIR/master, `-l LEVEL` and
 * `--log-file-level` accept Salt's level names as well as pino's, `--log-file` overrides
 * `api_logfile`. Bad usage throws CliUsageError (one-line message; exit 2). The options are
 * described in the manual (manual.ts), which `--help` and `--man` print.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { listenHostProblem } from './listen-host.js';
import { logLevelOf, type LogLevel } from './log-level.js';
import { manDate, manPage } from './man-page.js';
import { manualText } from './manual-text.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { VERSION } from '../version.js';
import { errorMessage } from '../error-fields.js';

export type { LogLevel } from './log-level.js';

export interface CliArgs {
  /** `--config FILE`, or the bundled demo master config with `--demo`. */
  configFile: string | undefined;
  /** `-c DIR`; with neither this nor configFile, loadSettings uses salt-api's default lookup. */
  configDir: string | undefined;
  demo: boolean;
  /** `--minions N` (with `--demo`): how many simulated minions; undefined for the demo's five. */
  demoMinions: number | undefined;
  overrides: { host?: string; port?: number };
  /** `-l`: wins over the config's `log_level` (default info). */
  logLevel: LogLevel | undefined;
  /** `--log-file`, absolute: wins over `api_logfile`. */
  logFile: string | undefined;
  /** `--log-file-level`: wins over `log_level_logfile`. */
  logFileLevel: LogLevel | undefined;
  /** `--check-config`: check the configuration and print it in this format (`--out`) instead of serving. */
  checkConfig: CheckFormat | undefined;
}

/** How `--check-config` prints the effective settings (`--out`). */
export type CheckFormat = 'yaml' | 'json';
export const CHECK_FORMATS: readonly CheckFormat[] = ['yaml', 'json'];

export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** The demo master config shipped with salt-apid, wherever its code runs from (src/, dist/ or the bundle). */
export const DEMO_CONFIG_FILE = join(PACKAGE_ROOT.dir, 'config', 'demo.conf');

/** Every option, as parseArgs reads them; each is described in the manual (manual.ts). */
export const CLI_OPTIONS = {
  'config-dir': { type: 'string', short: 'c' },
  config: { type: 'string' },
  demo: { type: 'boolean' },
  minions: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'log-level': { type: 'string', short: 'l' },
  'log-file': { type: 'string' },
  'log-file-level': { type: 'string' },
  'check-config': { type: 'boolean' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  man: { type: 'boolean' },
} as const;

function version(): string {
  return `salt-apid ${VERSION}`;
}

function parsePort(text: string): number {
  const port = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535))
    throw new CliUsageError(`--port must be an integer between 1 and 65535, got "${text}"`);
  return port;
}

/** The most minions `--minions` simulates: enough for a large fleet, bounded for the machine's sake. */
export const MAX_DEMO_MINIONS = 100_000;

/** `--minions N` of salt-apid and of the standalone demo master. */
export function parseMinionCount(text: string): number {
  const count = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(count >= 1 && count <= MAX_DEMO_MINIONS))
    throw new CliUsageError(`--minions must be an integer between 1 and ${MAX_DEMO_MINIONS}, got "${text}"`);
  return count;
}

function parseMinions(text: string | undefined, demo: boolean): number | undefined {
  if (text === undefined) return undefined;
  if (!demo) throw new CliUsageError('--minions only goes with --demo');
  return parseMinionCount(text);
}

function parseLogLevel(text: string | undefined, option: string): LogLevel | undefined {
  if (text === undefined) return undefined;
  const level = logLevelOf(text);
  if (level === undefined) throw new CliUsageError(`${option}: unknown level "${text}"`);
  return level;
}

/** salt-api takes a bare file name as one in the current directory; the path is made absolute here. */
function parseLogFile(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (text === '') throw new CliUsageError('--log-file must not be empty');
  return resolve(text);
}

/** `--check-config [--out FORMAT]`; `--out` means nothing without it. */
function parseCheckConfig(check: boolean, out: string | undefined): CheckFormat | undefined {
  if (!check) {
    if (out !== undefined) throw new CliUsageError('--out only goes with --check-config');
    return undefined;
  }
  const format = CHECK_FORMATS.find((candidate) => candidate === (out ?? 'yaml'));
  if (format === undefined) throw new CliUsageError(`--out must be ${CHECK_FORMATS.join(' or ')}, got "${out}"`);
  return format;
}

function readFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: CLI_OPTIONS,
    }).values;
  } catch (error) {
    // Node's messages go on with advice about '--'; the first sentence is the useful part.
    const message = errorMessage(error);
    throw new CliUsageError(message.split(/\.\s|\n/)[0] ?? message);
  }
}

/** `argv` without the node executable and script (process.argv.slice(2)). */
export function parseCliArgs(argv: string[]): CliArgs | { help: string } | { version: string } | { man: string } {
  const flags = readFlags(argv);
  if (flags.help === true) return { help: manualText() };
  if (flags.version === true) return { version: version() };
  if (flags.man === true) return { man: manPage(VERSION, manDate()) };

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
    demoMinions: parseMinions(flags.minions, flags.demo === true),
    overrides,
    logLevel: parseLogLevel(flags['log-level'], '--log-level'),
    logFile: parseLogFile(flags['log-file']),
    logFileLevel: parseLogLevel(flags['log-file-level'], '--log-file-level'),
    checkConfig: parseCheckConfig(flags['check-config'] === true, flags.out),
  };
}
