import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { ClosedError } from '../errors.js';
import type { SaltEvent } from '../event-frame.js';
import { Subscription, type SubscriptionOptions } from '../subscription.js';
import type { FeedReaderOptions } from './feed-reader.js';
import { FedEvent, type FedEventWire, type FeedMessage, type FeedRequest } from './fed-event.js';

/**
 * The events of the bus for the streams (`/events`, `/ws`), read in a thread of their own
 * (decision 0033). A 10,000-minion answer puts 10,000 returns on the bus in a second or two;
 * read on the main thread with everything else, the streams' events wait behind all of them.
 * The feed's thread keeps its own connection to the publisher, decodes and names each event and
 * writes its JSON (feed-reader.ts); the main thread only hands what arrives to the streams.
 *
 * Subscriptions and taps work as on the EventBus: in bus order, each subscription with its bounded
 * queue. The thread starts with the first consumer (decision 0036): a salt-apid that nobody streams
 * from reads the bus once, not twice. It is started again (after a second) if it ever dies; the
 * events of that second are lost to the streams, and the log says so.
 */
export interface StreamFeedOptions extends FeedReaderOptions {
  logger?: Logger | undefined;
  /**
   * Node.js options of the thread (by default this process's). From TypeScript sources (the tests)
   * the thread needs a loader for them (`--import <loader>`), without which there is no feed.
   */
  execArgv?: string[] | undefined;
  /** How long after the thread died it is started again. */
  restartMs?: number;
}

/** How long {@link StreamFeed.ready} waits at most, from the thread's start, for its first word on the bus. */
const FIRST_WORD_TIMEOUT_MS = 5_000;

export interface StreamFeedStats {
  /** Whether the thread was started: by the first stream (or the replay ring), never before. */
  started: boolean;
  connected: boolean;
  /** Subscriptions open (the streams'). */
  subscribers: number;
  restarts: number;
}

/**
 * Where the thread's code is, beside this module: one file of the start-up bundle, the file tsc
 * wrote, or (tests) the TypeScript source.
 */
const SCRIPT_NAMES = ['./stream-feed-worker.mjs', './worker.js', './worker.ts'];

function workerScript(): URL | undefined {
  for (const name of SCRIPT_NAMES) {
    const url = new URL(name, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url;
  }
  return undefined;
}

/** Node.js options that load modules: the thread's code may need them. */
const MODULE_OPTION = /^(-r|--(import|require|loader|experimental-loader))(=|$)/;
/** Of those, the ones that install ES module hooks (a loader of TypeScript sources is one). */
const LOADER_OPTION = /^--(import|loader|experimental-loader)(=|$)/;

/**
 * Whether this process loads TypeScript through a loader of its own (`--import` or `--loader`: ES module
 * hooks), which the thread then inherits. A `--require` alone (vitest's workers have one) is no loader:
 * the thread would load its `.ts` file without one and fail.
 */
function hasLoader(execArgv: readonly string[]): boolean {
  return execArgv.some((arg) => LOADER_OPTION.test(arg));
}

/**
 * The Node.js options the thread is started with: of this process's, only those that load modules
 * (`--import`, `--require`, `--loader`, with their values), which the thread's code may need. Node
 * refuses a thread V8's options (the launcher's `--max-semi-space-size`: V8 sizes the heaps per
 * process), and the others concern the process, not a thread.
 */
export function threadExecArgv(execArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (!MODULE_OPTION.test(arg)) continue;
    kept.push(arg);
    if (!arg.includes('=') && i + 1 < execArgv.length) kept.push(execArgv[++i]!);
  }
  return kept;
}

/** The feed's thread, as the feed uses it: a worker_threads Worker (the tests put a FeedReader behind a stand-in). */
export interface FeedThread {
  postMessage(request: FeedRequest): void;
  on(event: 'message', listener: (message: FeedMessage) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  terminate(): Promise<number>;
}

/** Starts a thread reading the bus with these options. */
export type FeedThreadStarter = (options: FeedReaderOptions) => FeedThread;

/** A subscription or a tap, as the feed delivers to it. */
interface Consumer {
  deliver: (event: SaltEvent) => void;
  tags: readonly string[] | null;
  /** Until the thread has answered its `want`, it is given nothing. */
  pending: boolean;
  /** It is given the events numbered after this (what the answer to its `want` covered). */
  after: number;
}

export class StreamFeed {
  /** Taps first, then subscriptions, each in the order they came (as the EventBus hands them an event). */
  private readonly taps = new Map<number, Consumer>();
  private readonly subscribers = new Map<number, Consumer>();
  private readonly subscriptions = new Set<Subscription>();
  private nextConsumer = 1;
  /** The number of the last event the thread said it read. */
  private lastSeq = 0;
  /**
   * While a consumer waits for the answer to its `want`, the events made meanwhile, by number: the
   * answer reuses them (the replay ring knows events by identity). Emptied when nobody waits.
   */
  private readonly recent = new Map<number, FedEvent>();
  private waiting = 0;
  private worker: FeedThread | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private isConnected = false;
  private readonly counters = { restarts: 0 };
  /** Settled once the first thread has connected, failed to, or stopped: see {@link ready}. */
  private firstWord: { promise: Promise<void>; settle: () => void } | undefined;

  /**
   * A feed on threads that `startThread` starts (the tests' stand-in); {@link StreamFeed.start} starts
   * Workers. No thread runs until the first subscription or tap.
   */
  constructor(
    private readonly startThread: FeedThreadStarter,
    private readonly options: StreamFeedOptions,
  ) {}

  /**
   * Starts the feed's thread, or answers undefined when it cannot run here (no thread code beside
   * this module, or TypeScript sources without a loader): the streams then read the main connection.
   */
  static start(options: StreamFeedOptions): StreamFeed | undefined {
    const script = workerScript();
    if (script === undefined) return undefined;
    const execArgv = threadExecArgv(options.execArgv ?? process.execArgv);
    if (script.pathname.endsWith('.ts') && !hasLoader(execArgv)) return undefined;
    const starter: FeedThreadStarter = (workerData) =>
      new Worker(script, { workerData, execArgv, name: 'stream-feed' });
    return new StreamFeed(starter, options);
  }

  get connected(): boolean {
    return this.isConnected;
  }

  /** Whether the thread was started (by the first consumer). */
  get started(): boolean {
    return this.firstWord !== undefined;
  }

  /**
   * Starts the thread if none was, and resolves once its first connection to the bus is made, or
   * has failed, or the thread stopped (at once after that): a stream that waits for it before its
   * client may act misses none of the events the client then causes. Bounded by
   * FIRST_WORD_TIMEOUT_MS from the thread's start.
   */
  ready(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.firstWord ??= this.startFirstThread();
    return this.firstWord.promise;
  }

  /** Calls `listener` with every event, before any subscription receives it (EventBus.tap). */
  tap(listener: (event: SaltEvent) => void): () => void {
    const id = this.add(this.taps, listener, null);
    return () => this.remove(this.taps, id);
  }

  subscribe(options: SubscriptionOptions = {}): Subscription {
    let id = 0;
    const sub = new Subscription(options, (s) => {
      this.subscriptions.delete(s);
      this.remove(this.subscribers, id);
    });
    if (this.closed) {
      sub.close(new ClosedError('event stream feed'));
      return sub;
    }
    this.subscriptions.add(sub);
    id = this.add(this.subscribers, (event) => sub.push(event), options.tags ?? null);
    return sub;
  }

  stats(): StreamFeedStats {
    return {
      started: this.started,
      connected: this.isConnected,
      subscribers: this.subscribers.size,
      ...this.counters,
    };
  }

  /** Stops the thread and ends every subscription. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.restartTimer);
    this.firstWord?.settle();
    for (const sub of [...this.subscriptions]) sub.close();
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private add(to: Map<number, Consumer>, deliver: (event: SaltEvent) => void, tags: readonly string[] | null): number {
    if (!this.closed) this.firstWord ??= this.startFirstThread();
    const id = this.nextConsumer++;
    to.set(id, { deliver, tags, pending: true, after: 0 });
    this.waiting++;
    this.request({ type: 'want', consumer: id, tags, after: this.lastSeq });
    return id;
  }

  private remove(from: Map<number, Consumer>, id: number): void {
    const consumer = from.get(id);
    if (consumer === undefined) return;
    from.delete(id);
    if (consumer.pending) this.answered();
    this.request({ type: 'unwant', consumer: id });
  }

  /** One consumer fewer waits for its answer. */
  private answered(): void {
    if (--this.waiting === 0) this.recent.clear();
  }

  private request(request: FeedRequest): void {
    this.worker?.postMessage(request);
  }

  /** Starts the thread; the promise settles at its first word, or FIRST_WORD_TIMEOUT_MS later at most. */
  private startFirstThread(): { promise: Promise<void>; settle: () => void } {
    let settle = (): void => {};
    const promise = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const timer = setTimeout(settle, FIRST_WORD_TIMEOUT_MS).unref();
    void promise.then(() => clearTimeout(timer));
    this.spawn();
    return { promise, settle };
  }

  private spawn(): void {
    const { pub, identity, reconnectInitialMs, reconnectMaxMs } = this.options;
    const worker = this.startThread({
      pub,
      ...(identity !== undefined && { identity }),
      ...(reconnectInitialMs !== undefined && { reconnectInitialMs }),
      ...(reconnectMaxMs !== undefined && { reconnectMaxMs }),
    });
    this.worker = worker;
    // A new thread numbers from 1 again, and knows nobody: every consumer asks again.
    this.lastSeq = 0;
    this.recent.clear();
    this.waiting = 0;
    for (const [id, consumer] of [...this.taps, ...this.subscribers]) {
      consumer.pending = true;
      this.waiting++;
      this.request({ type: 'want', consumer: id, tags: consumer.tags, after: 0 });
    }
    worker.on('message', (message: FeedMessage) => this.onMessage(message));
    worker.on('error', (err) => this.options.logger?.error({ err }, 'the event stream feed failed'));
    worker.on('exit', (code) => {
      this.isConnected = false;
      this.firstWord?.settle();
      if (this.closed || worker !== this.worker) return;
      this.counters.restarts++;
      const restartMs = this.options.restartMs ?? 1_000;
      this.options.logger?.error(
        { code, restartMs },
        'the event stream feed stopped; the streams miss events until it is started again',
      );
      this.restartTimer = setTimeout(() => this.spawn(), restartMs);
    });
  }

  private onMessage(message: FeedMessage): void {
    switch (message.type) {
      case 'events':
        this.lastSeq = message.seq;
        if (message.events.length === 0) return;
        for (const wire of message.events) this.dispatch(this.eventOf(wire));
        // Told after the events went to the streams: a main thread that falls behind holds the thread back.
        this.request({ type: 'taken', messages: 1 });
        return;
      case 'wanted': {
        const consumer = this.taps.get(message.consumer) ?? this.subscribers.get(message.consumer);
        if (!consumer?.pending) return;
        for (const wire of message.events) consumer.deliver(this.eventOf(wire));
        consumer.pending = false;
        consumer.after = message.upTo;
        this.answered();
        return;
      }
      case 'connected':
        this.isConnected = true;
        this.firstWord?.settle();
        return;
      case 'disconnected':
        this.isConnected = false;
        this.firstWord?.settle();
        this.options.logger?.warn({ pub: message.address }, 'the event stream feed lost the bus; reconnecting');
        return;
      case 'failed':
        this.firstWord?.settle();
        this.options.logger?.error({ reason: message.message }, 'the event stream feed reconnects');
    }
  }

  /** The event of a wire, made once: the same object whichever consumer gets it. */
  private eventOf(wire: FedEventWire): FedEvent {
    let event = this.recent.get(wire.seq);
    if (event === undefined) {
      event = new FedEvent(wire);
      if (this.waiting > 0) this.recent.set(wire.seq, event);
    }
    return event;
  }

  private dispatch(event: FedEvent): void {
    for (const consumer of this.taps.values()) {
      if (!consumer.pending && event.seq > consumer.after) consumer.deliver(event);
    }
    for (const consumer of this.subscribers.values()) {
      if (!consumer.pending && event.seq > consumer.after) consumer.deliver(event);
    }
  }
}
