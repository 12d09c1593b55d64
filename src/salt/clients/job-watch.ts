import { isSaltMap, type SaltMap, type SaltValue } from '../codec/values.js';
import type { SaltEvent } from '../event-frame.js';

/**
 * When is a published job finished? LocalClient's `get_iter_returns` (salt/client/__init__.py) as a
 * state machine driven by events and timers instead of a polling loop (docs/wire-protocol.md
 * "When is a call finished?"):
 * - returns count once per minion; a `new` event may add expected minions (and `missing` ones);
 * - once `timeout` has passed without every expected minion answering, the silent ones are
 *   asked with `saltutil.find_job`; for `gather_job_timeout` their answers are read: a minion
 *   still running the job gets its deadline moved to now + `timeout`, and another round follows
 *   when that window closes;
 * - finished when every expected minion returned, or when the find_job window closed, nobody
 *   reported the job running and every silent minion's own deadline passed.
 * The caller feeds events (`onJobEvent`, `onFindJobEvent`) and sleeps until the time `tick`
 * names.
 */

export interface WatchSpec {
  jid: string;
  minions: readonly string[];
  missing?: readonly string[];
  timeoutMs: number;
  gatherJobTimeoutMs: number;
  /** Publishes `saltutil.find_job [jid]` to these minions; the jid of that job, or null. */
  findJob: (targets: string[]) => Promise<string | null>;
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
function returnId(data: SaltMap): string | undefined {
  const rid = data['resource_id'];
  if (typeof rid === 'string' && rid !== '') return rid;
  const id = data['id'];
  return typeof id === 'string' ? id : undefined;
}

function strings(value: SaltValue): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** A find_job answer that says the job is still running there (a non-empty job record). */
function reportsRunning(ret: SaltValue): boolean {
  if (Array.isArray(ret)) return ret.length > 0;
  if (!isSaltMap(ret) || Object.keys(ret).length === 0) return false;
  const inner = ret['return'];
  return !(isSaltMap(inner) && Object.keys(inner).length === 0);
}

export class JobWatch {
  readonly jid: string;
  private readonly expected = new Set<string>();
  /** Expected minions that have not returned yet. */
  private readonly waiting = new Set<string>();
  private readonly missing: Set<string>;
  private readonly returns = new Map<string, SaltMap>();
  private readonly deadlines = new Map<string, number>();
  private timeoutAt: number;
  private running = true;
  private currentFindJob: string | null = null;

  constructor(
    private readonly spec: WatchSpec,
    start = performance.now(),
  ) {
    this.jid = spec.jid;
    this.missing = new Set(spec.missing ?? []);
    this.timeoutAt = start + spec.timeoutMs;
    for (const id of spec.minions) this.expect(id, start);
  }

  /** The jid of the latest find_job round, whose returns `onFindJobEvent` wants. */
  get findJobJid(): string | null {
    return this.currentFindJob;
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
    this.waiting.delete(id);
    this.spec.onReturn?.(id, entry, event);
  }

  /** An event of the latest find_job job. */
  onFindJobEvent(event: SaltEvent, now = performance.now()): void {
    const data = event.data;
    if (!isSaltMap(data)) return;
    const id = returnId(data);
    const retcode = data['retcode'];
    if (id !== undefined && typeof retcode === 'number' && retcode > 0) {
      // saltutil itself failed there: Salt stops expecting that minion.
      this.expected.delete(id);
      this.waiting.delete(id);
      return;
    }
    if (Object.hasOwn(data, 'minions')) {
      for (const m of strings(data['minions'])) this.expect(m, now);
      return;
    }
    if (id === undefined || !Object.hasOwn(data, 'return') || !reportsRunning(data['return'])) return;
    this.expect(id, now);
    this.deadlines.set(id, now + this.spec.timeoutMs);
    this.running = true;
  }

  /**
   * Advances the timers (sending find_job when due): 'done', or the time (performance.now()
   * scale) to call again if no event arrives first.
   */
  async tick(): Promise<number | 'done'> {
    let now = performance.now();
    if (this.finished) return 'done';
    if (now > this.timeoutAt && this.running) {
      const targets = this.pending();
      this.currentFindJob = targets.length > 0 ? await this.spec.findJob(targets) : null;
      this.running = false;
      now = performance.now();
      this.timeoutAt = now + this.spec.gatherJobTimeoutMs;
    }
    if (this.running) return this.timeoutAt + 1;
    let latest = this.timeoutAt;
    for (const id of this.pending()) latest = Math.max(latest, this.deadlines.get(id) ?? 0);
    return now > latest ? 'done' : latest + 1;
  }

  outcome(): WatchOutcome {
    const silent = this.pending().sort();
    const missing = [...this.missing].filter((id) => !this.returns.has(id)).sort();
    return { returns: this.returns, silent, missing };
  }

  /** A minion to wait for; its own deadline starts when it is first expected. */
  private expect(id: string, now = performance.now()): void {
    this.expected.add(id);
    if (!this.returns.has(id)) this.waiting.add(id);
    if (!this.deadlines.has(id)) this.deadlines.set(id, now + this.spec.timeoutMs);
  }

  private pending(): string[] {
    return [...this.waiting];
  }
}
