import type { SaltMap, SaltValue } from '../codec/values.js';
import { InvalidRequestError } from '../errors.js';
import { omit } from './split-chunk.js';
import { pythonStr } from '../../python/repr.js';
import { pythonTruthy } from '../../python/truthiness.js';
import type { ClientContext, LowstateClient } from './context.js';
import { genJid } from './jid.js';

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
export const runWheel: LowstateClient = async (chunk, ctx, _signal, onJid) => {
  const fun = functionName(chunk, 'wheel', 'wheel');
  const reply = await ctx.master.commands.wheel(wheelLoad(chunk, fun));
  const jid = reply.data['jid'];
  if (typeof jid === 'string') onJid?.(jid);
  return [{ tag: reply.tag, data: reply.data }];
};

/**
 * Answers `{tag, jid}` at once and sends the request in the background, with the `__jid__`,
 * `__user__` and `__tag__` keys salt-api's child process adds, and puts nothing on the bus itself:
 * whatever the master fires for the job is all there is, as with salt-api (docs/decisions/0023).
 * Masters of the 3006 and 3007 lines run the job under the returned jid (and fire a pair of their
 * own besides); newer ones run it under a jid of their own, so there the returned tag, like
 * salt-api's, sees no event.
 */
export const runWheelAsync: LowstateClient = (chunk, ctx, _signal, onJid) => {
  const fun = functionName(chunk, 'wheel_async', 'wheel');
  const jid = genJid();
  onJid?.(jid);
  const tag = `salt/wheel/${jid}`;
  const load: SaltMap = { ...wheelLoad(chunk, fun), __jid__: jid, __user__: 'UNKNOWN', __tag__: tag };
  void sendInBackground(ctx, load, { fun: `wheel.${pythonStr(fun)}`, jid });
  return Promise.resolve([{ tag, jid }]);
};

/** The request of a `wheel_async` call; a failure is only logged, as salt-api's child logs it. */
async function sendInBackground(ctx: ClientContext, load: SaltMap, job: { fun: string; jid: string }): Promise<void> {
  try {
    await ctx.master.commands.wheel(load);
  } catch (err) {
    ctx.logger?.warn({ err, jid: job.jid, fun: job.fun }, 'wheel_async job failed');
  }
}
