/**
 * The settings a start would use, with every refused value reported rather than the first: the
 * start's own reading (readMasterConfig, settingsFromConfig) runs again with each refused option
 * dropped, so that the rest of the file is still checked and the settings can still be shown (the
 * dropped options at their defaults).
 */
import type { CliArgs } from '../config/cli-args.js';
import { ConfigError } from '../config/errors.js';
import { resolveConfigFile, settingsFromConfig } from '../config/load.js';
import { isMapping, readMasterConfig, type SourcedConfig } from '../config/master-file.js';
import { OptionReader } from '../config/option-reader.js';
import type { Settings } from '../config/types.js';
import { readEachWebhookRule } from '../config/webhook-settings.js';
import { Locator, type Problems } from './problems.js';

/** The master config as read, or undefined when the main file cannot be read (reported). */
export function readConfig(
  args: Pick<CliArgs, 'configFile' | 'configDir'>,
  problems: Problems,
): { configFile: string; config: SourcedConfig | undefined } {
  const configFile = resolveConfigFile({ configFile: args.configFile, configDir: args.configDir });
  try {
    return { configFile, config: readMasterConfig(configFile, (message) => problems.warning(message)) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.error(error.message);
    return { configFile, config: undefined };
  }
}

export interface Resolved {
  settings: Settings | undefined;
  /** The options whose value was refused (dotted paths): the settings hold their defaults. */
  refused: string[];
}

/** Shown as the port when `rest_cherrypy.port` is refused or missing, so that the rest is still checked. */
export const STAND_IN_PORT = 8000;

/** More rounds than a config has options: a refusal that comes back however much is dropped. */
const MAX_ROUNDS = 1_000;

const isPrefix = (prefix: readonly string[], path: readonly string[]): boolean =>
  prefix.length <= path.length && prefix.every((segment, index) => segment === path[index]);

const PORT_PATH = ['rest_cherrypy', 'port'];

/** Deletes the option at `path` from the config's data; false when it is not there. */
function dropOption(data: Record<string, unknown>, path: readonly string[]): boolean {
  let mapping: Record<string, unknown> = data;
  for (const [index, segment] of path.entries()) {
    if (!Object.hasOwn(mapping, segment)) return false;
    if (index === path.length - 1) return Reflect.deleteProperty(mapping, segment);
    const next = mapping[segment];
    if (!isMapping(next)) return false;
    mapping = next;
  }
  return false;
}

/** A reader of the `rest_cherrypy:` mapping as the start reads it, if it is a mapping. */
export function restReaderOf(config: SourcedConfig, configFile: string): OptionReader | undefined {
  const rest = config.data['rest_cherrypy'];
  if (!isMapping(rest)) return undefined;
  const locator = new Locator((path) => config.fileOf(path), configFile);
  return new OptionReader(rest, ['rest_cherrypy'], (path) => locator.file(path));
}

/** A refusal as a problem; a `webhooks` rule's brings every rule's (the start reads them in turn and stops at one). */
function report(error: ConfigError, config: SourcedConfig, configFile: string, problems: Problems): void {
  const rest = restReaderOf(config, configFile);
  if (error.path !== undefined && isPrefix(['rest_cherrypy', 'webhooks'], error.path) && rest !== undefined) {
    const ruleProblems = readEachWebhookRule(rest).filter((rule) => rule instanceof Error);
    if (ruleProblems.length > 0) {
      for (const problem of ruleProblems) problems.error(problem.message);
      return;
    }
  }
  problems.error(error.message);
}

interface Rounds {
  /** The options set aside so far. */
  refused: string[][];
  overrides: CliArgs['overrides'];
}

/**
 * Reports a refusal (unless it is one already reported: a port required once its value or its
 * section was refused) and sets its option aside for the next round; false when nothing can be.
 */
function setAside(
  error: ConfigError,
  config: SourcedConfig,
  configFile: string,
  rounds: Rounds,
  problems: Problems,
): boolean {
  const { path } = error;
  const repeated = path !== undefined && rounds.refused.some((prefix) => isPrefix(prefix, path));
  if (!repeated) report(error, config, configFile, problems);
  if (path === undefined) return false;
  if (dropOption(config.data, path)) {
    rounds.refused.push([...path]);
    return true;
  }
  if (!isPrefix(PORT_PATH, path)) return false;
  // No port to drop: a stand-in, so that the rest is still checked.
  rounds.overrides = { ...rounds.overrides, port: STAND_IN_PORT };
  if (!repeated) rounds.refused.push([...path]);
  return true;
}

/**
 * Settings from `config`, every refusal reported. `config` loses the refused options on the way:
 * read whatever else is wanted of it (its secrets, its unknown keys) before.
 */
export function resolveSettings(
  config: SourcedConfig,
  configFile: string,
  args: Pick<CliArgs, 'overrides'>,
  problems: Problems,
): Resolved {
  const rounds: Rounds = { refused: [], overrides: args.overrides };
  const resolved = (settings: Settings | undefined): Resolved => ({
    settings,
    refused: rounds.refused.map((path) => path.join('.')),
  });
  for (let round = 0; round < MAX_ROUNDS; round++) {
    try {
      const { overrides } = rounds;
      return resolved(settingsFromConfig(config, configFile, { overrides, onWarning: (m) => problems.warning(m) }));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      if (!setAside(error, config, configFile, rounds, problems)) return resolved(undefined);
    }
  }
  problems.error(`${configFile}: more refused values than can be listed; fix those above and check again`);
  return resolved(undefined);
}
