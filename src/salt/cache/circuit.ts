/**
 * A connection to a cache server that never keeps a request waiting on a server that is gone
 * (docs/decisions/0021-session-cache-outage.md). Connecting (with a first `PING`) has `connectMs`,
 * each operation `commandMs`; past either, or when the connection breaks, the circuit opens: every
 * operation fails at once with {@link CacheUnavailableError} while a new connection is tried in the
 * background every `retryMs`, and the first one that answers closes the circuit again. An error
 * the server itself answered (a Redis error reply) fails that operation only.
 */
import { errorMessage } from '../../error-fields.js';

export class CacheUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CacheUnavailableError';
  }
}

/** Timers the circuit uses (tests pass their own, to fire them when they choose). */
export interface CircuitTimers {
  /** Runs `task` after `ms`; the function returned cancels it. */
  after(ms: number, task: () => void): () => void;
}

export const REAL_TIMERS: CircuitTimers = {
  after(ms, task) {
    const timer = setTimeout(task, ms);
    // A retry or a deadline never keeps the process alive by itself.
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** A connection being opened: the handle (to drop it if it takes too long) and when it is usable. */
export interface Opening<C> {
  connection: C;
  ready: Promise<unknown>;
}

export interface CircuitDriver<C> {
  /** Starts a connection; `lost` is called with a reason when it breaks later. */
  open(lost: (reason: string) => void): Promise<Opening<C>>;
  /** Drops a connection at once; whatever waits on it fails. */
  drop(connection: C): void;
  ping(connection: C): Promise<unknown>;
  /** True for an error the server answered with: the connection is fine. */
  answered(error: unknown): boolean;
}

export interface CircuitOptions {
  connectMs: number;
  commandMs: number;
  retryMs: number;
  /** An operation that succeeded this recently answers a health check without a ping. */
  freshMs?: number;
  timers?: CircuitTimers;
  now?: () => number;
  /** Told when the circuit opens (`up` false, with the reason) and when it closes again. */
  onChange?: (up: boolean, reason: string | undefined) => void;
}

export type CacheVerdict = { up: true } | { up: false; reason: string };

export interface CircuitStatus {
  up: boolean;
  /** Operations that failed, those refused while the circuit was open included. */
  failures: number;
}

export class Circuit<C> {
  private connection: C | undefined;
  private connecting: Promise<C> | undefined;
  /** Why the circuit is open; undefined while it is closed (the server is believed up). */
  private down: string | undefined;
  private cancelRetry: (() => void) | undefined;
  private probing: Promise<CacheVerdict> | undefined;
  private lastOkAt: number | undefined;
  private failures = 0;
  private closed = false;
  private readonly timers: CircuitTimers;
  private readonly now: () => number;
  private readonly freshMs: number;

  constructor(
    private readonly driver: CircuitDriver<C>,
    private readonly options: CircuitOptions,
  ) {
    this.timers = options.timers ?? REAL_TIMERS;
    this.now = options.now ?? (() => performance.now());
    this.freshMs = options.freshMs ?? 10_000;
  }

  /** Runs `operation` on the connection, within `commandMs`; at once a failure while the circuit is open. */
  async run<T>(operation: (connection: C) => Promise<T>): Promise<T> {
    if (this.closed) throw new CacheUnavailableError('the cache connection is closed');
    if (this.down !== undefined) {
      this.failures++;
      throw new CacheUnavailableError(this.down);
    }
    const connection = await this.connected();
    try {
      const result = await this.within(operation(connection), this.options.commandMs, 'no answer');
      this.lastOkAt = this.now();
      return result;
    } catch (error) {
      this.failures++;
      if (this.driver.answered(error)) throw error;
      throw this.lose(connection, errorMessage(error));
    }
  }

  /** For readiness: open → down; an answer within `freshMs` → up; otherwise one shared ping decides. */
  async check(): Promise<CacheVerdict> {
    if (this.down !== undefined) return { up: false, reason: this.down };
    if (this.lastOkAt !== undefined && this.now() - this.lastOkAt < this.freshMs) return { up: true };
    this.probing ??= this.run((connection) => this.driver.ping(connection))
      .then(
        (): CacheVerdict => ({ up: true }),
        (error: unknown): CacheVerdict => ({ up: false, reason: this.down ?? errorMessage(error) }),
      )
      .finally(() => {
        this.probing = undefined;
      });
    return this.probing;
  }

  status(): CircuitStatus {
    return { up: this.down === undefined, failures: this.failures };
  }

  /** Drops the connection and stops retrying; every later operation fails. */
  close(): void {
    this.closed = true;
    this.cancelRetry?.();
    this.cancelRetry = undefined;
    if (this.connection !== undefined) this.driver.drop(this.connection);
    this.connection = undefined;
  }

  private connected(): Promise<C> {
    if (this.connection !== undefined) return Promise.resolve(this.connection);
    this.connecting ??= this.establish()
      .then(
        (connection) => {
          this.adopt(connection);
          return connection;
        },
        (error: unknown) => {
          this.failures++;
          throw this.open(errorMessage(error));
        },
      )
      .finally(() => {
        this.connecting = undefined;
      });
    return this.connecting;
  }

  /** A new connection that answered a ping, within `connectMs` and `commandMs`; dropped if it did not. */
  private async establish(): Promise<C> {
    let connection: C | undefined;
    const lost = (reason: string): void => {
      if (connection !== undefined && connection === this.connection) this.lose(connection, reason);
    };
    try {
      const opening = await this.driver.open(lost);
      connection = opening.connection;
      await this.within(opening.ready, this.options.connectMs, 'no connection');
      await this.within(this.driver.ping(connection), this.options.commandMs, 'no answer');
      return connection;
    } catch (error) {
      if (connection !== undefined) this.driver.drop(connection);
      throw error;
    }
  }

  private adopt(connection: C): void {
    if (this.closed) {
      this.driver.drop(connection);
      throw new CacheUnavailableError('the cache connection is closed');
    }
    this.connection = connection;
    this.lastOkAt = this.now();
  }

  /** The connection broke or hung: drop it and open the circuit. */
  private lose(connection: C, reason: string): CacheUnavailableError {
    if (connection === this.connection) this.connection = undefined;
    this.driver.drop(connection);
    return this.open(reason);
  }

  private open(reason: string): CacheUnavailableError {
    const wasUp = this.down === undefined;
    this.down = reason;
    if (wasUp && !this.closed) this.options.onChange?.(false, reason);
    this.scheduleRetry();
    return new CacheUnavailableError(reason);
  }

  private scheduleRetry(): void {
    if (this.cancelRetry !== undefined || this.closed) return;
    this.cancelRetry = this.timers.after(this.options.retryMs, () => {
      this.cancelRetry = undefined;
      void this.retry();
    });
  }

  private async retry(): Promise<void> {
    if (this.closed || this.down === undefined) return;
    try {
      const connection = await this.establish();
      this.adopt(connection);
    } catch (error) {
      if (this.closed) return;
      this.down = errorMessage(error);
      this.scheduleRetry();
      return;
    }
    this.down = undefined;
    this.options.onChange?.(true, undefined);
  }

  /** `work`, or a {@link CacheUnavailableError} once `ms` have passed without it settling. */
  private within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const cancel = this.timers.after(ms, () => reject(new CacheUnavailableError(`${what} within ${ms} ms`)));
      work.then(
        (value) => {
          cancel();
          resolve(value);
        },
        (error: unknown) => {
          cancel();
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }
}
