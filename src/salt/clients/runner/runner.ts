import { isSaltMap, type SaltMap } from '../../codec/values.js';
import { InvalidRequestError, JobTimeoutError } from '../../errors.js';
import type { SaltEvent } from '../../event-frame.js';
import { secondsOption } from '../numeric-options.js';
import { omit } from '../split-chunk.js';
import { pythonTruthy } from '../../../python/truthiness.js';
import { toTimerMs } from '../timeouts.js';
import type { ClientContext, LowstateClient } from '../context.js';
import { JobEventStream } from '../local/job-events.js';
import { runnerLoad } from './runner-args.js';
import { RUNNER_FUNCTIONS } from './runner-catalog.js';
import { functionName } from '../wheel.js';

/**
 * `runner` and `runner_async` (salt-api's RunnerClient; docs/wire-protocol.md
 * "When is a call finished?").
 *
 * Unknown functions: salt-api imports the master's runner modules and refuses an unknown `fun`
 * before sending; the master itself accepts it and then never fires an event. salt-apid knows
 * the signatures of Salt's own runner modules (runner-catalog.ts); for a name outside that table
 * (a custom `_runners` module, a module of another Salt release, a typo) it asks the master's
 * own list of runner functions (runner-names.ts) and answers 400 "'<fun>' is not available." at
 * once for a name the master does not have. When the list cannot be had (the caller may not run
 * `doc.runner`), the call is sent and ends with that 400 if the runner has not started (no
 * `salt/run/<jid>/new`) within `unknownRunnerStartMs`, instead of waiting the whole `timeout`.
 */

const runnerFun = (chunk: SaltMap, client: string): string => functionName(chunk, client, 'runner');

/** Refuses a function outside the catalog that the master says it does not have. */
async function refuseUnknown(fun: string, chunk: SaltMap, ctx: ClientContext): Promise<void> {
  if (RUNNER_FUNCTIONS.has(fun)) return;
  if ((await ctx.runnerNames.has(fun, chunk)) === false) throw new InvalidRequestError(`'${fun}' is not available.`);
}

export const runRunner: LowstateClient = async (chunk, ctx, signal, onJid) => {
  const fun = runnerFun(chunk, 'runner');
  const timeout = chunk['timeout'];
  const timeoutMs = toTimerMs(
    timeout === undefined || timeout === null ? ctx.settings.restTimeout : secondsOption(timeout, 'timeout'),
  );
  const signature = RUNNER_FUNCTIONS.get(fun);
  const load = runnerLoad(fun, omit(chunk, ['fun', 'timeout', 'full_return']), signature);
  await refuseUnknown(fun, chunk, ctx);

  await ctx.master.bus.waitConnected(ctx.tuning.busConnectMs);
  const events = new JobEventStream(ctx.master.bus, 'salt/run/', signal);
  try {
    const job = await events.track(
      () => ctx.master.commands.runner(load),
      (reply) => reply.jid,
    );
    onJid?.(job.jid);
    const startMs = signature === undefined ? ctx.tuning.unknownRunnerStartMs : Infinity;
    const ret = await waitForReturn(events, job.tag, fun, { timeoutMs, startMs, jid: job.jid });
    if (pythonTruthy(chunk['full_return'])) return [{ data: ret.data, tag: ret.tag }];
    return [isSaltMap(ret.data) ? ret.data['return'] : null];
  } finally {
    events.close();
  }
};

/** The master's `{tag, jid}` as is; the runner fires `<tag>/new` and `<tag>/ret` later. */
export const runRunnerAsync: LowstateClient = async (chunk, ctx, _signal, onJid) => {
  const fun = runnerFun(chunk, 'runner_async');
  const load = runnerLoad(fun, omit(chunk, ['fun']), RUNNER_FUNCTIONS.get(fun));
  await refuseUnknown(fun, chunk, ctx);
  const job = await ctx.master.commands.runner(load);
  onJid?.(job.jid);
  return [{ tag: job.tag, jid: job.jid }];
};

async function waitForReturn(
  events: JobEventStream,
  tag: string,
  fun: string,
  limits: { timeoutMs: number; startMs: number; jid: string },
): Promise<SaltEvent> {
  const start = performance.now();
  const deadline = start + limits.timeoutMs;
  const startDeadline = start + limits.startMs;
  let started = false;
  for (;;) {
    const now = performance.now();
    const until = started ? deadline : Math.min(deadline, startDeadline);
    if (now >= until) {
      if (!started && startDeadline < deadline) throw new InvalidRequestError(`'${fun}' is not available.`);
      throw new JobTimeoutError(limits.jid, limits.timeoutMs);
    }
    const event = await events.next(until - now);
    if (event?.tag === `${tag}/ret`) return event;
    if (event?.tag === `${tag}/new`) started = true;
  }
}
