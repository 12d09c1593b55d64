/** A configuration problem, reported on one line naming the file and, when there is one, the key. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly file: string,
    readonly key: string | undefined,
    problem: string,
    /**
     * Where the refused value sits in the master config, one segment per mapping key (`key` joins
     * them with dots, which option names such as `cache.redis.port` also hold); undefined when the
     * problem is not one option's.
     */
    readonly path?: readonly string[],
  ) {
    super(key === undefined ? `${file}: ${problem}` : `${file}: ${key}: ${problem}`);
  }

  /** `<file>: <key> is required`. */
  static required(file: string, path: readonly string[], why?: string): ConfigError {
    const key = path.join('.');
    const error = new ConfigError(file, key, 'is required', path);
    error.message = `${file}: ${key} is required${why === undefined ? '' : ` (${why})`}`;
    return error;
  }
}
