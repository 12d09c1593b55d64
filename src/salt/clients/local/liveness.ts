import { createHmac, randomBytes } from 'node:crypto';
import type { MasterSettings } from '../../../config/types.js';
import type { SaltMap } from '../../codec/values.js';
import type { PublishLoad, PublishResult } from '../../clear-commands.js';
import { MasterErrorReply } from '../../errors.js';
import { pythonStr } from '../../../python/repr.js';
import { publishLoad, type PublishSpec } from './local-load.js';
import type { LivenessCheckCounts } from '../netapi.js';
import { dropOldest } from './oldest-first.js';

/**
 * Liveness checks for the synchronous jobs in flight: "do your silent minions still run it?"
 * (docs/wire-protocol.md "When is a call finished?").
 *
 * LocalClient asks with one `saltutil.find_job <jid>` publish per waiting job, each to all of that
 * job's silent minions. When the master falls behind, every waiting job passes its `timeout` and
 * starts its own rounds, and the extra publishes and returns load the master further: throughput
 * collapses. find_job takes one jid, so the jobs cannot share it; `saltutil.running` lists every job
 * a minion runs, so one publish answers for all of them. Here the jobs in flight under the same
 * credentials share their checks:
 * - at most one `saltutil.running` per `intervalMs` for each set of credentials, to the union of
 *   the silent minions of the jobs that asked since the last one (read when it goes out, so
 *   minions that returned meanwhile are not asked);
 * - a job whose silent minions are still sending returns (for any job) waits for a later check,
 *   for at most its `gather_job_timeout`: those minions are alive and working through their jobs;
 * - every job reads the shared answers as it would read find_job's (job-watch.ts): its minion
 *   still runs it when the minion's list has its jid.
 * The master's ACL always lets find_job through but not saltutil.running; where the credentials may
 * not run it, those jobs fall back to their own find_job publish, and the refusal is remembered.
 * With `coalesce: false` (rest_cherrypy `coalesce_job_checks: false`) every job uses find_job as
 * LocalClient does.
 */

export interface LivenessCheck {
  /** The jid of the check's own job, whose returns are the answers. */
  jid: string;
  /** `find_job`: answers about this job only; `running`: each minion's list of running jobs. */
  kind: 'find_job' | 'running';
  /** When its publish was sent (performance.now()): its answers' lateness is the master's (admission.ts). */
  sentAt: number;
}

export interface LivenessMember {
  /** The job that waits. */
  jid: string;
  /** Its silent minions, read when the check goes out. */
  pending: () => string[];
  /** The keyword arguments of its find_job publish (its credentials among them). */
  kwargs: SaltMap;
  /** How long its check may wait while its minions are still returning. */
  deferLimitMs: number;
  /** Sends a request that starts a job while the job's event stream keeps its early events. */
  track: (request: () => Promise<PublishResult>) => Promise<PublishResult>;
}

export interface LivenessOptions {
  coalesce: boolean;
  /** The least time between two shared checks under the same credentials. */
  intervalMs: number;
}

interface Publisher {
  publish(load: PublishLoad): Promise<PublishResult>;
}

interface Waiting {
  member: LivenessMember;
  since: number;
  resolve: (check: LivenessCheck | null) => void;
  reject: (err: unknown) => void;
}

/** The credential fields of a publish's kwargs: what the master authenticates and authorises. */
const AUTH_KWARGS = ['token', 'eauth', 'username', 'password'];
/** How long a refused saltutil.running is remembered for those credentials. */
const REFUSAL_MEMORY_MS = 10 * 60_000;
/** Entries kept per table before old ones are dropped. */
const MAX_ENTRIES = 10_000;

function authKwargs(kwargs: SaltMap): SaltMap {
  const auth: SaltMap = {};
  for (const key of AUTH_KWARGS) if (Object.hasOwn(kwargs, key)) auth[key] = kwargs[key] ?? null;
  return auth;
}

/** A liveness publish: `fun arg…` to a list of minions, no returner, a jid of the master's. */
function checkSpec(fun: string, arg: string[], targets: string[], kwargs: SaltMap): PublishSpec {
  return { tgt: targets, fun, arg, tgt_type: 'list', ret: '', jid: '', kwargs };
}

/** Drops entries older than `before` (all of them if that is not enough). */
function prune(table: Map<string, number>, before: number): void {
  if (table.size < MAX_ENTRIES) return;
  for (const [key, at] of table) if (at < before) table.delete(key);
  if (table.size >= MAX_ENTRIES) table.clear();
}

export class LivenessChecks {
  readonly counts: LivenessCheckCounts = { running: 0, findJob: 0, deferred: 0 };
  /** Rounds waiting to go out, by credential key. */
  private readonly forming = new Map<string, Waiting[]>();
  private readonly lastRound = new Map<string, number>();
  private readonly refusedUntil = new Map<string, number>();
  /** When each minion's latest return arrived. */
  private readonly lastReturn = new Map<string, number>();
  /** Keys credentials so that they are not kept as map keys. */
  private readonly keySecret = randomBytes(32);

  constructor(
    private readonly master: Publisher,
    private readonly settings: MasterSettings,
    private readonly options: LivenessOptions,
  ) {}

  /** Resolves once the job's check went out: its jid and kind, or null when nothing was published. */
  check(member: LivenessMember): Promise<LivenessCheck | null> {
    if (!this.options.coalesce) return this.findJob(member);
    const key = this.credentialKey(member.kwargs);
    if (this.refused(key, performance.now())) return this.findJob(member);
    return new Promise((resolve, reject) => {
      this.enqueue(key, { member, since: performance.now(), resolve, reject });
    });
  }

  /** A return from `id` arrived: it is alive and working through its jobs. */
  noteReturn(id: string): void {
    const now = performance.now();
    this.lastReturn.delete(id);
    this.lastReturn.set(id, now);
    dropOldest(this.lastReturn, now - this.options.intervalMs, MAX_ENTRIES);
  }

  private credentialKey(kwargs: SaltMap): string {
    const hmac = createHmac('sha256', this.keySecret);
    for (const key of AUTH_KWARGS) {
      const value = kwargs[key];
      hmac.update(`${key}\u0000${Object.hasOwn(kwargs, key) && value !== undefined ? pythonStr(value) : ''}\u0000`);
    }
    return hmac.digest('base64');
  }

  private enqueue(key: string, waiting: Waiting): void {
    const round = this.forming.get(key);
    if (round !== undefined) {
      round.push(waiting);
      return;
    }
    this.forming.set(key, [waiting]);
    const due = (this.lastRound.get(key) ?? -Infinity) + this.options.intervalMs;
    setTimeout(() => void this.send(key), Math.max(0, due - performance.now()));
  }

  /** Whether the master refused saltutil.running to these credentials lately. */
  private refused(key: string, now: number): boolean {
    return (this.refusedUntil.get(key) ?? -Infinity) > now;
  }

  private returning(id: string, now: number): boolean {
    return now - (this.lastReturn.get(id) ?? -Infinity) < this.options.intervalMs;
  }

  /** Sends the round of `key`: one saltutil.running to the silent minions of the jobs in it. */
  private async send(key: string): Promise<void> {
    const round = this.forming.get(key) ?? [];
    this.forming.delete(key);
    const now = performance.now();
    this.lastRound.set(key, now);
    prune(this.lastRound, now - this.options.intervalMs);
    const asked: Waiting[] = [];
    const targets = new Set<string>();
    for (const waiting of round) {
      const pending = waiting.member.pending();
      if (pending.length === 0) {
        waiting.resolve(null);
      } else if (now - waiting.since < waiting.member.deferLimitMs && pending.some((id) => this.returning(id, now))) {
        this.counts.deferred++;
        this.enqueue(key, waiting);
      } else {
        asked.push(waiting);
        for (const id of pending) targets.add(id);
      }
    }
    const first = asked[0];
    if (first === undefined) return;
    if (this.refused(key, now)) {
      // Refused while this round was forming.
      for (const waiting of asked) this.findJob(waiting.member).then(waiting.resolve, waiting.reject);
      return;
    }
    const spec = checkSpec('saltutil.running', [], [...targets], authKwargs(first.member.kwargs));
    let shared: Promise<PublishResult> | undefined;
    let sentAt = 0;
    const publish = (): Promise<PublishResult> => {
      if (shared === undefined) {
        this.counts.running++;
        sentAt = performance.now();
        shared = this.master.publish(publishLoad(spec, this.settings));
      }
      return shared;
    };
    await Promise.all(
      asked.map((waiting) =>
        waiting.member.track(publish).then(
          (reply) => waiting.resolve(reply.jid === null ? null : { jid: reply.jid, kind: 'running', sentAt }),
          (err: unknown) => this.roundFailed(key, waiting, err),
        ),
      ),
    );
  }

  /** The master refused the shared check: the job asks with find_job, which it always allows. */
  private roundFailed(key: string, waiting: Waiting, err: unknown): void {
    if (!(err instanceof MasterErrorReply)) {
      waiting.reject(err);
      return;
    }
    if (err.errorName === 'AuthorizationError') {
      const now = performance.now();
      this.refusedUntil.set(key, now + REFUSAL_MEMORY_MS);
      prune(this.refusedUntil, now);
    }
    this.findJob(waiting.member).then(waiting.resolve, waiting.reject);
  }

  /** LocalClient's own check: `saltutil.find_job <jid>` to the job's silent minions. */
  private async findJob(member: LivenessMember): Promise<LivenessCheck | null> {
    const targets = member.pending();
    if (targets.length === 0) return null;
    const spec = checkSpec('saltutil.find_job', [member.jid], targets, member.kwargs);
    this.counts.findJob++;
    const sentAt = performance.now();
    const reply = await member.track(() => this.master.publish(publishLoad(spec, this.settings)));
    return reply.jid === null ? null : { jid: reply.jid, kind: 'find_job', sentAt };
  }
}
