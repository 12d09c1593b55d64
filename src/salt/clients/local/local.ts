import { isSaltMap, type SaltMap, type SaltValue } from '../../codec/values.js';
import type { PublishLoad, PublishResult } from '../../clear-commands.js';
import { InvalidRequestError } from '../../errors.js';
import { localTimeoutSeconds, toTimerMs } from '../timeouts.js';
import { omit } from '../split-chunk.js';
import { intOption } from '../numeric-options.js';
import { pythonStr } from '../../../python/repr.js';
import { pythonTruthy } from '../../../python/truthiness.js';
import type { ClientContext, JidSink, LowstateClient } from '../context.js';
import { JobEventStream } from './job-events.js';
import { JobWatch, type WatchOutcome } from './job-watch.js';
import type { LivenessMember } from './liveness.js';
import type { AdmittedJob } from '../admission/admission.js';
import { JobProbe } from '../admission/job-probe.js';
import { callKey } from '../admission/call-latency.js';
import { callArgs, publishLoad, publishSpec, splitLocalChunk, stringParam, type PublishSpec } from './local-load.js';
import { emptyDict, setOwn } from '../../../dict.js';

/**
 * `local`, `local_async` and `local_subset` (salt-api's LocalClient `cmd`, `run_job`, `cmd_subset`
 * in salt/client/__init__.py; docs/routes.md "Lowstate clients", docs/wire-protocol.md "When is a
 * call finished?").
 */

/** Keyword arguments the calls between `cmd` and the find_job publish consume on the way. */
const NOT_PASSED_TO_FIND_JOB = ['verbose', 'progress', 'show_timeout', 'show_jid', 'expect_minions', 'block', 'listen'];

export interface WatchedJob {
  pub: { jid: string; minions: string[]; missing: string[] };
  outcome: WatchOutcome;
}

export interface WaitLimits {
  timeoutMs: number;
  gatherJobTimeoutMs: number;
}

function published(pub: PublishResult): pub is { jid: string; minions: string[]; missing: string[] } {
  return pub.jid !== null && pub.minions.length > 0;
}

/** The `gather_job_timeout` extra keyword, else the master's. */
export function gatherJobTimeoutMs(extras: SaltMap, ctx: ClientContext): number {
  const value = extras['gather_job_timeout'];
  return toTimerMs(value === undefined ? ctx.settings.gatherJobTimeout : intOption(value, 'gather_job_timeout'));
}

/** A job's part in the liveness checks (liveness.ts): its silent minions and its credentials. */
export function livenessMember(
  events: JobEventStream,
  jid: string,
  findJobKwargs: SaltMap,
  limits: WaitLimits,
): (pending: () => string[]) => LivenessMember {
  return (pending) => ({
    jid,
    pending,
    kwargs: findJobKwargs,
    deferLimitMs: limits.gatherJobTimeoutMs,
    track: (request) => events.track(request, (reply) => reply.jid),
  });
}

/**
 * Publishes and waits until the job is finished (job-watch.ts). Null when nothing was
 * published because no minion matched. `onJid` hears the job's jid as soon as it is published.
 */
export async function publishAndWatch(
  ctx: ClientContext,
  spec: PublishSpec,
  limits: WaitLimits,
  signal: AbortSignal | undefined,
  onJid?: JidSink,
): Promise<WatchedJob | null> {
  const load = publishLoad(spec, ctx.settings);
  const call = callKey(load);
  const admitted = await ctx.admission.acquire(signal, ctx.callLatencies.speed(call));
  try {
    return await publishAndWatchAdmitted(ctx, load, call, spec.kwargs, limits, signal, admitted, onJid);
  } finally {
    admitted.finished();
  }
}

async function publishAndWatchAdmitted(
  ctx: ClientContext,
  load: PublishLoad,
  call: string,
  kwargs: SaltMap,
  limits: WaitLimits,
  signal: AbortSignal | undefined,
  admitted: AdmittedJob,
  onJid: JidSink | undefined,
): Promise<WatchedJob | null> {
  await ctx.master.bus.waitConnected(ctx.tuning.busConnectMs);
  const events = new JobEventStream(ctx.master.bus, 'salt/job/', signal);
  try {
    const sent = performance.now();
    const pub = await events.track(
      () => ctx.master.commands.publish(load),
      (reply) => reply.jid,
    );
    ctx.admission.observe(performance.now() - sent, sent);
    if (!published(pub)) return null;
    onJid?.(pub.jid);
    let lastReturn: number | undefined;
    const member = livenessMember(events, pub.jid, omit(kwargs, NOT_PASSED_TO_FIND_JOB), limits);
    const watch = newWatch(ctx, events, pub, member, limits, (id) => {
      lastReturn = performance.now();
      probe.noteReturn(id);
    });
    const probe = new JobProbe({
      jid: pub.jid,
      publishedAt: sent,
      isPending: (id) => watch.isPending(id),
      pendingCount: () => watch.pendingCount,
      late: (checkSent, answeredAt) => ctx.admission.observeCheck(checkSent, answeredAt),
      seenOnMinions: () => admitted.inMinionsHands(),
    });
    // A probe asks now, whatever the job's own checks wait for (they defer while minions return).
    const probeMember = { ...member(() => watch.pending()), deferLimitMs: 0 };
    admitted.onProbe = () => probe.probe(() => ctx.liveness.check(probeMember));
    const outcome = await readJob(events, pub, watch, probe);
    if (lastReturn !== undefined) ctx.callLatencies.record(call, lastReturn - sent, probe.seenRunning);
    return { pub, outcome };
  } finally {
    admitted.onProbe = undefined;
    events.close();
  }
}

/** The job's watch (job-watch.ts): LocalClient's wait, with shared liveness checks. */
function newWatch(
  ctx: ClientContext,
  events: JobEventStream,
  pub: WatchedJob['pub'],
  member: (pending: () => string[]) => LivenessMember,
  limits: WaitLimits,
  onReturn: (id: string) => void,
): JobWatch {
  return new JobWatch({
    jid: pub.jid,
    minions: pub.minions,
    missing: pub.missing,
    ...limits,
    checkLiveness: (pending) => ctx.liveness.check(member(pending)),
    wake: () => events.wake(),
    onReturn: (id) => {
      ctx.liveness.noteReturn(id);
      onReturn(id);
    },
  });
}

/** Reads the job's events until every minion returned or is given up on (job-watch.ts). */
async function readJob(
  events: JobEventStream,
  pub: WatchedJob['pub'],
  watch: JobWatch,
  probe: JobProbe,
): Promise<WatchOutcome> {
  for (;;) {
    const wake = watch.tick();
    if (wake === 'done') return watch.outcome();
    probe.follow(watch.livenessCheck);
    const event = await events.next(wake - performance.now());
    if (event === undefined) continue;
    const jid = events.jidOf(event.tag);
    if (jid === pub.jid) {
      watch.onJobEvent(event);
      continue;
    }
    if (jid === watch.livenessJid) watch.onLivenessEvent(event);
    probe.onEvent(jid, event);
  }
}

function noReturnMessage(jid: string): string {
  return (
    'Minion did not return. [No response]\nThe minions may not have all finished running and any ' +
    'remaining minions will return upon completion. To look up the return data for this job later, ' +
    `run the following command:\n\nsalt-run jobs.lookup_jid ${jid}`
  );
}

/** `LocalClient.cmd`'s result map, silent minions included. */
export function cmdResult(job: WatchedJob, fullReturn: boolean): SaltMap {
  const result = emptyDict<SaltValue>();
  for (const [id, entry] of job.outcome.returns) setOwn(result, id, fullReturn ? entry : (entry['ret'] ?? null));
  const message = noReturnMessage(job.pub.jid);
  for (const id of [...job.outcome.silent, ...job.outcome.missing]) {
    if (!Object.hasOwn(result, id))
      setOwn(result, id, fullReturn ? { out: 'no_return', ret: message, retcode: 1 } : message);
  }
  for (const id of job.pub.minions) if (!Object.hasOwn(result, id)) setOwn(result, id, false);
  return result;
}

/** One `LocalClient.cmd` call: the publish spec is complete, `timeout` still raw. */
async function cmd(
  ctx: ClientContext,
  spec: PublishSpec,
  timeout: SaltValue,
  fullReturn: boolean,
  signal: AbortSignal | undefined,
  onJid: JidSink | undefined,
): Promise<SaltMap> {
  const timeoutSeconds = localTimeoutSeconds(timeout ?? null, ctx.settings.timeout);
  // LocalClient fails on a wait of no time at all (salt-api: 500): a client's mistake, so a 400.
  if (timeoutSeconds <= 0)
    throw new InvalidRequestError(`'timeout' must be a positive number of seconds, not ${pythonStr(timeout)}`);
  const limits = {
    timeoutMs: toTimerMs(timeoutSeconds),
    gatherJobTimeoutMs: gatherJobTimeoutMs(spec.kwargs, ctx),
  };
  const job = await publishAndWatch(ctx, spec, limits, signal, onJid);
  return job === null ? {} : cmdResult(job, fullReturn);
}

export const runLocal: LowstateClient = async (chunk, ctx, signal, onJid) => {
  const split = splitLocalChunk(chunk, 'local');
  const { named } = split;
  const fullReturn = pythonTruthy(named.get('full_return'));
  return [await cmd(ctx, publishSpec(split), named.get('timeout'), fullReturn, signal, onJid)];
};

/** `run_job` without listening: `{jid, minions}` at once, `{}` when nothing matched. */
export const runLocalAsync: LowstateClient = async (chunk, ctx, _signal, onJid) => {
  const spec = publishSpec(splitLocalChunk(chunk, 'local_async'));
  const pub = await ctx.master.commands.publish(publishLoad(spec, ctx.settings));
  if (!published(pub)) return [{}];
  onJid?.(pub.jid);
  return [{ jid: pub.jid, minions: pub.minions }];
};

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** A `sys.list_functions` answer (a list); a minion that failed answered something else. */
function isFunctionList(value: SaltValue): value is SaltValue[] | SaltMap {
  return Array.isArray(value) || isSaltMap(value);
}

function offers(functions: SaltValue[] | SaltMap, fun: string | string[]): boolean {
  if (typeof fun !== 'string') return false;
  return Array.isArray(functions) ? functions.includes(fun) : Object.hasOwn(functions, fun);
}

/**
 * `cmd_subset`: `sys.list_functions` on the target, then the call on `subset` (legacy `sub`,
 * default 3) random minions that offer `fun`, as a list target with `progress` in kwargs.
 */
export const runLocalSubset: LowstateClient = async (chunk, ctx, signal, onJid) => {
  const { named, extras, tgt, fun, tgtType } = splitLocalChunk(chunk, 'local_subset');
  const subset = named.has('sub')
    ? intOption(named.get('sub') ?? null, 'sub')
    : intOption(named.get('subset') ?? 3, 'subset');
  const rest = omit(extras, ['timeout', 'jid']);
  const timeout = extras['timeout'];
  const jid = stringParam(extras['jid'], 'jid');
  const probe: PublishSpec = { tgt, fun: 'sys.list_functions', arg: [], tgt_type: tgtType, ret: '', jid, kwargs: rest };
  const lists = await cmd(ctx, probe, timeout, false, signal, onJid);
  const chosen: string[] = [];
  for (const id of shuffle(Object.keys(lists))) {
    const functions = lists[id] ?? null;
    if (!isFunctionList(functions)) continue;
    if (offers(functions, fun)) chosen.push(id);
    if (chosen.length >= subset) break;
  }
  const spec: PublishSpec = {
    tgt: chosen,
    fun,
    arg: callArgs(named),
    tgt_type: 'list',
    ret: stringParam(named.get('ret'), 'ret'),
    jid,
    kwargs: { progress: named.get('progress') ?? false, ...rest },
  };
  return [await cmd(ctx, spec, timeout, pythonTruthy(named.get('full_return')), signal, onJid)];
};
