import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { SaltValue } from './codec/values.js';
import { MasterUnavailableError } from './errors.js';
import { encodeEventFrame, type EventFraming } from './event-frame.js';

/**
 * The master's pull socket (`master_event_pull.ipc`): where salt-apid fires events, which the
 * master republishes to every reader of its publisher. One connection, reopened when it drops,
 * and the socket's framing learned from the master itself when configured `auto`
 * (docs/wire-protocol.md "How salt-apid detects the framing").
 */

export type BusAddress = { path: string } | { host: string; port: number };

/** Tags of the framing probes: the publisher side hands them here and to nobody else. */
export const PROBE_TAG_PREFIX = 'salt/apid/probe/';

export function describeAddress(address: BusAddress): string {
  return 'path' in address ? address.path : `${address.host}:${address.port}`;
}

/** Bytes a connection given `onChunk` reads at a time, into one buffer of its own. */
const READ_BUFFER_BYTES = 64 * 1024;

/**
 * A connection to the bus. With `onChunk`, what arrives is read into one buffer of the connection's
 * own, read into again each time (a chunk is valid only during its call), instead of a new 64 KB
 * buffer a read: a 100 MB answer's returns then leave no trail of freed read buffers behind them.
 */
export function openSocket(address: BusAddress, onChunk?: (chunk: Buffer) => void): Socket {
  const target = 'path' in address ? { path: address.path } : { host: address.host, port: address.port };
  if (onChunk === undefined) return connect(target);
  const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  const onread = {
    buffer,
    callback: (bytes: number): boolean => {
      onChunk(buffer.subarray(0, bytes));
      return true;
    },
  };
  return connect({ ...target, onread });
}

/** What the pull side needs to know of the publisher connection. */
export interface PublisherView {
  /** Resolves once the publisher is connected; rejects after `timeoutMs`. */
  waitConnected(timeoutMs: number): Promise<void>;
  /** Counts publisher connections, so that a probe spanning a reconnect is not believed. */
  readonly connections: number;
  readonly connected: boolean;
}

export interface EventPullOptions {
  pull: BusAddress;
  pullFraming: EventFraming | 'auto';
  /** How long `auto` waits for its probe to come back on the publisher. */
  probeTimeoutMs: number;
  /** How long `auto` waits for its bare probe before it also sends a length-prefixed one. */
  bareProbeMs: number;
  /** Bytes allowed to wait unsent on the pull connection before fire() fails. */
  maxPullBacklog: number;
  logger: Logger | undefined;
}

export class EventPull {
  private socket: Socket | undefined;
  private framingKnown: EventFraming | undefined;
  private probing: Promise<EventFraming> | undefined;
  private readonly probeListeners = new Set<(tag: string) => void>();

  constructor(
    private readonly options: EventPullOptions,
    private readonly publisher: PublisherView,
  ) {
    if (options.pullFraming !== 'auto') this.framingKnown = options.pullFraming;
  }

  get framing(): EventFraming | undefined {
    return this.framingKnown;
  }

  /** Encodes and writes one event; fails when the master does not read what was sent before. */
  async fire(tag: string, data: SaltValue): Promise<void> {
    const framing = this.framingKnown ?? (await this.learnFraming());
    const sock = await this.connection();
    if (sock.writableLength > this.options.maxPullBacklog) {
      throw new MasterUnavailableError(`the master is not reading ${describeAddress(this.options.pull)}`);
    }
    const frame = encodeEventFrame(tag, data, framing);
    await new Promise<void>((resolve, reject) => {
      sock.write(frame, (err) =>
        err
          ? reject(
              new MasterUnavailableError(`writing to ${describeAddress(this.options.pull)} failed`, { cause: err }),
            )
          : resolve(),
      );
    });
  }

  /** The publisher connected: learn the pull framing now, so that the first fire() finds it known. */
  publisherConnected(): void {
    if (this.framingKnown === undefined) void this.learnFraming().catch(() => undefined);
  }

  /** The publisher's frames are length-prefixed: so are the puller's (3006.26+). */
  publisherFramed(framing: EventFraming | undefined): void {
    if (framing === 'len32' && this.framingKnown === undefined) this.framingKnown = 'len32';
  }

  /** A probe's event came back on the publisher. */
  probeSeen(tag: string): void {
    for (const listener of this.probeListeners) listener(tag);
  }

  /** The publisher went away: so does this connection, and the master may be another release now. */
  reset(): void {
    this.socket?.destroy();
    this.socket = undefined;
    if (this.options.pullFraming === 'auto') this.framingKnown = undefined;
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
    this.probeListeners.clear();
  }

  private connection(): Promise<Socket> {
    const existing = this.socket;
    if (existing && !existing.destroyed && !existing.connecting) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const sock = existing && !existing.destroyed ? existing : openSocket(this.options.pull);
      this.socket = sock;
      if (!sock.connecting) return resolve(sock);
      const onError = (err: Error): void => {
        sock.off('connect', onConnect);
        if (this.socket === sock) this.socket = undefined;
        reject(new MasterUnavailableError(`cannot connect to ${describeAddress(this.options.pull)}`, { cause: err }));
      };
      const onConnect = (): void => {
        sock.off('error', onError);
        sock.on('error', (err) => this.options.logger?.debug({ err }, 'event pull connection error'));
        sock.on('close', () => {
          if (this.socket === sock) this.socket = undefined;
        });
        resolve(sock);
      };
      sock.once('error', onError);
      sock.once('connect', onConnect);
    });
  }

  /**
   * Learns the framing of the master's pull socket without a stall and without an error in the
   * master's log. A bare frame is harmless to either reader: a bare master republishes it, a
   * length-prefix master takes its first bytes as a ~2 GB length and waits in silence until the
   * probe connection is closed. So the bare probe goes first; only when it has not come back after
   * `bareProbeMs` does a prefixed probe follow (which a bare master would log as an exception, so
   * only a bare master slower than that ever sees one). The first probe to come back decides.
   *
   * A probe that comes back late still decides: a master whose bus is behind (10,000 returns
   * arriving at once) may take longer than `probeTimeoutMs` to republish it, and guessing then would
   * send every later event in a framing that master may drop without a word. So the probes go out
   * again, up to {@link PROBE_ROUNDS} rounds, any of them answering; after that, fire() fails (the
   * caller gets a 503) and the next one asks again.
   */
  private learnFraming(): Promise<EventFraming> {
    this.probing ??= this.runProbe().finally(() => {
      this.probing = undefined;
    });
    return this.probing;
  }

  private async runProbe(): Promise<EventFraming> {
    /** Every probe of this run, by tag: whichever comes back, however late, tells the framing. */
    const sent = new Map<string, EventFraming>();
    const echo = new ProbeEcho(sent);
    this.probeListeners.add(echo.listener);
    try {
      for (let round = 1; ; round++) {
        await this.publisher.waitConnected(this.options.probeTimeoutMs);
        if (this.framingKnown) return this.framingKnown;
        const connection = this.publisher.connections;
        const seen = await this.probeOnce(sent, echo);
        if (this.framingKnown) return this.framingKnown;
        // The master went away meanwhile (and may be another release now): ask the new one.
        if (connection !== this.publisher.connections || !this.publisher.connected) {
          echo.forget();
          continue;
        }
        if (seen !== undefined) {
          this.framingKnown = seen;
          this.options.logger?.info({ framing: seen, rounds: round }, 'learned the master event pull framing');
          return seen;
        }
        if (round >= PROBE_ROUNDS) {
          throw new MasterUnavailableError(
            `the master did not republish a framing probe fired into ${describeAddress(this.options.pull)} ` +
              `within ${(PROBE_ROUNDS * this.options.probeTimeoutMs) / 1000} s: no event is fired until it does`,
          );
        }
        this.options.logger?.warn(
          { round, pull: describeAddress(this.options.pull) },
          'no framing probe came back from the master yet (is its event bus behind?): probing again',
        );
      }
    } finally {
      this.probeListeners.delete(echo.listener);
    }
  }

  /** One bare probe, then a prefixed one: the framing of the first probe of this run to come back, if any. */
  private async probeOnce(sent: Map<string, EventFraming>, echo: ProbeEcho): Promise<EventFraming | undefined> {
    const connections: Socket[] = [];
    const send = (framing: EventFraming): void => {
      const tag = probeTag();
      sent.set(tag, framing);
      const sock = openSocket(this.options.pull);
      sock.on('error', () => undefined);
      sock.write(encodeEventFrame(tag, {}, framing));
      connections.push(sock);
    };
    const timers: NodeJS.Timeout[] = [];
    const seen = await new Promise<EventFraming | undefined>((resolve) => {
      echo.onSeen = resolve;
      if (echo.seen !== undefined) return resolve(echo.seen);
      timers.push(setTimeout(() => resolve(undefined), this.options.probeTimeoutMs));
      timers.push(setTimeout(() => this.framingKnown ?? echo.seen ?? send('len32'), this.options.bareProbeMs));
      send('bare');
    });
    echo.onSeen = undefined;
    for (const timer of timers) clearTimeout(timer);
    for (const sock of connections) sock.destroy();
    return seen;
  }
}

/** Rounds of probes before fire() gives up (each waits `probeTimeoutMs`). */
const PROBE_ROUNDS = 8;

/** What came back of one run's probes: the first framing seen, and who waits for it. */
class ProbeEcho {
  seen: EventFraming | undefined;
  onSeen: ((framing: EventFraming) => void) | undefined;

  constructor(private readonly sent: Map<string, EventFraming>) {}

  readonly listener = (tag: string): void => {
    const framing = this.sent.get(tag);
    if (framing === undefined) return;
    this.seen ??= framing;
    this.onSeen?.(this.seen);
  };

  /** A new master connection: what the old one echoed says nothing of the new one. */
  forget(): void {
    this.sent.clear();
    this.seen = undefined;
  }
}

function probeTag(): string {
  return `${PROBE_TAG_PREFIX}${randomBytes(8).toString('hex')}`;
}
