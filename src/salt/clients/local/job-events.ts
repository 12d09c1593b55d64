import { ClosedError, MasterUnavailableError } from '../../errors.js';
import type { EventBus } from '../../event-bus.js';
import type { SaltEvent } from '../../event-frame.js';
import type { Subscription } from '../../subscription.js';
import { abortReason } from '../abort.js';

/**
 * The events of the jobs one call started (`salt/job/<jid>/…` or `salt/run/<jid>/…`), read from one
 * subscription on the shared bus. The master fires a job's first events before it answers the
 * request that started it (docs/wire-protocol.md "Commands salt-apid sends", publish), so the
 * subscription exists before the request goes out, and while a request is in flight every event
 * under the prefix is kept; once the reply names the jid, only that jid's events are.
 */

/** Events a consumer may fall behind by; they are references to events the bus decoded once. */
const MAX_QUEUE = 100_000;
const MAX_TIMER_MS = 2_147_483_647;
/** Events of not-yet-known jids kept while a request is in flight. */
const MAX_HELD = 10_000;

export class JobEventStream {
  private readonly jids = new Set<string>();
  private inFlight = 0;
  private readonly sub: Subscription;
  private readonly onAbort: () => void;
  /** Set when the bus connection drops while the call waits: its returns are lost with it. */
  private lost: MasterUnavailableError | undefined;
  private readonly stopWatchingDisconnect: () => void;
  private readonly lostWaiters = new Set<(err: Error) => void>();
  private woken = false;
  /** Events read while a request was in flight, by their jid, not (yet) tracked; how many in all. */
  private held = new Map<string, SaltEvent[]>();
  private heldCount = 0;
  /** Held events of jids tracked since, in their order, to be read before the subscription's. */
  private ready: SaltEvent[] = [];
  private readyHead = 0;

  constructor(
    bus: EventBus,
    private readonly prefix: 'salt/job/' | 'salt/run/',
    private readonly signal: AbortSignal | undefined,
  ) {
    this.sub = bus.subscribe({
      match: (tag) => tag.startsWith(prefix) && (this.inFlight > 0 || this.jids.has(this.jidOf(tag))),
      maxQueue: MAX_QUEUE,
    });
    this.onAbort = () => this.sub.close();
    signal?.addEventListener('abort', this.onAbort, { once: true });
    // The master went away (or restarts): fail now with 503 rather than wait out the job's
    // timeout, then find_job rounds and request timeouts against a master that is not there.
    this.stopWatchingDisconnect = bus.onNextDisconnect(() => {
      this.lost = new MasterUnavailableError('the master went away while the job was running');
      for (const reject of this.lostWaiters) reject(this.lost);
      this.lostWaiters.clear();
      this.sub.close();
    });
  }

  /** The jid part of a tag under this stream's prefix. */
  jidOf(tag: string): string {
    const rest = tag.slice(this.prefix.length);
    const slash = rest.indexOf('/');
    return slash === -1 ? rest : rest.slice(0, slash);
  }

  /** Keeps the events of a jid chosen in advance (local_batch publishes under its own jid). */
  follow(jid: string): void {
    this.tracked(jid);
  }

  /** Keeps the events of `jid` from now on, and releases those held for it. */
  private tracked(jid: string): void {
    this.jids.add(jid);
    const early = this.held.get(jid);
    if (early === undefined) return;
    this.held.delete(jid);
    this.heldCount -= early.length;
    for (const event of early) this.ready.push(event);
  }

  /** Sends a request that starts a job; the events fired before its reply are kept. */
  async track<T>(request: () => Promise<T>, jidOfReply: (reply: T) => string | null): Promise<T> {
    this.inFlight++;
    let rejectLost: ((err: Error) => void) | undefined;
    try {
      if (this.lost) throw this.lost;
      const lost = new Promise<never>((_resolve, reject) => {
        rejectLost = reject;
        this.lostWaiters.add(reject);
      });
      const reply = await Promise.race([request(), lost]);
      const jid = jidOfReply(reply);
      if (jid) this.tracked(jid);
      return reply;
    } finally {
      if (rejectLost) this.lostWaiters.delete(rejectLost);
      this.inFlight--;
    }
  }

  /** Makes the current (or next) `next` return undefined at once: something else needs a look. */
  wake(): void {
    this.woken = true;
    this.sub.wake();
  }

  /** The next event of a tracked jid, or undefined once `ms` have passed (or `wake` was called). */
  async next(ms: number): Promise<SaltEvent | undefined> {
    const until = performance.now() + ms;
    for (;;) {
      if (this.signal?.aborted) throw abortReason(this.signal);
      if (this.woken) {
        this.woken = false;
        return undefined;
      }
      const early = this.takeHeld();
      if (early !== undefined) return early;
      const wait = Math.min(Math.max(0, until - performance.now()), MAX_TIMER_MS);
      const event = await this.sub.nextWithin(wait);
      if (this.signal?.aborted) throw abortReason(this.signal);
      if (event === undefined) {
        if (this.lost) throw this.lost;
        if (this.sub.closed) throw new ClosedError('event bus');
        if (performance.now() >= until) return undefined;
        continue;
      }
      const jid = this.jidOf(event.tag);
      if (this.jids.has(jid)) return event;
      // A job being started now may be this event's: keep it until its reply names the jid.
      if (this.inFlight > 0 && this.heldCount < MAX_HELD) this.hold(jid, event);
    }
  }

  private hold(jid: string, event: SaltEvent): void {
    const events = this.held.get(jid);
    if (events === undefined) this.held.set(jid, [event]);
    else events.push(event);
    this.heldCount++;
  }

  /** The next held event whose jid is tracked now; the rest go once no request is in flight. */
  private takeHeld(): SaltEvent | undefined {
    if (this.readyHead < this.ready.length) {
      const event = this.ready[this.readyHead++];
      if (this.readyHead === this.ready.length) {
        this.ready = [];
        this.readyHead = 0;
      }
      return event;
    }
    if (this.inFlight === 0 && this.heldCount > 0) {
      this.held = new Map();
      this.heldCount = 0;
    }
    return undefined;
  }

  close(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    this.stopWatchingDisconnect();
    this.lostWaiters.clear();
    this.sub.close();
  }
}
