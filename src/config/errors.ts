/** A configuration problem, reported on one line naming the file and, when there is one, the key. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly file: string,
    readonly key: string | undefined,
    problem: string,
  ) {
    super(key === undefined ? `${file}: ${problem}` : `${file}: ${key}: ${problem}`);
  }

  /** `<file>: <key> is required`. */
  static required(file: string, key: string, why?: string): ConfigError {
    const error = new ConfigError(file, key, 'is required');
    error.message = `${file}: ${key} is required${why === undefined ? '' : ` (${why})`}`;
    return error;
  }
}
