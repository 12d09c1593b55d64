import { abortReason } from './abort.js';
import type { JobAdmissionStats } from './netapi.js';
import { FastWindow, type CallSpeed } from './fast-window.js';
import { DEFAULT_CALL_LATENCY } from './call-latency.js';

/**
 * How many synchronous jobs salt-apid has out at the master at once (docs/decisions/0015).
 *
 * A master's request port serves publishes and minion returns from one queue. When the queue
 * holds more work than the master gets through in a few seconds, the minions' returns wait past
 * their `return_retry_timer` (5–10 s). The minions then send them again, the master does the same
 * work twice, and throughput collapses: 32 concurrent sync calls got under a third of what 8 got on
 * this project's test master, with no liveness check in the way. Sync calls beyond the limit wait
 * here, in salt-apid, before their publish, so the master's queue stays short and its returns stay
 * in time. Each job is timed from its publish, as LocalClient times it.
 *
 * The limit adapts (AIMD) to three signs that the master is behind: a publish answered later than
 * `targetMs` (requests wait in its queue), a return late for a call that used to be fast
 * (call-latency.ts), and a minion's return arriving twice (the minion gave up waiting for the
 * master and sent it again, which comes 5 s or more into an overload):
 * - before any sign, and once no job was held back for `recoveryMs` (30 s), there is no limit but
 *   `max` (`max_sync_jobs`, 1024): a master that keeps up never has a job wait here, however
 *   long its jobs run;
 * - each sign halves the limit, from the jobs out at that moment, never below `min`; only a job
 *   sent (or a return first seen) after the last cut can cut again, so one episode cuts once
 *   however late its signs come;
 * - while the limit holds jobs back, it grows by one every 5 s (`growEveryMs`), so long-running
 *   jobs holding every place delay the others by seconds per place, not by their run time.
 * Jobs of fast calls (and of calls not measured yet, for their first 2 s) also go through the fast
 * window (fast-window.ts): at most as many out as such jobs finished in the last 2 s, at least 8,
 * so a burst of them goes out as the master gets through it, before any sign. Slow calls pass
 * jobs that wait only for the window.
 */

export interface AdmissionOptions {
  /** false: the limit stays at `max` (1024 unless `max_sync_jobs` says otherwise). */
  enabled: boolean;
  /** The publish round trip above which the master counts as behind (ms). */
  targetMs: number;
  /** While the limit holds jobs back and no sign comes, it grows by one this often (ms). */
  growEveryMs: number;
  /** Time without a job held back after which the limit is lifted (ms). */
  recoveryMs: number;
  min: number;
  max: number;
  /** Jobs of fast calls out at once: at least this many (fast-window.ts)... */
  fastBurst: number;
  /** ...else as many as finished in this time, which is also the most a fast call takes (ms). */
  fastWindowMs: number;
}

export const DEFAULT_ADMISSION: AdmissionOptions = {
  enabled: true,
  targetMs: 1_000,
  growEveryMs: 5_000,
  recoveryMs: 30_000,
  min: 2,
  max: 1_024,
  fastBurst: 8,
  // A call fast by call-latency.ts's measure must fit in the window (fast-window.ts).
  fastWindowMs: DEFAULT_CALL_LATENCY.fastMs,
};

interface Waiter {
  speed: CallSpeed;
  admit: () => void;
}

export class JobAdmission {
  private limit: number;
  private active = 0;
  private readonly fastWindow: FastWindow;
  private readonly queue: Waiter[] = [];
  private lastCut = -Infinity;
  /** When the limit last held a job back. */
  private lastBinding = -Infinity;
  private growth: NodeJS.Timeout | undefined;

  constructor(private readonly options: AdmissionOptions = DEFAULT_ADMISSION) {
    this.limit = options.max;
    this.fastWindow = new FastWindow(options.fastBurst, options.fastWindowMs, () => this.admitWaiting());
  }

  stats(): JobAdmissionStats {
    return { limit: Math.floor(this.limit), active: this.active, queued: this.queue.length };
  }

  /**
   * Waits for a place (or the signal); resolves with the function that gives it back. `speed`:
   * what call-latency.ts knows of the job's call.
   */
  async acquire(signal?: AbortSignal, speed: CallSpeed = 'slow'): Promise<() => void> {
    if (signal?.aborted) throw abortReason(signal);
    // Whoever waits does not fit now (admitWaiting runs on every change), so a job that fits
    // passes only jobs held back by the fast window (fast-window.ts), never the limit's queue.
    if (this.fits(speed)) return this.take(speed);
    return new Promise<() => void>((resolve, reject) => {
      const waiter: Waiter = {
        speed,
        admit: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.take(speed));
        },
      };
      const onAbort = (): void => {
        const index = this.queue.indexOf(waiter);
        if (index !== -1) this.queue.splice(index, 1);
        if (signal) reject(abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  /** Whether a job of a call this fast goes through the fast window. */
  private windowed(speed: CallSpeed): speed is Exclude<CallSpeed, 'slow'> {
    return speed !== 'slow' && this.options.enabled;
  }

  private fits(speed: CallSpeed): boolean {
    if (this.active >= Math.floor(this.limit)) return false;
    return !this.windowed(speed) || this.fastWindow.hasRoom();
  }

  /** Takes a place; returns the function that gives it back, once. */
  private take(speed: CallSpeed): () => void {
    this.active++;
    const slot = this.windowed(speed) ? this.fastWindow.take(speed) : undefined;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      slot?.();
      this.admitWaiting();
    };
  }

  /** How long the master took to answer a publish sent at `sentAt` (performance.now()). */
  observe(roundTripMs: number, sentAt = performance.now() - roundTripMs): void {
    if (roundTripMs > this.options.targetMs) this.congested(sentAt);
  }

  /** A sign that the master is behind, seen by a job sent at `sentAt`. */
  congested(sentAt: number, now = performance.now()): void {
    if (!this.options.enabled || sentAt <= this.lastCut) return;
    this.limit = Math.max(this.options.min, Math.min(this.limit, Math.max(this.active, 1)) / 2);
    this.lastCut = now;
    this.lastBinding = now;
    this.growth ??= setInterval(() => this.grow(), this.options.growEveryMs).unref();
  }

  /** While jobs are held back, one more place; once none was for `recoveryMs`, no limit. */
  private grow(now = performance.now()): void {
    if (this.queue.length > 0) {
      this.lastBinding = now;
      if (now - this.lastCut >= this.options.growEveryMs) this.limit = Math.min(this.options.max, this.limit + 1);
      this.admitWaiting();
    } else if (now - this.lastBinding >= this.options.recoveryMs) {
      this.limit = this.options.max;
      clearInterval(this.growth);
      this.growth = undefined;
    }
  }

  /** Admits waiting jobs that fit, in order, while the limit has room. */
  private admitWaiting(): void {
    for (let index = 0; index < this.queue.length && this.active < Math.floor(this.limit);) {
      const next = this.queue[index];
      if (next !== undefined && this.fits(next.speed)) {
        this.queue.splice(index, 1);
        next.admit();
      } else {
        index++;
      }
    }
  }
}
