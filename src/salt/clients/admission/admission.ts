import { abortReason } from '../abort.js';
import type { JobAdmissionStats } from '../netapi.js';
import { FastWindow, type CallSpeed } from './fast-window.js';
import { DEFAULT_CALL_LATENCY } from './call-latency.js';

/**
 * How many synchronous jobs salt-apid has at the master at once (docs/decisions/0015, 0027).
 *
 * A master's request port serves publishes and minion returns from one queue. When the queue
 * holds more work than the master gets through in a few seconds, the minions' returns wait past
 * their `return_retry_timer` (5–10 s). The minions then send them again, the master does the same
 * work twice, and throughput collapses. Sync calls beyond the limit wait here, in salt-apid, before
 * their publish, so the master's queue stays short and its returns stay in time. Each job is timed
 * from its publish, as LocalClient times it.
 *
 * What the limit counts is the jobs the master is working on: a job holds its place from its
 * publish until it finished, or until its minions were seen running it (a probe: a liveness check
 * answered in time that lists the job). A job whose minions are busy (a `test.sleep`, a
 * `state.apply` of minutes) costs the master nothing until it returns, and holds no place then.
 * Probes go out only while jobs wait, and only for jobs of calls not known to be fast: such a job at
 * the master for `fastWindowMs` is probed then, and again every `fastWindowMs` while jobs still
 * wait. A job of a fast call that runs long is seen on its minions by LocalClient's own check, at
 * its `timeout`: probing those would cost a master busy with fast calls a shared check a second,
 * for jobs that are nearly always late for the master's sake.
 *
 * The limit adapts (AIMD) to signs of the master's own state, never to how long a job runs: a
 * publish answered later than `targetMs` (requests wait in its queue), a liveness check (a probe
 * or LocalClient's own) answered later than `lateCheckMs` (minions answer those at once: the
 * master is late taking returns), and a minion's return arriving twice (the minion gave up waiting
 * for the master and sent it again):
 * - before any sign, and once no job was held back for `recoveryMs` (30 s), there is no limit but
 *   `max` (`max_sync_jobs`, 1024);
 * - each sign halves the limit, from the jobs at the master at that moment, never below `min`;
 *   only a job sent (or a return first seen) after the last cut can cut again, so one episode cuts
 *   once however late its signs come;
 * - while the limit holds jobs back, it grows by one every 5 s (`growEveryMs`).
 * Jobs of fast calls (and of calls not measured yet, for their first 2 s) also go through the fast
 * window (fast-window.ts): at most as many at the master as such jobs finished in the last 2 s, at
 * least 8, so a burst of them goes out as the master gets through it, before any sign. Slow calls
 * pass jobs that wait only for the window.
 */

export interface AdmissionOptions {
  /** false: the limit stays at `max` (1024 unless `max_sync_jobs` says otherwise). */
  enabled: boolean;
  /** The publish round trip above which the master counts as behind (ms). */
  targetMs: number;
  /** A liveness check's answer later than this after the check went out: the master is behind (ms). */
  lateCheckMs: number;
  /** While the limit holds jobs back and no sign comes, it grows by one this often (ms). */
  growEveryMs: number;
  /** Time without a job held back after which the limit is lifted (ms). */
  recoveryMs: number;
  min: number;
  max: number;
  /** Jobs of fast calls at the master at once: at least this many (fast-window.ts)... */
  fastBurst: number;
  /**
   * ...else as many as finished in this time, which is also the most a fast call takes, and how
   * long a job is at the master before it is probed while others wait (ms).
   */
  fastWindowMs: number;
}

export const DEFAULT_ADMISSION: AdmissionOptions = {
  enabled: true,
  targetMs: 1_000,
  lateCheckMs: 2_000,
  growEveryMs: 5_000,
  recoveryMs: 30_000,
  min: 2,
  max: 1_024,
  fastBurst: 8,
  // A call fast by call-latency.ts's measure must fit in the window (fast-window.ts).
  fastWindowMs: DEFAULT_CALL_LATENCY.fastMs,
};

/** A job that was let through: what it tells the admission, and how it is asked to probe. */
export interface AdmittedJob {
  /** The job finished: its place is given back (once). */
  finished(): void;
  /** Its minions were seen running it, the master answering in time: it holds no place any more. */
  inMinionsHands(): void;
  /** Whether it still holds a place at the master. */
  readonly atMaster: boolean;
  /**
   * Set by the job once it is published: called while jobs wait and this one has been at the master
   * for `fastWindowMs`. The job sends a liveness check and reports what it says.
   */
  onProbe: (() => void) | undefined;
}

interface Waiter {
  speed: CallSpeed;
  admit: () => void;
}

class Place implements AdmittedJob {
  onProbe: (() => void) | undefined;
  private held = true;
  private done = false;
  private probeTimer: NodeJS.Timeout | undefined;
  private readonly takenAt = performance.now();
  private nextProbeAt: number | undefined;

  constructor(
    private readonly admission: JobAdmission,
    private readonly windowSlot: ((finished: boolean) => void) | undefined,
    /** Whether it may be probed: not a job of a call known to be fast. */
    private readonly probeable: boolean,
  ) {}

  get atMaster(): boolean {
    return this.held;
  }

  finished(): void {
    if (this.done) return;
    this.done = true;
    this.admission.ended();
    this.leave(true);
  }

  inMinionsHands(): void {
    if (!this.done) this.leave(false);
  }

  /**
   * Once the job has been at the master for `everyMs`, and again every `everyMs`, it is probed
   * while others wait; with nobody waiting the timer stops (and is armed again when someone does).
   */
  armProbe(everyMs: number, othersWait: () => boolean): void {
    if (!this.held || !this.probeable || this.probeTimer !== undefined) return;
    this.nextProbeAt ??= this.takenAt + everyMs;
    this.probeTimer = setTimeout(
      () => {
        this.probeTimer = undefined;
        if (!this.held || !othersWait()) return;
        this.nextProbeAt = performance.now() + everyMs;
        this.onProbe?.();
        this.armProbe(everyMs, othersWait);
      },
      Math.max(0, this.nextProbeAt - performance.now()),
    ).unref();
  }

  private leave(finished: boolean): void {
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    if (!this.held) return;
    this.held = false;
    this.windowSlot?.(finished);
    this.admission.left(this);
  }
}

export class JobAdmission {
  private limit: number;
  /** Jobs the master is working on: what the limit counts. */
  private readonly atMaster = new Set<Place>();
  /** Jobs let through and not finished yet, at the master or in their minions' hands. */
  private out = 0;
  private readonly fastWindow: FastWindow;
  private readonly queue: Waiter[] = [];
  private lastCut = -Infinity;
  /** When the limit last held a job back. */
  private lastBinding = -Infinity;
  private growth: NodeJS.Timeout | undefined;
  private readonly othersWait = (): boolean => this.queue.length > 0;

  constructor(private readonly options: AdmissionOptions = DEFAULT_ADMISSION) {
    this.limit = options.max;
    this.fastWindow = new FastWindow(options.fastBurst, options.fastWindowMs, () => this.admitWaiting());
  }

  stats(): JobAdmissionStats {
    return {
      limit: Math.floor(this.limit),
      active: this.atMaster.size,
      withMinions: this.out - this.atMaster.size,
      queued: this.queue.length,
    };
  }

  /**
   * Waits for a place (or the signal); resolves with the admitted job, through which the caller
   * gives the place back. `speed`: what call-latency.ts knows of the job's call.
   */
  async acquire(signal?: AbortSignal, speed: CallSpeed = 'slow'): Promise<AdmittedJob> {
    if (signal?.aborted) throw abortReason(signal);
    // Whoever waits does not fit now (admitWaiting runs on every change), so a job that fits
    // passes only jobs held back by the fast window (fast-window.ts), never the limit's queue.
    if (this.fits(speed)) return this.take(speed);
    return new Promise<AdmittedJob>((resolve, reject) => {
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
      // The first to wait: the jobs at the master are probed from now on (their timers run already).
      if (this.queue.length === 1) {
        for (const place of this.atMaster) place.armProbe(this.options.fastWindowMs, this.othersWait);
      }
    });
  }

  /** Whether a job of a call this fast goes through the fast window. */
  private windowed(speed: CallSpeed): speed is Exclude<CallSpeed, 'slow'> {
    return speed !== 'slow' && this.options.enabled;
  }

  private fits(speed: CallSpeed): boolean {
    if (this.atMaster.size >= Math.floor(this.limit)) return false;
    return !this.windowed(speed) || this.fastWindow.hasRoom();
  }

  private take(speed: CallSpeed): Place {
    const place = new Place(this, this.windowed(speed) ? this.fastWindow.take(speed) : undefined, speed !== 'fast');
    this.atMaster.add(place);
    this.out++;
    // With nobody waiting, no timer: the first to wait arms every place at the master (acquire).
    if (this.othersWait()) place.armProbe(this.options.fastWindowMs, this.othersWait);
    return place;
  }

  /** Called by a place that left the master (finished, or in its minions' hands). */
  left(place: Place): void {
    if (!this.atMaster.delete(place)) return;
    this.admitWaiting();
  }

  /** Called by a place whose job finished after it left the master, or while there. */
  ended(): void {
    this.out--;
  }

  /** How long the master took to answer a publish sent at `sentAt` (performance.now()). */
  observe(roundTripMs: number, sentAt = performance.now() - roundTripMs): void {
    if (roundTripMs > this.options.targetMs) this.congested(sentAt);
  }

  /** A liveness check sent at `sentAt` was answered at `answeredAt`: whether late, which is a sign. */
  observeCheck(sentAt: number, answeredAt = performance.now()): boolean {
    const late = answeredAt - sentAt > this.options.lateCheckMs;
    if (late) this.congested(sentAt, answeredAt);
    return late;
  }

  /** A sign that the master is behind, seen by a job sent at `sentAt`. */
  congested(sentAt: number, now = performance.now()): void {
    if (!this.options.enabled || sentAt <= this.lastCut) return;
    this.limit = Math.max(this.options.min, Math.min(this.limit, Math.max(this.atMaster.size, 1)) / 2);
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
    for (let index = 0; index < this.queue.length && this.atMaster.size < Math.floor(this.limit);) {
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
