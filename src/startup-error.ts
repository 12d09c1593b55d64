/**
 * A configuration or environment the server cannot start with (bad TLS files, an unusable option):
 * thrown before anything is opened, and turned by the command line into a one-line message on
 * stderr and the usage exit status.
 */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}
