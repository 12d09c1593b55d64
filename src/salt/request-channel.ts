import { Request } from 'zeromq';
import type { Logger } from 'pino';
import { pack } from './codec/pack.js';
import { unpack } from './codec/unpack.js';
import type { SaltMap, SaltValue } from './codec/values.js';
import { BadReplyError, ClosedError, MasterTimeoutError, MasterUnavailableError } from './errors.js';
import { errorCode } from '../error-fields.js';

/**
 * Clear requests to the master's ret_port (docs/wire-protocol.md "Request channel"): ZeroMQ REQ
 * sockets, one request in flight per socket (the protocol has no request id), pooled so concurrent
 * requests do not queue behind each other. A socket whose reply never came is stuck in REQ
 * lockstep: it is closed and replaced. `correlate`/`relaxed` must stay off: the master's router
 * drops them.
 */
export interface RequestChannelOptions {
  /** e.g. `tcp://127.0.0.1:4506` */
  endpoint: string;
  /** Upper bound of open REQ sockets, i.e. of requests in flight at once. */
  maxSockets?: number;
  /** Default time allowed for one request, from the call to the decoded reply. */
  timeoutMs?: number;
  /** How long to wait for a connection to the master before answering "unavailable". */
  connectTimeoutMs?: number;
  logger?: Logger;
}

export interface RequestOptions {
  timeoutMs?: number;
}

/** How one request ended, for metrics. */
export type RequestOutcome = 'ok' | 'timeout' | 'unavailable' | 'error';

/** Told of every request when it ends: the command, its duration and its outcome. */
export type RequestObserver = (command: string, seconds: number, outcome: RequestOutcome) => void;

export interface RequestChannelStats {
  endpoint: string;
  open: number;
  idle: number;
  waiting: number;
  requests: number;
  timeouts: number;
  unavailable: number;
}

const CLEAR_VERSION = 3;

export function encodeClearRequest(load: SaltMap): Buffer {
  return pack({ enc: 'clear', load, version: CLEAR_VERSION }, { useBinType: false });
}

function isEagain(err: unknown): boolean {
  return errorCode(err) === 'EAGAIN';
}

export class RequestChannel {
  readonly endpoint: string;
  private readonly maxSockets: number;
  private readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly logger: Logger | undefined;
  private readonly idle: Request[] = [];
  private readonly waiters: Array<{ resolve: (sock: Request) => void; reject: (err: Error) => void }> = [];
  private open = 0;
  private closed = false;
  private counters = { requests: 0, timeouts: 0, unavailable: 0 };
  /** When the master last answered (performance.now() scale); undefined before its first answer. */
  #lastReplyAt: number | undefined;
  private observer: RequestObserver | undefined;

  constructor(options: RequestChannelOptions) {
    this.endpoint = options.endpoint;
    this.maxSockets = options.maxSockets ?? 64;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
    this.logger = options.logger;
  }

  get lastReplyAt(): number | undefined {
    return this.#lastReplyAt;
  }

  /** Sets the one observer told of every request's end (metrics). */
  observe(observer: RequestObserver | undefined): void {
    this.observer = observer;
  }

  /** Sends `{enc: "clear", load, version: 3}` and returns the decoded reply. */
  async request(load: SaltMap, options: RequestOptions = {}): Promise<SaltValue> {
    const command = typeof load['cmd'] === 'string' ? load['cmd'] : '?';
    const started = performance.now();
    let outcome: RequestOutcome = 'error';
    try {
      const reply = await this.exchange(load, command, options);
      outcome = 'ok';
      this.#lastReplyAt = performance.now();
      return reply;
    } catch (err) {
      if (err instanceof MasterTimeoutError) outcome = 'timeout';
      else if (err instanceof MasterUnavailableError) outcome = 'unavailable';
      throw err;
    } finally {
      this.observer?.(command, (performance.now() - started) / 1000, outcome);
    }
  }

  private async exchange(load: SaltMap, command: string, options: RequestOptions): Promise<SaltValue> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const deadline = Date.now() + timeoutMs;
    const payload = encodeClearRequest(load);
    this.counters.requests++;
    const sock = await this.acquire(deadline, command, timeoutMs);
    let reusable = true;
    try {
      const connectWait = Math.max(1, Math.min(this.connectTimeoutMs, deadline - Date.now()));
      sock.sendTimeout = connectWait;
      try {
        await sock.send(payload);
      } catch (err) {
        // With `immediate`, a send only queues on a completed connection: EAGAIN means none.
        if (isEagain(err)) {
          this.counters.unavailable++;
          throw new MasterUnavailableError(`no connection to ${this.endpoint} within ${connectWait} ms`);
        }
        reusable = false;
        throw err;
      }
      sock.receiveTimeout = Math.max(1, deadline - Date.now());
      let frames: Buffer[];
      try {
        frames = await sock.receive();
      } catch (err) {
        reusable = false;
        if (isEagain(err)) {
          this.counters.timeouts++;
          throw new MasterTimeoutError(command, timeoutMs);
        }
        throw err;
      }
      const frame = frames[frames.length - 1];
      if (frame === undefined) throw new BadReplyError(command, undefined);
      try {
        return unpack(frame);
      } catch (err) {
        throw new BadReplyError(command, `${frame.length} bytes that are not msgpack (${String(err)})`);
      }
    } finally {
      if (reusable) this.release(sock);
      else this.discard(sock);
    }
  }

  stats(): RequestChannelStats {
    return {
      endpoint: this.endpoint,
      open: this.open,
      idle: this.idle.length,
      waiting: this.waiters.length,
      ...this.counters,
    };
  }

  close(): void {
    this.closed = true;
    for (const sock of this.idle.splice(0)) sock.close();
    for (const waiter of this.waiters.splice(0)) waiter.reject(new ClosedError('request channel'));
  }

  private acquire(deadline: number, command: string, timeoutMs: number): Promise<Request> {
    if (this.closed) return Promise.reject(new ClosedError('request channel'));
    const ready = this.idle.pop();
    if (ready) return Promise.resolve(ready);
    if (this.open < this.maxSockets) return Promise.resolve(this.create());
    return new Promise<Request>((resolve, reject) => {
      const waiter = {
        resolve: (sock: Request) => {
          clearTimeout(timer);
          resolve(sock);
        },
        reject: (err: Error) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const timer = setTimeout(
        () => {
          const at = this.waiters.indexOf(waiter);
          if (at >= 0) this.waiters.splice(at, 1);
          this.counters.timeouts++;
          reject(new MasterTimeoutError(command, timeoutMs));
        },
        Math.max(1, deadline - Date.now()),
      );
      this.waiters.push(waiter);
    });
  }

  private create(): Request {
    const sock = new Request({ linger: 0, immediate: true, reconnectInterval: 100, reconnectMaxInterval: 1_000 });
    sock.connect(this.endpoint);
    this.open++;
    return sock;
  }

  private release(sock: Request): void {
    const waiter = this.waiters.shift();
    if (waiter) return waiter.resolve(sock);
    if (this.closed) return this.discard(sock);
    this.idle.push(sock);
  }

  private discard(sock: Request): void {
    sock.close();
    this.open--;
    this.logger?.debug({ endpoint: this.endpoint }, 'discarded a request socket');
    const waiter = this.waiters.shift();
    if (waiter && !this.closed) waiter.resolve(this.create());
    else if (waiter) waiter.reject(new ClosedError('request channel'));
  }
}
