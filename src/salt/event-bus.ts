import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { BusStatusFeed, type BusStatus } from './bus-status.js';
import type { SaltValue } from './codec/values.js';
import { ClosedError, MasterUnavailableError } from './errors.js';
import { EventFrameReader, type EventFraming, type EventIdentifier, type SaltEvent } from './event-frame.js';
import {
  describeAddress,
  EventPull,
  openSocket,
  PROBE_TAG_PREFIX,
  type BusAddress,
  type PublisherView,
} from './event-pull.js';
import { Subscription, type SubscriptionOptions } from './subscription.js';

/**
 * The master event bus (docs/wire-protocol.md "Event bus"): one connection to the publisher socket
 * shared by every consumer, and a connection to the pull socket for firing events. Reconnects with
 * backoff when the master goes away; subscriptions survive reconnects. Its connection changes are
 * read through `status()` and `closed()`; calls waiting on a job learn of a lost connection through
 * `onNextDisconnect()`.
 */

export type { BusStatus } from './bus-status.js';

export type { BusAddress } from './event-pull.js';

export interface EventBusOptions {
  pub: BusAddress;
  pull: BusAddress;
  /**
   * Framing of the pull socket; `auto` probes the master
   * (docs/wire-protocol.md "How salt-apid detects the framing").
   */
  pullFraming: EventFraming | 'auto';
  logger?: Logger;
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /** How long `auto` waits for its probe to come back on the publisher. */
  probeTimeoutMs?: number;
  /** How long `auto` waits for its bare probe before it also sends a length-prefixed one. */
  bareProbeMs?: number;
  /** Bytes allowed to wait unsent on the pull connection before fire() fails. */
  maxPullBacklog?: number;
  /** Names every event read (`SaltEvent.id`, event-id.ts); events have no id without it. */
  identify?: EventIdentifier;
  /**
   * A minion return whose `return` takes at least this many bytes keeps it packed, decoded only
   * when read or written (the JSON and YAML writers do that one minion at a time).
   */
  deferReturnsOver?: number;
}

export type BusState = 'connecting' | 'connected' | 'closed';

export interface EventBusStats {
  state: BusState;
  pubFraming: EventFraming | undefined;
  pullFraming: EventFraming | undefined;
  subscribers: number;
  eventsReceived: number;
  eventsFired: number;
  undecodableFrames: number;
  reconnects: number;
}

export class EventBus implements PublisherView {
  private readonly options: Required<Omit<EventBusOptions, 'logger' | 'identify' | 'deferReturnsOver'>> & {
    logger: Logger | undefined;
    identify: EventIdentifier | undefined;
    deferReturnsOver: number | undefined;
  };
  private readonly subscribers = new Set<Subscription>();
  private readonly taps = new Set<(event: SaltEvent) => void>();
  private pubSocket: Socket | undefined;
  private reader = new EventFrameReader();
  private busState: BusState = 'connecting';
  private backoffMs: number;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly pull: EventPull;
  private connectionCount = 0;
  private started = false;
  private counters = { eventsReceived: 0, eventsFired: 0, undecodableFrames: 0, reconnects: 0 };
  /** Publisher connection attempts since the last success. */
  private attempts = 0;
  private readonly feed: BusStatusFeed;
  private readonly connectedWaiters = new Set<() => void>();

  constructor(options: EventBusOptions) {
    this.options = {
      reconnectInitialMs: 50,
      reconnectMaxMs: 1_000,
      probeTimeoutMs: 1_500,
      bareProbeMs: 250,
      maxPullBacklog: 8 * 1024 * 1024,
      ...options,
      logger: options.logger,
      identify: options.identify,
      deferReturnsOver: options.deferReturnsOver,
    };
    this.backoffMs = this.options.reconnectInitialMs;
    this.feed = new BusStatusFeed((err) =>
      this.options.logger?.error({ err }, 'a disconnect watcher of the event bus failed'),
    );
    const { pull, pullFraming, probeTimeoutMs, bareProbeMs, maxPullBacklog, logger } = this.options;
    this.pull = new EventPull({ pull, pullFraming, probeTimeoutMs, bareProbeMs, maxPullBacklog, logger }, this);
  }

  get state(): BusState {
    return this.busState;
  }

  /** Counts publisher connections, so that a probe spanning a reconnect is not believed. */
  get connections(): number {
    return this.connectionCount;
  }

  get connected(): boolean {
    return this.busState === 'connected';
  }

  /** The connection's changes from now on (`connected`, `disconnected`, `reconnecting`, `closed`). */
  status(): AsyncIterableIterator<BusStatus> {
    return this.feed.status();
  }

  /** Settles when the bus is closed: with the reason given to close(), if any. */
  closed(): Promise<void | Error> {
    return this.feed.closed();
  }

  /**
   * Calls `watcher` once when the publisher connection is next lost (the events a caller waits for
   * are lost with it); returns the function that cancels. Cheap enough for one per call in flight.
   */
  onNextDisconnect(watcher: () => void): () => void {
    return this.feed.onNextDisconnect(watcher);
  }

  /** Disconnect watchers waiting now. */
  get disconnectWatchers(): number {
    return this.feed.watchers;
  }

  /** Starts connecting (and reconnecting) to the publisher; returns at once. */
  start(): this {
    if (this.started) return this;
    this.started = true;
    this.connectPub();
    return this;
  }

  /** Resolves once connected to the publisher; rejects with MasterUnavailableError after `timeoutMs`. */
  waitConnected(timeoutMs: number): Promise<void> {
    if (this.busState === 'connected') return Promise.resolve();
    if (this.busState === 'closed') return Promise.reject(new ClosedError('event bus'));
    return new Promise((resolve, reject) => {
      const onConnected = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.connectedWaiters.delete(onConnected);
        reject(new MasterUnavailableError(`no event bus connection to ${describeAddress(this.options.pub)}`));
      }, timeoutMs);
      this.connectedWaiters.add(onConnected);
    });
  }

  /**
   * Calls `listener` with every event, synchronously and before any subscription receives it
   * (the replay ring numbers events this way). The listener must not block. Returns the removal.
   */
  tap(listener: (event: SaltEvent) => void): () => void {
    this.taps.add(listener);
    return () => this.taps.delete(listener);
  }

  subscribe(options: SubscriptionOptions = {}): Subscription {
    const sub = new Subscription(options, (s) => this.subscribers.delete(s));
    if (this.busState === 'closed') sub.close(new ClosedError('event bus'));
    else this.subscribers.add(sub);
    return sub;
  }

  /** Fires an event through the master's pull socket; the master republishes it to every listener. */
  async fire(tag: string, data: SaltValue): Promise<void> {
    if (this.busState === 'closed') throw new ClosedError('event bus');
    await this.pull.fire(tag, data);
    this.counters.eventsFired++;
  }

  stats(): EventBusStats {
    return {
      state: this.busState,
      pubFraming: this.reader.framing,
      pullFraming: this.pull.framing,
      subscribers: this.subscribers.size,
      ...this.counters,
    };
  }

  /** Ends every subscription and the status readers; `reason` is what closed() settles with. */
  close(reason?: Error): void {
    if (this.busState === 'closed') return;
    this.busState = 'closed';
    clearTimeout(this.reconnectTimer);
    this.pubSocket?.destroy();
    this.pull.close();
    for (const sub of [...this.subscribers]) sub.close();
    this.subscribers.clear();
    this.connectedWaiters.clear();
    const address = describeAddress(this.options.pub);
    this.feed.publish({ type: 'closed', data: reason ? { address, error: reason } : { address } });
  }

  private connectPub(): void {
    if (this.busState === 'closed') return;
    // Read into one buffer of the connection's own: the reader decodes each chunk before the next read.
    const sock = openSocket(this.options.pub, (chunk) => this.onData(sock, chunk));
    this.pubSocket = sock;
    this.reader = new EventFrameReader(this.options.identify, this.options.deferReturnsOver, true);
    sock.on('connect', () => {
      this.connectionCount++;
      this.busState = 'connected';
      this.backoffMs = this.options.reconnectInitialMs;
      this.attempts = 0;
      this.options.logger?.info({ pub: describeAddress(this.options.pub) }, 'connected to the master event bus');
      const waiters = [...this.connectedWaiters];
      this.connectedWaiters.clear();
      for (const waiter of waiters) waiter();
      this.publish('connected');
      this.pull.publisherConnected();
    });
    sock.on('error', (err) => {
      this.options.logger?.debug({ err, pub: describeAddress(this.options.pub) }, 'event bus connection error');
    });
    sock.on('close', () => this.onPubClosed(sock));
  }

  private onData(sock: Socket, chunk: Buffer): void {
    let results;
    try {
      results = this.reader.push(chunk);
    } catch (err) {
      this.options.logger?.error(
        { err, pub: describeAddress(this.options.pub) },
        'event bus stream is corrupt; reconnecting',
      );
      sock.destroy();
      return;
    }
    for (const result of results) {
      if ('error' in result) {
        this.counters.undecodableFrames++;
        this.options.logger?.warn({ err: result.error }, 'skipped an event whose data does not decode');
        continue;
      }
      this.counters.eventsReceived++;
      this.pull.publisherFramed(this.reader.framing);
      this.dispatch(result.event);
    }
  }

  private dispatch(event: SaltEvent): void {
    if (event.tag.startsWith(PROBE_TAG_PREFIX)) {
      this.pull.probeSeen(event.tag);
      return;
    }
    for (const tap of this.taps) tap(event);
    for (const sub of this.subscribers) sub.push(event);
  }

  private onPubClosed(sock: Socket): void {
    if (sock !== this.pubSocket || this.busState === 'closed') return;
    const wasConnected = this.busState === 'connected';
    this.busState = 'connecting';
    this.pubSocket = undefined;
    this.pull.reset();
    if (wasConnected) {
      this.options.logger?.warn({ pub: describeAddress(this.options.pub) }, 'lost the master event bus; reconnecting');
      this.publish('disconnected');
    }
    this.counters.reconnects++;
    this.attempts++;
    const address = describeAddress(this.options.pub);
    this.feed.publish({ type: 'reconnecting', data: { address, attempt: this.attempts, delayMs: this.backoffMs } });
    this.reconnectTimer = setTimeout(() => this.connectPub(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.reconnectMaxMs);
  }

  private publish(type: 'connected' | 'disconnected'): void {
    this.feed.publish({ type, data: { address: describeAddress(this.options.pub) } });
  }
}
