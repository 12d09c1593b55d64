import type { SaltMap, SaltValue } from '../salt/codec/values.js';
import { isSaltMap } from '../salt/codec/values.js';
import { bindCall, formatCall, PythonTypeError, type BoundCall, type Signature } from './call-args.js';
import { isoStamp } from './clock.js';
import { errorMessage } from '../error-fields.js';

/**
 * How runner and wheel functions run on the master (`salt.client.mixins.SyncClientMixin.low`):
 * arguments from `low.arg`/`low.kwarg` or picked by `format_call`, a `new` event, the call,
 * a `ret` event with `return` and `success`. Exceptions become an "Exception occurred in ..."
 * text; a bad call signature becomes the "Passed invalid arguments" usage text.
 */

export interface MasterFunction {
  sig: Signature;
  doc: string;
  call(call: BoundCall): SaltValue | Promise<SaltValue>;
}

export type FireEvent = (tag: string, data: SaltMap) => void;

/**
 * Raised from `low()`'s cleanup when the function could not even be set up (unknown function,
 * unusable arguments): this snapshot then fails before firing any event.
 */
export class ProcFnUnbound extends Error {
  override readonly name = 'UnboundLocalError';
  constructor() {
    super("cannot access local variable 'proc_fn' where it is not associated with a value");
  }
}

/** Keywords format_call never hands to a function's `**kwargs` (CLIENT_INTERNAL_KEYWORDS). */
const CLIENT_INTERNAL_KEYWORDS = new Set([
  'client',
  'cmd',
  'eauth',
  'fun',
  'kwarg',
  'match',
  'token',
  '__jid__',
  '__tag__',
  '__user__',
  'username',
  'password',
  'full_return',
  'print_event',
]);

function pythonTraceback(err: unknown): string {
  const name = err instanceof Error ? err.name : 'Exception';
  const message = errorMessage(err);
  return `Traceback (most recent call last):\n  File "salt/client/mixins.py", line 400, in low\n${name}: ${message}\n`;
}

export interface LowCall {
  client: 'runner' | 'wheel';
  fun: string;
  low: SaltMap;
  user: string;
  jid: string;
  functions: ReadonlyMap<string, MasterFunction>;
  fire: FireEvent;
  signal: AbortSignal;
}

function callArguments(fn: MasterFunction, low: SaltMap): { args: SaltValue[]; kwargs: SaltMap } {
  if (Object.hasOwn(low, 'arg') && Object.hasOwn(low, 'kwarg')) {
    const arg = low['arg'];
    const kwarg = low['kwarg'];
    return { args: Array.isArray(arg) ? arg : [arg], kwargs: isSaltMap(kwarg) ? kwarg : {} };
  }
  try {
    const { args, kwargs } = formatCall(fn.sig, low);
    if (fn.sig.varKwargs) {
      for (const [key, value] of Object.entries(low)) {
        if (!CLIENT_INTERNAL_KEYWORDS.has(key) && !fn.sig.params.some((p) => p.name === key)) kwargs[key] = value;
      }
    }
    return { args, kwargs };
  } catch {
    throw new ProcFnUnbound();
  }
}

/** Runs one runner/wheel function and fires its events; resolves with the full return data. */
export async function runLow(call: LowCall): Promise<SaltMap> {
  const { client, fun, jid, fire } = call;
  const prefix = client === 'runner' ? 'salt/run' : 'salt/wheel';
  const data: SaltMap = { fun: `${client}.${fun}`, jid, user: call.user };
  const fn = call.functions.get(fun);
  if (fn === undefined) throw new ProcFnUnbound();
  const { args, kwargs } = callArguments(fn, call.low);
  data['fun_args'] = [...args, ...(Object.keys(kwargs).length > 0 ? [kwargs] : [])];
  data['_stamp'] = isoStamp();
  fire(`${prefix}/${jid}/new`, { ...data });
  try {
    try {
      data['return'] = await fn.call(bindCall(fn.sig, args, kwargs));
    } catch (err) {
      if (!(err instanceof PythonTypeError)) throw err;
      data['return'] = `\nPassed invalid arguments: ${err.message}\n\nUsage:\n${fn.doc}`;
    }
    data['success'] = true;
  } catch (err) {
    if (call.signal.aborted) throw err;
    data['return'] = `Exception occurred in ${client} ${fun}: ${pythonTraceback(err)}`;
    data['success'] = false;
    data['retcode'] = 1;
  }
  data['_stamp'] = isoStamp();
  fire(`${prefix}/${jid}/ret`, { ...data });
  return data;
}
