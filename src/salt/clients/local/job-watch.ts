import { isSaltMap, type SaltMap, type SaltValue } from '../../codec/values.js';
import type { SaltEvent } from '../../event-frame.js';
import type { LivenessCheck } from './liveness.js';
import { settled } from '../../../python/deferred.js';

/**
 * When is a published job finished? LocalClient's `get_iter_returns` (salt/client/__init__.py) as a
 * state machine driven by events and timers instead of a polling loop (docs/wire-protocol.md
 * "When is a call finished?"):
 * - returns count once per minion; a `new` event may add expected minions (and `missing` ones);
 * - once `timeout` has passed without every expected minion answering, the silent ones are
 *   asked whether they still run it (`saltutil.find_job`, or a shared `saltutil.running`, see
 *   liveness.ts); for `gather_job_timeout` after the question went out their answers are read:
 *   a minion still running the job gets its deadline moved to now + `timeout`, and another round
 *   follows when that window closes;
 * - finished when every expected minion returned, or when the find_job window closed, nobody
 *   reported the job running and every silent minion's own deadline passed.
 * The caller feeds events (`onJobEvent`, `onLivenessEvent`) and sleeps until the time `tick`
 * names, or until `wake` is called.
 */

export interface WatchSpec {
  jid: string;
  minions: readonly string[];
  missing?: readonly string[];
  timeoutMs: number;
  gatherJobTimeoutMs: number;
  /**
   * Asks the silent minions whether they still run the job (liveness.ts): resolves once the
   * question went out, with its jid and kind, or null when nothing was published. `pending` is
   * read when it goes out, which may be a little later.
   */
  checkLiveness: (pending: () => string[]) => Promise<LivenessCheck | null>;
  /** Called when a check went out (or failed), so that the caller's wait for events ends. */
  wake: () => void;
  /** Called for every return as it arrives, with the `{ret, out?, retcode?, jid?}` entry. */
  onReturn?: (id: string, entry: SaltMap, event: SaltEvent) => void;
}

export interface WatchOutcome {
  /** id → `{ret, out?, retcode?, jid?}`, in arrival order. */
  returns: Map<string, SaltMap>;
  /** Expected minions that never returned, sorted. */
  silent: string[];
  /** Ids the master reported as missing (no such key) that never returned, sorted. */
  missing: string[];
}

/** `_job_ret_display_id`: the resource id when there is one, else the minion id. */
export function returnId(data: SaltMap): string | undefined {
  const rid = data['resource_id'];
  if (typeof rid === 'string' && rid !== '') return rid;
  const id = data['id'];
  return typeof id === 'string' ? id : undefined;
}

function strings(value: SaltValue): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * What a liveness check's answer (the data of one of its events) says of job `jid`: the minion
 * that answered, and whether it still runs the job; undefined for an event that is not an answer.
 */
export function livenessAnswer(
  check: LivenessCheck,
  jid: string,
  data: SaltMap,
): { id: string; runs: boolean } | undefined {
  const id = returnId(data);
  if (id === undefined || !Object.hasOwn(data, 'return')) return undefined;
  // A large answer is kept packed (unpack's deferReturn): looked into here, so decoded.
  const ret = settled(data['return']) as SaltValue;
  return { id, runs: check.kind === 'running' ? runningListsJob(ret, jid) : findJobReportsRunning(ret) };
}

/** A find_job answer that says the job is still running there (a non-empty job record). */
function findJobReportsRunning(ret: SaltValue): boolean {
  if (Array.isArray(ret)) return ret.length > 0;
  if (!isSaltMap(ret) || Object.keys(ret).length === 0) return false;
  const inner = ret['return'];
  return !(isSaltMap(inner) && Object.keys(inner).length === 0);
}

/** A `saltutil.running` answer (the minion's job records) that lists `jid`. */
function runningListsJob(ret: SaltValue, jid: string): boolean {
  return Array.isArray(ret) && ret.some((job) => isSaltMap(job) && job['jid'] === jid);
}

export class JobWatch {
  readonly jid: string;
  private readonly expected = new Set<string>();
  /** Expected minions that have not returned yet. */
  private readonly waiting = new Set<string>();
  private readonly missing: Set<string>;
  private readonly returns = new Map<string, SaltMap>();
  private readonly deadlines = new Map<string, number>();
  /**
   * The latest deadline among the waiting minions, and how many of them have it: kept as
   * deadlines move (they only move later) and minions return, and counted again only once all of
   * those that had it returned, so a return costs the same for 5 minions or 10,000.
   */
  private latestDeadline = -Infinity;
  private atLatest = 0;
  private latestStale = false;
  private timeoutAt: number;
  private running = true;
  private currentCheck: LivenessCheck | null = null;
  /** True from asking for a liveness check until it went out. */
  private checking = false;
  private failure: Error | undefined;

  constructor(
    private readonly spec: WatchSpec,
    start = performance.now(),
  ) {
    this.jid = spec.jid;
    this.missing = new Set(spec.missing ?? []);
    this.timeoutAt = start + spec.timeoutMs;
    for (const id of spec.minions) this.expect(id, start);
  }

  /** The jid of the latest liveness check, whose returns `onLivenessEvent` wants. */
  get livenessJid(): string | null {
    return this.currentCheck?.jid ?? null;
  }

  /** Whether `id` is one of the minions this job waits for. */
  expects(id: string): boolean {
    return this.expected.has(id);
  }

  get finished(): boolean {
    return this.waiting.size === 0;
  }

  /** An event of the job itself (`salt/job/<jid>/…`). */
  onJobEvent(event: SaltEvent): void {
    const data = event.data;
    if (!isSaltMap(data)) return;
    if (Object.hasOwn(data, 'minions')) {
      for (const id of strings(data['minions'])) this.expect(id);
      for (const id of strings(data['missing'] ?? [])) this.missing.add(id);
      return;
    }
    if (!event.tag.startsWith(`salt/job/${this.jid}/ret/`) || !Object.hasOwn(data, 'return')) return;
    const id = returnId(data);
    if (id === undefined || this.returns.has(id)) return;
    const entry: SaltMap = { ret: data['return'] };
    for (const key of ['out', 'retcode', 'jid']) if (Object.hasOwn(data, key)) entry[key] = data[key];
    this.returns.set(id, entry);
    this.stopWaiting(id);
    this.spec.onReturn?.(id, entry, event);
  }

  /** An event of the latest liveness check (a find_job job, or a shared saltutil.running). */
  onLivenessEvent(event: SaltEvent, now = performance.now()): void {
    const check = this.currentCheck;
    const data = event.data;
    if (check === null || !isSaltMap(data)) return;
    const id = returnId(data);
    // A shared check also asked other jobs' minions: only this job's silent ones count.
    if (check.kind === 'running' && (id === undefined || !this.waiting.has(id))) return;
    const retcode = data['retcode'];
    if (id !== undefined && typeof retcode === 'number' && retcode > 0) {
      // saltutil itself failed there: Salt stops expecting that minion.
      this.expected.delete(id);
      this.stopWaiting(id);
      return;
    }
    if (Object.hasOwn(data, 'minions')) {
      for (const m of strings(data['minions'])) this.expect(m, now);
      return;
    }
    const answer = livenessAnswer(check, this.jid, data);
    if (answer?.runs !== true) return;
    this.expect(answer.id, now);
    this.setDeadline(answer.id, now + this.spec.timeoutMs);
    this.running = true;
  }

  /** The latest liveness check, whose answers `onLivenessEvent` reads. */
  get livenessCheck(): LivenessCheck | null {
    return this.currentCheck;
  }

  /** Expected minions that have not returned yet. */
  pending(): string[] {
    return [...this.waiting];
  }

  /** Whether `id` is an expected minion that has not returned yet. */
  isPending(id: string): boolean {
    return this.waiting.has(id);
  }

  get pendingCount(): number {
    return this.waiting.size;
  }

  /**
   * Advances the timers (asking for a liveness check when due): 'done', or the time
   * (performance.now() scale) to call again if no event arrives and `wake` is not called first.
   */
  tick(now = performance.now()): number | 'done' {
    if (this.finished) return 'done';
    if (this.failure !== undefined) throw this.failure;
    if (this.checking) return Infinity;
    if (now > this.timeoutAt && this.running) {
      this.askLiveness();
      return Infinity;
    }
    if (this.running) return this.timeoutAt + 1;
    const latest = Math.max(this.timeoutAt, this.waitingLatest());
    return now > latest ? 'done' : latest + 1;
  }

  outcome(): WatchOutcome {
    const silent = [...this.waiting].sort();
    const missing = [...this.missing].filter((id) => !this.returns.has(id)).sort();
    return { returns: this.returns, silent, missing };
  }

  /** Sends the check; its window of `gather_job_timeout` opens when it went out. */
  private askLiveness(): void {
    this.checking = true;
    this.spec
      .checkLiveness(() => [...this.waiting])
      .then(
        (check) => {
          this.checking = false;
          this.currentCheck = check;
          this.running = false;
          this.timeoutAt = performance.now() + this.spec.gatherJobTimeoutMs;
          this.spec.wake();
        },
        (err: unknown) => {
          this.checking = false;
          this.failure = err instanceof Error ? err : new Error(`liveness check failed: ${String(err)}`);
          this.spec.wake();
        },
      );
  }

  /** A minion to wait for; its own deadline starts when it is first expected. */
  private expect(id: string, now = performance.now()): void {
    this.expected.add(id);
    if (!this.returns.has(id) && !this.waiting.has(id)) {
      this.waiting.add(id);
      this.countDeadline(this.deadlines.get(id));
    }
    if (!this.deadlines.has(id)) this.setDeadline(id, now + this.spec.timeoutMs);
  }

  private stopWaiting(id: string): void {
    if (this.waiting.delete(id)) this.stopWaitingCount(this.deadlines.get(id));
  }

  /** A waiting minion's deadline, counted toward the latest. */
  private countDeadline(deadline: number | undefined): void {
    if (deadline === undefined) return;
    if (deadline > this.latestDeadline) {
      this.latestDeadline = deadline;
      this.atLatest = 1;
    } else if (deadline === this.latestDeadline) {
      this.atLatest++;
    }
  }

  private setDeadline(id: string, deadline: number): void {
    const waiting = this.waiting.has(id);
    if (waiting) this.stopWaitingCount(this.deadlines.get(id));
    this.deadlines.set(id, deadline);
    if (waiting) this.countDeadline(deadline);
  }

  /** A waiting minion's old deadline no longer counts. */
  private stopWaitingCount(deadline: number | undefined): void {
    if (deadline === this.latestDeadline && --this.atLatest === 0) this.latestStale = true;
  }

  /** The latest deadline of the waiting minions (0 when none has one). */
  private waitingLatest(): number {
    if (this.latestStale) {
      this.latestStale = false;
      this.latestDeadline = -Infinity;
      this.atLatest = 0;
      for (const id of this.waiting) this.countDeadline(this.deadlines.get(id));
    }
    return this.waiting.size === 0 ? 0 : Math.max(0, this.latestDeadline);
  }
}
