/**
 * Settings, read and validated once at start-up from the master config the way salt-api reads it
 * (`salt.config.api_config`): the main file, `default_include` and `include` files, Salt's defaults.
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from './errors.js';
import { readMasterConfig, type SourcedConfig } from './master-file.js';
import { buildMasterSettings } from './master-settings.js';
import { OptionReader } from './option-reader.js';
import { buildRestSettings, unknownRestOptions } from './rest-settings.js';
import type { Settings } from './types.js';

export const DEFAULT_CONFIG_DIR = '/etc/salt';

export interface LoadSettingsOptions {
  /** A master config file; wins over `configDir`. */
  configFile?: string | undefined;
  /** A config directory like salt-api's `-c`: `<dir>/master` is read. */
  configDir?: string | undefined;
  /** Command-line `--host` / `--port`, which win over the file. */
  overrides?: { host?: string | undefined; port?: number | undefined } | undefined;
  /** Problems Salt only logs: includes matching nothing, unparsable included files, unknown options. */
  onWarning?: ((message: string) => void) | undefined;
  /** Consulted when neither file nor directory is given: SALT_MASTER_CONFIG, SALT_CONFIG_DIR. */
  env?: Record<string, string | undefined> | undefined;
}

const isFile = (path: string): boolean => statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;

/** salt-api's lookup: `-c DIR` (default SALT_CONFIG_DIR or /etc/salt), or SALT_MASTER_CONFIG for the default. */
export function resolveConfigFile(options: LoadSettingsOptions): string {
  if (options.configFile !== undefined) return resolve(options.configFile);
  if (options.configDir !== undefined) return resolve(options.configDir, 'master');
  const env = options.env ?? process.env;
  const fromEnv = env['SALT_MASTER_CONFIG'];
  if (fromEnv !== undefined && fromEnv !== '' && isFile(fromEnv)) return resolve(fromEnv);
  return join(env['SALT_CONFIG_DIR'] || DEFAULT_CONFIG_DIR, 'master');
}

export function loadSettings(options: LoadSettingsOptions = {}): Settings {
  const configFile = resolveConfigFile(options);
  const warn = options.onWarning ?? (() => undefined);
  const config = readMasterConfig(configFile, warn);
  return settingsFromConfig(config, configFile, {
    overrides: options.overrides,
    onWarning: warn,
    onUnknownOption: (key, file) => warn(`${file}: rest_cherrypy.${key}: unknown option, ignored`),
  });
}

export interface SettingsFromConfigOptions {
  overrides?: LoadSettingsOptions['overrides'];
  onWarning?: ((message: string) => void) | undefined;
  /** Told of each key under `rest_cherrypy:` that is no option, with the file that set it. */
  onUnknownOption?: ((key: string, file: string) => void) | undefined;
}

/** The settings of a master config already read (readMasterConfig); a refused value throws ConfigError. */
export function settingsFromConfig(
  config: SourcedConfig,
  configFile: string,
  options: SettingsFromConfigOptions = {},
): Settings {
  const warn = options.onWarning ?? (() => undefined);
  const fileOf = (path: readonly string[]): string => config.fileOf(path) ?? configFile;
  const master = new OptionReader(config.data, [], fileOf);
  const rest = master.nested('rest_cherrypy');

  const port = options.overrides?.port ?? rest?.port('port');
  if (port === undefined) {
    const file = rest === undefined ? configFile : fileOf(['rest_cherrypy']);
    throw ConfigError.required(file, ['rest_cherrypy', 'port'], 'salt-api serves nothing without it');
  }
  for (const key of rest === undefined ? [] : unknownRestOptions(rest)) {
    options.onUnknownOption?.(key, fileOf(['rest_cherrypy', key]));
  }
  const restOptions = rest ?? new OptionReader({}, ['rest_cherrypy'], fileOf);
  return {
    master: buildMasterSettings(master, rest, configFile, warn),
    rest: buildRestSettings(restOptions, port, { host: options.overrides?.host }),
  };
}
