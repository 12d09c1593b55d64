/**
 * Reads a master config file with its `default_include` and `include` files the way Salt's
 * `master_config` does (salt/config/__init__.py), remembering which file set each option so that
 * errors can name it.
 *
 * Salt's merge rules, reproduced: files matched by one include (and its nested includes) are merged
 * deeply into each other (`salt.utils.dictupdate.update` with list merging); the result then replaces
 * the main file's top-level keys wholesale (`dict.update`), default_include first, include last.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { ConfigError } from './errors.js';
import { globPaths } from './glob.js';
import { CONFIG_VALUE_LIMITS } from '../value-bounds.js';
import { SALT_YAML_SCHEMA, YamlSyntaxError, loadYaml } from '../python/yaml11.js';
import { emptyDict, ownValue, setOwn } from '../dict.js';
import { errorCode } from '../error-fields.js';

export const DEFAULT_INCLUDE = 'master.d/*.conf';
const MAX_INCLUDE_DEPTH = 16;

type Mapping = Record<string, unknown>;

export const isMapping = (value: unknown): value is Mapping =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);

const pathKey = (path: readonly string[]): string => path.join('\u0000');

function deepEqual(left: unknown, right: unknown): boolean {
  if (Object.is(left, right)) return true;
  if (Array.isArray(left) && Array.isArray(right)) {
    return left.length === right.length && left.every((item, index) => deepEqual(item, right[index]));
  }
  if (isMapping(left) && isMapping(right)) {
    const keys = Object.keys(left);
    return (
      keys.length === Object.keys(right).length &&
      keys.every((key) => Object.hasOwn(right, key) && deepEqual(left[key], right[key]))
    );
  }
  return false;
}

/** Option values plus, for each option path, the file that last set it. */
export class SourcedConfig {
  readonly data: Mapping = emptyDict<unknown>();
  private readonly sources = new Map<string, string>();

  static fromFile(file: string, data: Mapping): SourcedConfig {
    const config = new SourcedConfig();
    for (const [key, value] of Object.entries(data)) {
      config.data[key] = value;
      config.sources.set(key, file);
    }
    return config;
  }

  /** The file that set `path`, or the nearest enclosing option that has one. */
  fileOf(path: readonly string[]): string | undefined {
    for (let length = path.length; length > 0; length -= 1) {
      const file = this.sources.get(pathKey(path.slice(0, length)));
      if (file !== undefined) return file;
    }
    return undefined;
  }

  /** `dict.update`: each top-level key of `other` replaces this one's. */
  updateShallow(other: SourcedConfig): void {
    for (const [key, value] of Object.entries(other.data)) this.assign(this.data, [key], value, other);
  }

  /** `salt.utils.dictupdate.update(self, other, recursive_update=True, merge_lists=True)`. */
  mergeDeep(other: SourcedConfig): void {
    this.mergeInto(this.data, other.data, [], other);
  }

  private mergeInto(dest: Mapping, update: Mapping, prefix: string[], other: SourcedConfig): void {
    for (const [key, value] of Object.entries(update)) {
      const path = [...prefix, key];
      const current = ownValue(dest, key);
      if (isMapping(current) && isMapping(value)) {
        this.mergeInto(current, value, path, other);
      } else if (Array.isArray(current) && Array.isArray(value)) {
        const kept: readonly unknown[] = current;
        const added: readonly unknown[] = value;
        const merged = [...kept, ...added.filter((item) => !kept.some((old) => deepEqual(old, item)))];
        this.assign(dest, path, merged, other);
      } else {
        this.assign(dest, path, value, other);
      }
    }
  }

  private assign(dest: Mapping, path: string[], value: unknown, other: SourcedConfig): void {
    // Nested mappings are the YAML loader's ordinary objects: a `__proto__` key must stay a key.
    setOwn(dest, path[path.length - 1] ?? '', value);
    const prefix = pathKey(path);
    for (const key of [...this.sources.keys()]) {
      if (key === prefix || key.startsWith(`${prefix}\u0000`)) this.sources.delete(key);
    }
    for (const [key, file] of other.sources) {
      if (key === prefix || key.startsWith(`${prefix}\u0000`)) this.sources.set(key, file);
    }
    const file = other.fileOf(path);
    if (file !== undefined) this.sources.set(prefix, file);
  }
}

export type WarningSink = (message: string) => void;

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = errorCode(error);
    throw new ConfigError(
      file,
      undefined,
      code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? String(error)})`,
    );
  }
}

/** A file's options: a YAML mapping, an empty file being an empty mapping. */
function parseOptions(file: string, text: string): Mapping {
  let document: unknown;
  try {
    document = loadYaml(text, file, SALT_YAML_SCHEMA, CONFIG_VALUE_LIMITS);
  } catch (error) {
    const reason = error instanceof YamlSyntaxError ? error.message : String(error);
    throw new ConfigError(file, undefined, `invalid YAML: ${reason}`);
  }
  // Salt: `safe_load(file) or {}`.
  if (!document) return {};
  if (!isMapping(document)) {
    const kind = Array.isArray(document) ? 'a list' : typeof document;
    throw new ConfigError(file, undefined, `must be a YAML mapping of options, not ${kind}`);
  }
  return document;
}

function includePatterns(value: unknown, file: string, key: string): string[] {
  if (value === null || value === undefined || value === '' || value === false) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item): item is string => typeof item === 'string')) return value;
  throw new ConfigError(file, key, 'must be a path/glob or a list of them');
}

function expandUser(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

/** Salt's `include_config`: an unparsable included file is logged and skipped, not fatal. */
function includeConfig(
  patterns: string[],
  includingFile: string,
  verbose: boolean,
  warn: WarningSink,
  depth: number,
): SourcedConfig {
  const configuration = new SourcedConfig();
  for (const rawPattern of patterns) {
    const expanded = expandUser(rawPattern);
    const pattern = isAbsolute(expanded) ? expanded : join(dirname(includingFile), expanded);
    const matches = globPaths(pattern).sort();
    if (matches.length === 0 && verbose) {
      warn(`${includingFile}: include: path/glob '${pattern}' matches no files`);
    }
    for (const file of matches) {
      configuration.mergeDeep(readIncludedFile(file, verbose, warn, depth + 1));
    }
  }
  return configuration;
}

function readIncludedFile(file: string, verbose: boolean, warn: WarningSink, depth: number): SourcedConfig {
  if (depth > MAX_INCLUDE_DEPTH) throw new ConfigError(file, 'include', 'includes nest too deeply (an include cycle?)');
  const text = readText(file);
  let data: Mapping;
  try {
    data = parseOptions(file, text);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    warn(`${error.message} (file skipped, as Salt does)`);
    return new SourcedConfig();
  }
  const config = SourcedConfig.fromFile(file, data);
  const nested = includePatterns(data['include'], file, 'include');
  if (nested.length > 0) config.updateShallow(includeConfig(nested, file, verbose, warn, depth));
  return config;
}

/** The main file is mandatory and must parse; included files follow Salt's leniency. */
export function readMasterConfig(file: string, warn: WarningSink): SourcedConfig {
  const data = parseOptions(file, readText(file));
  const config = SourcedConfig.fromFile(file, data);
  const defaultInclude = Object.hasOwn(data, 'default_include') ? data['default_include'] : DEFAULT_INCLUDE;
  const defaultPatterns = includePatterns(defaultInclude, file, 'default_include');
  const patterns = includePatterns(data['include'], file, 'include');
  config.updateShallow(includeConfig(defaultPatterns, file, false, warn, 0));
  config.updateShallow(includeConfig(patterns, file, true, warn, 0));
  return config;
}
