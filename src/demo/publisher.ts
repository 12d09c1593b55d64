import { isSaltMap, type SaltMap, type SaltValue } from '../salt/codec/values.js';
import { publishAllowed } from '../salt/auth/acl.js';
import { authTypeOf } from './auth.js';
import { isoStamp } from './clock.js';
import { pythonStr } from '../python/repr.js';
import type { MasterContext } from './master-context.js';
import type { ReturnLoad } from './minions.js';
import { sleep } from './sleep.js';
import { checkMinions } from '../salt/auth/targeting.js';
import { safeText } from '../dict.js';

/** `ClearFuncs.publish` lets anyone ask a minion about its running jobs. */
const FIND_JOB_WHITELIST = ['saltutil.find_job'];

/**
 * `ClearFuncs.publish`: resolve the target, authenticate and authorise, allocate a jid, fire
 * `salt/job/<jid>/new` and `/publish`, hand the job to the live targeted minions, and fire each
 * minion's `salt/job/<jid>/ret/<id>` when it answers.
 */

/** Keys of `kwargs` that `_prep_pub` copies into the publication, in its order. */
const PUBLISHED_KWARGS = ['ret_config', 'metadata', 'module_executors', 'executor_opts', 'ret_kwargs'];

export interface InternalJob {
  tgt: SaltValue;
  tgtType: string;
  fun: string;
  arg: SaltValue[];
}

class PublishLoadError extends Error {
  constructor(key: string) {
    super(`publish load has no '${key}'`);
    this.name = 'KeyError';
  }
}

function required(load: SaltMap, key: string): SaltValue {
  if (!Object.hasOwn(load, key)) throw new PublishLoadError(key);
  return load[key];
}

export class Publisher {
  constructor(private readonly ctx: MasterContext) {}

  async publish(load: SaltMap): Promise<SaltValue> {
    const fun = required(load, 'fun');
    const tgt = required(load, 'tgt');
    required(load, 'user');
    if (typeof fun !== 'string' && !(Array.isArray(fun) && fun.every((f) => typeof f === 'string'))) {
      throw new TypeError('fun must be a string or a list of strings');
    }
    const extra = isSaltMap(load['kwargs']) ? load['kwargs'] : {};
    const tgtType = Object.hasOwn(load, 'tgt_type') ? pythonStr(load['tgt_type']) : 'glob';
    const delimiter = typeof extra['delimiter'] === 'string' ? extra['delimiter'] : ':';
    const { minions, missing } = checkMinions(tgt, tgtType, this.ctx.universe, delimiter);

    const { authType } = authTypeOf(extra);
    const auth = await this.ctx.auth.checkAuthentication(extra, authType);
    if (auth.error !== undefined) return this.refuse(load, 'AuthenticationError', 'Authentication error occurred.');
    const allowed = publishAllowed(
      auth.authList,
      {
        fun,
        arg: required(load, 'arg'),
        minions,
        resolve: (expr) => checkMinions(expr, 'compound', this.ctx.universe).minions,
      },
      FIND_JOB_WHITELIST,
    );
    if (!allowed) return this.refuse(load, 'AuthorizationError', 'Authorization error occurred.');

    // The master's work for a publish: the job cache, the events, the publication.
    await this.ctx.cpu?.master.run(this.ctx.cpu.model.publishMs);
    if (minions.length === 0) {
      return {
        enc: 'clear',
        load: { jid: null, minions, error: `Master could not resolve minions for target ${pythonStr(tgt)}` },
      };
    }
    const callerJid = load['jid'];
    const jid = typeof callerJid === 'string' && callerJid !== '' ? callerJid : this.ctx.jids.next();
    const job: SaltMap = {
      ...load,
      user: auth.username,
      tgt_type: required(load, 'tgt_type'),
      ret: required(load, 'ret'),
    };
    // As the master's save_load: on disk before the publish is answered, for a LocalClient that reads it.
    await this.ctx.jobFiles?.save(jid, { ...job, jid }, minions).catch((err: unknown) => {
      this.ctx.logger?.warn({ err, jid }, 'demo master: job cache file not written');
    });
    this.start(jid, job, extra, minions, missing).catch((err: unknown) => {
      this.ctx.logger?.error({ err, jid }, 'demo master: job failed');
    });
    return { enc: 'clear', load: { jid, minions, missing } };
  }

  /** A job the master itself runs (runners): resolves with the returns of the live minions. */
  async runInternal(spec: InternalJob): Promise<Map<string, ReturnLoad>> {
    const { minions, missing } = checkMinions(spec.tgt, spec.tgtType, this.ctx.universe);
    if (minions.length === 0) return new Map();
    const job: SaltMap = { tgt: spec.tgt, fun: spec.fun, arg: spec.arg, tgt_type: spec.tgtType, ret: '', user: 'root' };
    const returns = await this.start(this.ctx.jids.next(), job, {}, minions, missing);
    return new Map(returns.map((ret) => [safeText(ret['id']), ret]));
  }

  private refuse(load: SaltMap, name: string, message: string): SaltValue {
    const error = { name, message };
    const jid = load['jid'];
    if (typeof jid === 'string' && jid !== '') this.ctx.fire(`salt/job/${jid}/error`, { ...load, error });
    return { error };
  }

  private async start(
    jid: string,
    job: SaltMap,
    extra: SaltMap,
    minions: string[],
    missing: string[],
  ): Promise<ReturnLoad[]> {
    const { fun, arg, tgt, user } = job;
    const tgtType = job['tgt_type'];
    this.ctx.fire(`salt/job/${jid}/new`, { jid, tgt_type: tgtType, tgt, user, fun, arg, minions, missing });
    const metadata = extra['metadata'];
    this.ctx.jobs.save(
      jid,
      { fun, arg, tgt, tgt_type: tgtType, user, ...(metadata !== undefined ? { metadata } : {}) },
      minions,
    );

    const payload: SaltMap = { fun, arg, tgt, jid, ret: job['ret'], tgt_type: tgtType };
    for (const key of PUBLISHED_KWARGS) if (Object.hasOwn(extra, key)) payload[key] = extra[key];
    payload['user'] = user;
    this.ctx.fire(`salt/job/${jid}/publish`, payload);

    const live = minions.filter((id) => this.ctx.fleet.isRunning(id));
    const returns = await Promise.all(live.map((id) => this.deliver(id, payload)));
    return returns.filter((ret): ret is ReturnLoad => ret !== undefined);
  }

  private async deliver(id: string, payload: SaltMap): Promise<ReturnLoad | undefined> {
    const minion = this.ctx.fleet.get(id);
    if (minion === undefined) return undefined;
    const { signal, returnDelayMs } = this.ctx;
    try {
      await sleep(returnDelayMs + Math.random() * returnDelayMs, signal);
      const run = () => minion.run(payload, signal, (ret) => this.sendReturn(ret));
      // Under a capacity model the simulated processor spreads the work; without one, turns do.
      return await (this.ctx.cpu === undefined ? this.ctx.turns.run(run) : run());
    } catch (err) {
      if (!signal.aborted) this.ctx.logger?.error({ err, id }, 'demo master: simulated minion failed');
      return undefined;
    }
  }

  /**
   * A minion's return reaching the master. Under a capacity model it waits for the master's CPU;
   * a return not taken within `returnRetryMs` is sent again (the minion's `return_retry_timer`),
   * and the master does the work once more for each copy, as a real master does.
   */
  private async sendReturn(ret: ReturnLoad): Promise<void> {
    const { cpu, signal } = this.ctx;
    if (cpu === undefined) {
      this.receiveReturn(ret);
      return;
    }
    const { returnMs, returnRetryMs, returnRetries } = cpu.model;
    let copies = 0;
    const resend = (): void => {
      if (copies++ >= returnRetries) return;
      void cpu.master.run(returnMs).then(
        () => this.receiveReturn(ret),
        () => undefined,
      );
    };
    const retry = returnRetryMs > 0 ? setInterval(resend, returnRetryMs) : undefined;
    try {
      await cpu.master.run(returnMs);
      if (!signal.aborted) this.receiveReturn(ret);
    } finally {
      clearInterval(retry);
    }
  }

  /** AESFuncs._return: store the return in the job cache and put it on the bus. */
  private receiveReturn(ret: ReturnLoad): void {
    const jid = safeText(ret['jid']);
    const id = safeText(ret['id']);
    this.ctx.jobs.addResult(jid, id, ret);
    this.ctx.fire(`salt/job/${jid}/ret/${id}`, { ...ret, _stamp: isoStamp(), ts: Math.floor(Date.now() / 1000) });
  }
}
