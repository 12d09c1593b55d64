/**
 * One error hierarchy for everything that can go wrong talking to the master. The HTTP layer
 * maps these to status codes in a single place (src/http/transport/errors.ts) by `kind`.
 */

export type SaltErrorKind =
  /** The master cannot be reached (no connection, socket missing): salt-api's 503. */
  | 'unavailable'
  /** The request itself is wrong (unknown or disabled client, missing argument): 400. */
  | 'invalid'
  /** A job did not finish within its wait (sync runner past `timeout`): salt-api's 504. */
  | 'job-timeout'
  /** Something salt-apid cannot do on this host (e.g. salt-ssh not installed): 501. */
  | 'not-implemented'
  /** The master was reached but did not answer in time. */
  | 'timeout'
  /** The master refused the credentials or the ACL forbids the call: 401. */
  | 'auth'
  /** The master answered with something that is not a valid reply to the command. */
  | 'bad-reply'
  /** A value too large or too deeply nested to send to the master: 413. */
  | 'too-large'
  /** A consumer read events too slowly and was cut off. */
  | 'slow-consumer'
  /** The channel or bus was closed by salt-apid itself. */
  | 'closed';

export class SaltError extends Error {
  constructor(
    readonly kind: SaltErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class MasterUnavailableError extends SaltError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('unavailable', `Salt Master is not available: ${detail}`, options);
  }
}

export class MasterTimeoutError extends SaltError {
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super('timeout', `the master did not answer '${command}' within ${timeoutMs} ms`);
  }
}

/**
 * The master answered `{error: {name, message}}` (docs/wire-protocol.md
 * "Commands salt-apid sends"): AuthenticationError, AuthorizationError, TokenAuthenticationError,
 * EauthAuthenticationError, UserAuthenticationError…
 */
export class MasterErrorReply extends SaltError {
  constructor(
    readonly errorName: string,
    readonly masterMessage: string,
  ) {
    super(masterErrorKind(errorName), masterMessage);
  }
}

/** Authentication errors are 401; SaltInvocationError (a call the master cannot make as written) is 400. */
function masterErrorKind(errorName: string): SaltErrorKind {
  if (errorName.endsWith('AuthenticationError') || errorName === 'AuthorizationError') return 'auth';
  if (errorName === 'SaltInvocationError') return 'invalid';
  return 'bad-reply';
}

/**
 * A lowstate chunk that cannot run as written. `saltInvocation` marks the refusals Salt itself
 * raises as SaltInvocationError (an unknown or disabled client), which salt-api answers with its
 * 400 error page; the others are salt-apid's own refusals of chunks on which salt-api fails with
 * its 500 envelope, so they are answered 400 in that envelope.
 */
export class InvalidRequestError extends SaltError {
  readonly saltInvocation: boolean;

  constructor(message: string, options: { saltInvocation?: boolean } = {}) {
    super('invalid', message);
    this.saltInvocation = options.saltInvocation ?? false;
  }
}

/** Authentication refused before anything reached the master (no credentials, raw_shell). */
export class NotAuthenticatedError extends SaltError {
  constructor(message: string) {
    super('auth', message);
  }
}

/** A value the msgpack encoder refuses: nested too deeply (or recursive), or too large. */
export class PackLimitError extends SaltError {
  constructor(message: string) {
    super('too-large', message);
  }
}

export class JobTimeoutError extends SaltError {
  constructor(
    readonly jid: string,
    readonly timeoutMs: number,
  ) {
    super('job-timeout', `job ${jid} did not return within ${timeoutMs / 1000} s`);
  }
}

export class NotImplementedHereError extends SaltError {
  constructor(message: string) {
    super('not-implemented', message);
  }
}

export class BadReplyError extends SaltError {
  constructor(
    readonly command: string,
    readonly reply: unknown,
  ) {
    super('bad-reply', `the master answered '${command}' with ${describe(reply)}`);
  }
}

export class SlowConsumerError extends SaltError {
  constructor(readonly queueLimit: number) {
    super('slow-consumer', `event consumer fell more than ${queueLimit} events behind and was cut off`);
  }
}

export class ClosedError extends SaltError {
  constructor(what: string) {
    super('closed', `${what} is closed`);
  }
}

function describe(reply: unknown): string {
  if (typeof reply === 'string') return JSON.stringify(reply.length > 200 ? `${reply.slice(0, 200)}…` : reply);
  if (reply === null || reply === undefined) return 'nothing';
  if (reply instanceof Uint8Array) return `${reply.length} raw bytes`;
  if (Array.isArray(reply)) return `a list of ${reply.length}`;
  if (typeof reply === 'object') return `a map with keys [${Object.keys(reply).slice(0, 10).join(', ')}]`;
  // Objects are handled above; what is left is a primitive (the type is only narrowed to `{}`).
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  return String(reply);
}
