import type { SaltMap, SaltValue } from '../codec/values.js';
import { InvalidRequestError, SaltError } from '../errors.js';
import { omit } from './split-chunk.js';
import { pythonStr } from '../../python/repr.js';
import { pythonTruthy } from '../../python/truthiness.js';
import type { ClientContext, LowstateClient } from './context.js';
import { genJid, isoStamp } from './jid.js';
import { tagMatcher } from '../tag-match.js';

/**
 * `wheel` and `wheel_async` (salt-api's WheelClient; docs/wire-protocol.md
 * "Commands salt-apid sends" and "When is a call finished?"). The load is the chunk as given
 * (`client` and credentials included, keyword arguments at the top level) minus `fun`, then `fun`,
 * then `cmd: "wheel"`; the master runs the function inside the request.
 */

/** salt-api's `format_call` message when a runner/wheel chunk has no `fun`. */
export function requireFun(chunk: SaltMap, client: string): SaltValue {
  if (!Object.hasOwn(chunk, 'fun')) throw new InvalidRequestError(`${client} takes at least 1 argument (0 given)`);
  return chunk['fun'];
}

/** `module.function`, as the master's runner and wheel modules name their functions. */
const FUNCTION_NAME = /^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$/;

/**
 * The chunk's `fun` when it can name a runner or wheel function. Anything else (a number, a
 * list, a name without a module) is refused here with 400: the master would refuse it too, but
 * with an error reply that says nothing about what was wrong.
 */
export function functionName(chunk: SaltMap, client: string, kind: 'runner' | 'wheel'): string {
  const fun = requireFun(chunk, client);
  if (!pythonTruthy(fun)) {
    throw new InvalidRequestError(
      `Must specify a function to run!\nex: ${kind === 'runner' ? 'manage.up' : 'key.list_all'}`,
    );
  }
  if (typeof fun !== 'string' || !FUNCTION_NAME.test(fun)) {
    throw new InvalidRequestError(`'${pythonStr(fun)}' is not a ${kind} function name (expected module.function)`);
  }
  return fun;
}

function wheelLoad(chunk: SaltMap, fun: SaltValue): SaltMap {
  return { ...omit(chunk, ['fun']), fun };
}

/** The whole reply envelope `{tag, data: {fun, jid, tag, user, return, success}}`. */
export const runWheel: LowstateClient = async (chunk, ctx) => {
  const fun = functionName(chunk, 'wheel', 'wheel');
  const reply = await ctx.master.commands.wheel(wheelLoad(chunk, fun));
  return [{ tag: reply.tag, data: reply.data }];
};

/**
 * Answers `{tag, jid}` at once and sends the request in the background, with the `__jid__`,
 * `__user__` and `__tag__` keys salt-api's child process adds. Masters of the 3006 and 3007 lines
 * honour them and fire `<tag>/new` and `<tag>/ret` themselves; newer ones run the job under a jid
 * of their own, so there salt-apid fires that pair for the returned tag once the master has
 * answered. Either way the returned tag sees the outcome exactly once.
 */
export const runWheelAsync: LowstateClient = (chunk, ctx) => {
  const fun = functionName(chunk, 'wheel_async', 'wheel');
  const jid = genJid();
  const tag = `salt/wheel/${jid}`;
  const load: SaltMap = { ...wheelLoad(chunk, fun), __jid__: jid, __user__: 'UNKNOWN', __tag__: tag };
  void completeInBackground(ctx, load, { fun: `wheel.${pythonStr(fun)}`, jid, tag });
  return Promise.resolve([{ tag, jid }]);
};

/** How long after the reply a master's own `<tag>/new` may still be on its way over the bus. */
const MASTER_EVENTS_GRACE_MS = 300;

async function completeInBackground(
  ctx: ClientContext,
  load: SaltMap,
  job: { fun: string; jid: string; tag: string },
): Promise<void> {
  // The master fires `<tag>/new` before it runs the function, so it is seen by the time the reply is.
  const ownEvents = ctx.master.bus.subscribe({ match: tagMatcher(`${job.tag}/new`), maxQueue: 4 });
  let data: SaltMap;
  try {
    const reply = await ctx.master.commands.wheel(load);
    data = { ...reply.data, jid: job.jid, tag: job.tag };
  } catch (err) {
    ctx.logger?.warn({ err, jid: job.jid, fun: job.fun }, 'wheel_async job failed');
    const message = err instanceof SaltError ? err.message : String(err);
    data = { fun: job.fun, jid: job.jid, tag: job.tag, user: 'UNKNOWN', return: message, success: false };
  }
  const masterFired = (await ownEvents.nextWithin(MASTER_EVENTS_GRACE_MS)) !== undefined;
  ownEvents.close();
  if (masterFired) return;
  const started: SaltMap = {
    fun: job.fun,
    jid: job.jid,
    tag: job.tag,
    user: data['user'] ?? 'UNKNOWN',
    _stamp: isoStamp(),
  };
  try {
    await ctx.master.bus.fire(`${job.tag}/new`, started);
    await ctx.master.bus.fire(`${job.tag}/ret`, { ...data, _stamp: isoStamp() });
  } catch (err) {
    ctx.logger?.warn({ err, tag: job.tag }, 'could not fire the wheel_async events');
  }
}
