/**
 * How the event bus tells its users about its connection, in the manner of nats.js
 * (`status()`, `closed()`): an async iterator of status changes per reader, a promise settled when
 * the bus is closed, and one-shot disconnect watchers for the many calls waiting on a job. A
 * watcher is a Set entry, not an event listener: adding and removing one costs O(1) whatever the
 * number of calls in flight, and a finished call leaves nothing behind.
 */

export type BusStatus =
  | { type: 'connected'; data: { address: string } }
  | { type: 'disconnected'; data: { address: string } }
  | { type: 'reconnecting'; data: { address: string; attempt: number; delayMs: number } }
  | { type: 'closed'; data: { address: string; error?: Error } };

/** Status changes a reader may fall behind by; older ones are dropped first. */
const MAX_QUEUED_STATUSES = 64;

/** One reader's view of the status changes: bounded, ends after `closed`. */
class StatusStream implements AsyncIterableIterator<BusStatus> {
  private readonly queue: BusStatus[] = [];
  private waiter: ((result: IteratorResult<BusStatus>) => void) | undefined;
  private done = false;

  constructor(private readonly onEnd: (stream: StatusStream) => void) {}

  push(status: BusStatus): void {
    if (this.done) return;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter({ value: status, done: false });
      return;
    }
    this.queue.push(status);
    if (this.queue.length > MAX_QUEUED_STATUSES) this.queue.shift();
  }

  /** No more statuses; those queued are still read. */
  end(): void {
    if (this.done) return;
    this.done = true;
    this.onEnd(this);
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<BusStatus>> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve({ value: queued, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  return(): Promise<IteratorResult<BusStatus>> {
    this.queue.length = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<BusStatus> {
    return this;
  }
}

export class BusStatusFeed {
  private readonly readers = new Set<StatusStream>();
  private readonly disconnectWatchers = new Set<() => void>();
  private readonly closedPromise: Promise<void | Error>;
  private settleClosed: (outcome: void | Error) => void = () => {};
  private ended = false;

  constructor(private readonly onWatcherError: (err: unknown) => void) {
    this.closedPromise = new Promise((resolve) => {
      this.settleClosed = resolve;
    });
  }

  /** A new reader of the status changes from now on; it ends once the bus is closed. */
  status(): AsyncIterableIterator<BusStatus> {
    const stream = new StatusStream((s) => this.readers.delete(s));
    if (this.ended) stream.end();
    else this.readers.add(stream);
    return stream;
  }

  closed(): Promise<void | Error> {
    return this.closedPromise;
  }

  /** Disconnect watchers waiting now. */
  get watchers(): number {
    return this.disconnectWatchers.size;
  }

  /**
   * Calls `watcher` once, when the connection is next lost; the returned function cancels. The
   * bus closing drops every watcher without calling it (its subscriptions end instead).
   */
  onNextDisconnect(watcher: () => void): () => void {
    if (this.ended) return () => {};
    // A function of its own, so that one watcher added twice is still called twice.
    const entry = (): void => watcher();
    this.disconnectWatchers.add(entry);
    return () => this.disconnectWatchers.delete(entry);
  }

  publish(status: BusStatus): void {
    if (this.ended) return;
    for (const reader of this.readers) reader.push(status);
    if (status.type === 'disconnected') this.notifyDisconnect();
    if (status.type === 'closed') this.end(status.data.error);
  }

  private notifyDisconnect(): void {
    const watchers = [...this.disconnectWatchers];
    this.disconnectWatchers.clear();
    for (const watcher of watchers) {
      try {
        watcher();
      } catch (err) {
        this.onWatcherError(err);
      }
    }
  }

  private end(error: Error | undefined): void {
    this.ended = true;
    this.disconnectWatchers.clear();
    for (const reader of [...this.readers]) reader.end();
    this.settleClosed(error);
  }
}
