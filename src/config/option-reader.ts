/**
 * Typed access to one mapping of options (the master top level or `rest_cherrypy:`). Every read
 * checks the value's type; a wrong type is a ConfigError naming the file that set it and the key.
 * An absent key (or one set to null, like a key left empty in YAML) reads as undefined.
 */
import { ConfigError } from './errors.js';
import { isMapping } from './master-file.js';
import { isSecretKey } from './secret.js';

export type FileOf = (path: readonly string[]) => string;

export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Uint8Array) return 'binary data';
  if (isMapping(value)) return 'a mapping';
  return String(value);
}

export class OptionReader {
  constructor(
    private readonly options: Record<string, unknown>,
    /** Path of this mapping inside the master config: [] or ['rest_cherrypy']. */
    private readonly section: readonly string[],
    private readonly fileOf: FileOf,
  ) {}

  keys(): string[] {
    return Object.keys(this.options);
  }

  raw(key: string): unknown {
    return Object.hasOwn(this.options, key) ? (this.options[key] ?? undefined) : undefined;
  }

  /** The file that set `key` (the main config file when none did). */
  sourceOf(key: string): string {
    return this.fileOf([...this.section, key]);
  }

  fail(key: string, problem: string): ConfigError {
    const path = [...this.section, key];
    return new ConfigError(this.sourceOf(key), path.join('.'), problem, path);
  }

  /** A value of the wrong type, quoted in the message unless its option holds a secret. */
  private invalid(key: string, expected: string): ConfigError {
    const value = this.raw(key);
    const shown = isSecretKey(key) && !isMapping(value) ? 'a value not shown (a secret)' : describeValue(value);
    return this.fail(key, `must be ${expected}, got ${shown}`);
  }

  string(key: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined || typeof value === 'string') return value;
    throw this.invalid(key, 'a string');
  }

  boolean(key: string): boolean | undefined {
    const value = this.raw(key);
    if (value === undefined || typeof value === 'boolean') return value;
    throw this.invalid(key, 'true or false');
  }

  integer(key: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
    const range =
      max === Number.MAX_SAFE_INTEGER ? `an integer of at least ${min}` : `an integer between ${min} and ${max}`;
    throw this.invalid(key, range);
  }

  port(key: string): number | undefined {
    return this.integer(key, 1, 65535);
  }

  /** Seconds; Salt documents integers but fractions work, so any non-negative number is accepted. */
  seconds(key: string): number | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
    throw this.invalid(key, 'a non-negative number of seconds');
  }

  oneOf<T extends string>(key: string, choices: readonly T[]): T | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    const choice = choices.find((candidate) => candidate === value);
    if (choice !== undefined) return choice;
    throw this.invalid(key, `one of ${choices.join(', ')}`);
  }

  stringList(key: string): string[] | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (Array.isArray(value) && value.every((item): item is string => typeof item === 'string')) return [...value];
    throw this.invalid(key, 'a list of strings');
  }

  mapping(key: string): Record<string, unknown> | undefined {
    const value = this.raw(key);
    if (value === undefined || isMapping(value)) return value;
    throw this.invalid(key, 'a mapping');
  }

  /** A reader for a nested mapping option, e.g. `rest_cherrypy.api_acl`. */
  nested(key: string): OptionReader | undefined {
    const value = this.mapping(key);
    return value === undefined ? undefined : new OptionReader(value, [...this.section, key], this.fileOf);
  }
}
