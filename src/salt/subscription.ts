import { SlowConsumerError } from './errors.js';
import type { SaltEvent } from './event-frame.js';
import type { TagMatcher } from './tag-match.js';

/**
 * A consumer's view of the event bus: an async iterator over the events whose tag matches,
 * with a bounded queue. The bus never waits for a consumer: one that falls `maxQueue` events
 * behind is cut off with a SlowConsumerError (or, with `overflow: 'drop-oldest'`, loses the
 * oldest queued event), so a slow reader costs at most its own queue.
 */
export interface SubscriptionOptions {
  match?: TagMatcher;
  /**
   * The `fnmatch` globs `match` was made of (a `?tag=` filter), where it was: a reader in another
   * thread (stream-feed/) then sends only the events they match. Without them it sends every event.
   */
  tags?: readonly string[];
  maxQueue?: number;
  overflow?: 'error' | 'drop-oldest';
}

interface Waiter {
  resolve: (r: IteratorResult<SaltEvent>) => void;
  reject: (err: Error) => void;
}

export class Subscription implements AsyncIterableIterator<SaltEvent> {
  readonly match: TagMatcher;
  readonly maxQueue: number;
  private readonly overflow: 'error' | 'drop-oldest';
  /** Queued events from `head` on; delivered slots are cleared so they can be collected. */
  private queue: Array<SaltEvent | undefined> = [];
  private head = 0;
  private waiter: Waiter | undefined;
  private done = false;
  private failure: Error | undefined;
  private onClose: ((sub: Subscription) => void) | undefined;
  private closedSignal: { promise: Promise<Error | undefined>; resolve: (err: Error | undefined) => void } | undefined;
  delivered = 0;
  dropped = 0;

  constructor(options: SubscriptionOptions = {}, onClose?: (sub: Subscription) => void) {
    this.match = options.match ?? (() => true);
    this.maxQueue = options.maxQueue ?? 1_000;
    this.overflow = options.overflow ?? 'error';
    this.onClose = onClose;
  }

  get pending(): number {
    return this.queue.length - this.head;
  }

  get closed(): boolean {
    return this.done;
  }

  /** Called by the bus for every event; never blocks. */
  push(event: SaltEvent): void {
    if (this.done || !this.match(event.tag)) return;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      this.delivered++;
      waiter.resolve({ value: event, done: false });
      return;
    }
    if (this.pending >= this.maxQueue) {
      if (this.overflow === 'error') {
        this.close(new SlowConsumerError(this.maxQueue));
        return;
      }
      this.queue[this.head++] = undefined;
      this.dropped++;
    }
    this.queue.push(event);
  }

  next(): Promise<IteratorResult<SaltEvent>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head]!;
      this.queue[this.head++] = undefined;
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      this.delivered++;
      return Promise.resolve({ value, done: false });
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** The next matching event, or undefined when `timeoutMs` passes or the subscription ends. */
  async nextWithin(timeoutMs: number): Promise<SaltEvent | undefined> {
    if (this.pending > 0 || this.done) {
      const r = await this.next();
      return r.done ? undefined : r.value;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(
        () => {
          const waiter = this.waiter;
          this.waiter = undefined;
          waiter?.resolve({ value: undefined, done: true });
          resolve(undefined);
        },
        Math.max(0, timeoutMs),
      );
    });
    try {
      const r = await Promise.race([this.next(), timeout]);
      return r === undefined || r.done ? undefined : r.value;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends a pending `nextWithin` early, as if its time had run out; no event is lost. */
  wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve({ value: undefined, done: true });
  }

  /** Resolves when the subscription ends, with the error that ended it (if any). */
  whenClosed(): Promise<Error | undefined> {
    if (this.done) return Promise.resolve(this.failure);
    if (!this.closedSignal) {
      let resolve: (err: Error | undefined) => void = () => undefined;
      const promise = new Promise<Error | undefined>((r) => (resolve = r));
      this.closedSignal = { promise, resolve };
    }
    return this.closedSignal.promise;
  }

  /** Ends the subscription; with an error, the consumer's next read throws it. */
  close(error?: Error): void {
    if (this.done) return;
    this.done = true;
    if (error) {
      // A consumer cut off for falling behind gets nothing more: free its queue at once.
      this.failure = error;
      this.queue = [];
    } else {
      this.queue = this.queue.slice(this.head);
    }
    this.head = 0;
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) {
      if (error) waiter.reject(error);
      else waiter.resolve({ value: undefined, done: true });
    }
    const onClose = this.onClose;
    this.onClose = undefined;
    onClose?.(this);
    this.closedSignal?.resolve(error);
  }

  return(): Promise<IteratorResult<SaltEvent>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<SaltEvent> {
    return this;
  }
}
