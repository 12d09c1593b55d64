import { isSaltMap, type SaltMap, type SaltValue } from '../../codec/values.js';
import { InvalidRequestError } from '../../errors.js';
import { pythonRepr } from '../../../python/repr.js';
import type { SaltEvent } from '../../event-frame.js';
import { intOption, secondsOption } from '../numeric-options.js';
import { localTimeoutSeconds, toTimerMs } from '../timeouts.js';
import { pythonTruthy } from '../../../python/truthiness.js';
import type { ClientContext, LowstateClient } from '../context.js';
import { genJid } from '../jid.js';
import { JobEventStream } from './job-events.js';
import { JobWatch } from './job-watch.js';
import { callArgs, publishLoad, splitLocalChunk, stringParam, type PublishSpec } from './local-load.js';
import { livenessMember, publishAndWatch } from './local.js';

/**
 * `local_batch` (LocalClient.cmd_batch → salt/cli/batch.py; docs/routes.md "Lowstate clients"):
 * a presence `test.ping` on the target, then the job on at most `batch` of the minions that
 * answered at a time (a count, or a percentage of them), all under one caller-chosen jid; a
 * minion that finishes frees its slot for the next one. One result element per minion, in
 * completion order: `{id: value}`; `{id: {}}` for a minion that never returned.
 */

const CREDENTIALS = ['eauth', 'username', 'password', 'token'];

/** `salt.utils.batch_state.get_batch_size`. */
export function batchSize(spec: SaltValue, minions: number): number {
  if (typeof spec === 'string' && spec.includes('%')) {
    const percent = secondsOption(spec.replace(/^%+|%+$/g, ''), 'batch');
    const size = (percent / 100) * minions;
    return size < 1 ? Math.max(1, Math.ceil(size)) : Math.trunc(size);
  }
  if (typeof spec === 'number' && !Number.isInteger(spec)) return Math.max(1, Math.trunc(spec));
  try {
    return Math.max(1, intOption(spec, 'batch'));
  } catch {
    throw new InvalidRequestError(
      `Invalid batch specification ${pythonRepr(spec)}: must be an integer or percentage string like '10' or '25%'.`,
      { saltInvocation: true },
    );
  }
}

/** The effective retcode of a return (`_collapse_retcode`): a compound job's worst one. */
function retcodeOf(entry: SaltMap): number {
  const retcode = entry['retcode'];
  if (typeof retcode === 'number') return Math.trunc(retcode);
  if (isSaltMap(retcode))
    return Math.max(0, ...Object.values(retcode).filter((v): v is number => typeof v === 'number'));
  return 0;
}

function seconds(value: SaltValue | undefined, fallback: number, name: string): number {
  return value === undefined || value === null ? fallback : secondsOption(value, name);
}

export const runLocalBatch: LowstateClient = async (chunk, ctx, signal, onJid) => {
  const { named, extras, tgt, fun, tgtType } = splitLocalChunk(chunk, 'local_batch');
  const eauth: SaltMap = {};
  for (const key of CREDENTIALS) if (Object.hasOwn(extras, key)) eauth[key] = extras[key];
  const gatherJobTimeout = extras['gather_job_timeout'] ?? ctx.settings.gatherJobTimeout;
  const pingGatherJobTimeout = extras['batch_presence_ping_gather_job_timeout'] ?? gatherJobTimeout;
  const spec = named.get('batch') ?? '10%';
  batchSize(spec, 0); // a malformed size is refused before anything is published
  const limits = {
    waitMs: extras['batch_wait'] === undefined ? 0 : toTimerMs(intOption(extras['batch_wait'], 'batch_wait')),
    timeoutMs: toTimerMs(seconds(extras['timeout'], ctx.settings.timeout, 'timeout')),
    gatherJobTimeoutMs: toTimerMs(intOption(gatherJobTimeout, 'gather_job_timeout')),
  };

  const ping: PublishSpec = {
    tgt,
    fun: 'test.ping',
    arg: [],
    tgt_type: tgtType,
    ret: '',
    jid: '',
    kwargs: { gather_job_timeout: pingGatherJobTimeout, ...eauth, yield_pub_data: true },
  };
  const pingTimeout = extras['batch_presence_ping_timeout'] ?? extras['timeout'] ?? null;
  const presence = await publishAndWatch(
    ctx,
    ping,
    {
      timeoutMs: toTimerMs(localTimeoutSeconds(pingTimeout, ctx.settings.timeout)),
      gatherJobTimeoutMs: toTimerMs(intOption(pingGatherJobTimeout, 'gather_job_timeout')),
    },
    signal,
    onJid,
  );
  const minions = presence === null ? [] : [...presence.outcome.returns.keys()];
  if (minions.length === 0) return [];

  const driver = new BatchDriver(ctx, signal, {
    minions,
    size: batchSize(spec, minions.length),
    raw: pythonTruthy(extras['raw'] ?? false),
    failhard: pythonTruthy(extras['failhard'] ?? false),
    ...limits,
    job: {
      fun,
      arg: callArgs(named),
      ret: stringParam(named.get('ret'), 'ret'),
      kwargs: { raw: extras['raw'] ?? false, gather_job_timeout: gatherJobTimeout, ...eauth, yield_pub_data: true },
    },
  });
  onJid?.(driver.jid);
  return driver.run();
};

interface BatchPlan {
  minions: string[];
  size: number;
  raw: boolean;
  failhard: boolean;
  waitMs: number;
  timeoutMs: number;
  gatherJobTimeoutMs: number;
  job: { fun: string | string[]; arg: SaltValue[]; ret: string; kwargs: SaltMap };
}

/** The rolling window of `salt.utils.batch_state.progress_batch`, driven by events and timers. */
class BatchDriver {
  /** The one jid every sub-batch runs under. */
  readonly jid = genJid();
  private readonly pending: string[];
  /** How many of `pending` went out: the rest wait, in order. */
  private sent = 0;
  private readonly active = new Set<string>();
  /**
   * When each batch_wait cool-down ends, in the order they began (all last `waitMs`, so also the
   * order they end); those before `cooledDown` are over. A slot stays blocked until its own ends.
   */
  private cooldowns: number[] = [];
  private cooledDown = 0;
  private readonly watches = new Set<JobWatch>();
  /** The sub-batch each minion went out in: its return goes there. */
  private readonly watchOf = new Map<string, JobWatch>();
  private readonly results: SaltValue[] = [];
  private halted = false;

  constructor(
    private readonly ctx: ClientContext,
    private readonly signal: AbortSignal | undefined,
    private readonly plan: BatchPlan,
  ) {
    this.pending = [...plan.minions];
  }

  async run(): Promise<SaltValue[]> {
    const events = new JobEventStream(this.ctx.master.bus, 'salt/job/', this.signal);
    events.follow(this.jid);
    try {
      while (!this.halted && (this.waiting > 0 || this.active.size > 0)) {
        await this.dispatch(events);
        let wake = Infinity;
        for (const watch of [...this.watches]) {
          const next = watch.tick();
          if (next === 'done') this.finish(watch);
          else wake = Math.min(wake, next);
        }
        const cooling = this.cooldowns[this.cooledDown];
        if (this.waiting > 0 && cooling !== undefined) wake = Math.min(wake, cooling + 1);
        // No job in flight and nothing to wait for: the next dispatch has free slots (or all is done).
        if (this.watches.size === 0 && wake === Infinity) continue;
        const event = await events.next(wake - performance.now());
        if (event !== undefined) this.route(event, events);
      }
      return this.results;
    } finally {
      events.close();
    }
  }

  /** Publishes to as many pending minions as there are free slots. */
  private async dispatch(events: JobEventStream): Promise<void> {
    const now = performance.now();
    while (this.cooledDown < this.cooldowns.length && (this.cooldowns[this.cooledDown] ?? 0) <= now) this.cooledDown++;
    if (this.cooledDown > 1_024 && this.cooledDown * 2 > this.cooldowns.length) {
      this.cooldowns = this.cooldowns.slice(this.cooledDown);
      this.cooledDown = 0;
    }
    const free = this.plan.size - this.active.size - (this.cooldowns.length - this.cooledDown);
    if (free <= 0 || this.waiting === 0) return;
    const targets = this.pending.slice(this.sent, this.sent + free);
    this.sent += targets.length;
    for (const id of targets) this.active.add(id);
    const { job } = this.plan;
    const spec: PublishSpec = {
      tgt: targets,
      fun: job.fun,
      arg: job.arg,
      tgt_type: 'list',
      ret: job.ret,
      jid: this.jid,
      kwargs: job.kwargs,
    };
    const pub = await this.ctx.master.commands.publish(publishLoad(spec, this.ctx.settings));
    const member = livenessMember(events, this.jid, job.kwargs, this.plan);
    const expected = pub.jid === null ? [] : pub.minions;
    const missing = pub.jid === null ? [] : pub.missing;
    const answerable = new Set([...expected, ...missing]);
    for (const id of targets) if (!answerable.has(id)) this.timedOut(id);
    for (const id of missing) this.failed(id);
    if (expected.length === 0) return;
    const watch = new JobWatch({
      jid: this.jid,
      minions: expected,
      timeoutMs: this.plan.timeoutMs,
      gatherJobTimeoutMs: this.plan.gatherJobTimeoutMs,
      checkLiveness: (pending) => this.ctx.liveness.check(member(pending)),
      wake: () => events.wake(),
      onReturn: (id, entry, event) => {
        this.ctx.liveness.noteReturn(id);
        this.returned(id, entry, event);
      },
    });
    this.watches.add(watch);
    for (const id of expected) this.watchOf.set(id, watch);
  }

  /** Minions not sent yet. */
  private get waiting(): number {
    return this.pending.length - this.sent;
  }

  private route(event: SaltEvent, events: JobEventStream): void {
    const jid = events.jidOf(event.tag);
    if (jid === this.jid) {
      // Every sub-batch shares the jid: a return goes to the sub-batch that expects its minion.
      const prefix = `salt/job/${jid}/ret/`;
      if (!event.tag.startsWith(prefix)) return;
      const id = event.tag.slice(prefix.length);
      const watch = this.watchOf.get(id);
      if (watch !== undefined && this.watches.has(watch)) watch.onJobEvent(event);
      return;
    }
    for (const watch of this.watches) if (watch.livenessJid === jid) watch.onLivenessEvent(event);
  }

  private returned(id: string, entry: SaltMap, event: SaltEvent): void {
    if (this.halted || !this.active.delete(id)) return;
    this.results.push(this.plan.raw ? { data: event.data, tag: event.tag } : { [id]: entry['ret'] ?? null });
    this.coolDown();
    if (this.plan.failhard && retcodeOf(entry) > 0) this.halted = true;
  }

  /** A finished sub-batch job: its silent minions timed out. */
  private finish(watch: JobWatch): void {
    this.watches.delete(watch);
    const { silent, missing } = watch.outcome();
    for (const id of missing) this.failed(id);
    for (const id of silent) this.timedOut(id);
  }

  private timedOut(id: string): void {
    if (this.halted || !this.active.delete(id)) return;
    this.results.push(this.plan.raw ? { data: { id, return: {}, retcode: 0 } } : { [id]: {} });
    this.coolDown();
  }

  private failed(id: string): void {
    if (this.active.delete(id)) this.coolDown();
  }

  private coolDown(): void {
    if (this.plan.waitMs > 0) this.cooldowns.push(performance.now() + this.plan.waitMs);
  }
}
