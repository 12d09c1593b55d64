import { isSaltMap, type SaltMap, type SaltValue } from '../salt/codec/values.js';
import { bindCall, loadArgsAndKwargs, PythonTypeError, SaltInvocationError } from './call-args.js';
import { cannedGrains } from './grains.js';
import { MINION_FUNCTIONS, type MinionContext, type MinionFunction } from './minion-functions.js';
import { emptyDict, safeText } from '../dict.js';
import { SimulatedCpu, type CapacityModel } from './capacity.js';

/**
 * Simulated minions: each runs the jobs published to it and produces the return load a real
 * minion sends back (`salt.minion.Minion._thread_return` / `_thread_multi_return`), in the
 * same key order.
 */

/** What `_return_pub` sends to the master: `{cmd: "_return", id, ...ret}`. */
export type ReturnLoad = SaltMap;

const EX_GENERIC = 1;

/** The keys 3008 adds to the publish before the minion runs it (resource targeting). */
function minionJobData(publish: SaltMap): SaltMap {
  return { ...publish, resource_targets: [], pure_resource_target: false, minion_is_target: true };
}

interface Outcome {
  return: SaltValue;
  retcode: number;
  /** An error outputter, set when the call itself failed. */
  out?: string;
}

export class SimulatedMinion {
  private readonly running = new Map<string, SaltMap>();
  private nextPid: number;

  private readonly cpu: { model: CapacityModel; core: SimulatedCpu; machine: SimulatedCpu | undefined } | undefined;

  constructor(
    readonly id: string,
    readonly grains: SaltMap,
    pidBase: number,
    private readonly random: () => number,
    capacity?: MinionCapacity,
  ) {
    this.nextPid = pidBase;
    // One core: the minion's jobs run one after the other.
    this.cpu = capacity && {
      model: capacity.model,
      core: new SimulatedCpu(1, capacity.signal),
      machine: capacity.model.sharedMachine ? capacity.machine : undefined,
    };
  }

  /** The minion's CPU time for `fun`, under a capacity model. */
  private async work(fun: SaltValue): Promise<void> {
    if (this.cpu === undefined) return;
    const { model, core, machine } = this.cpu;
    const liveness = fun === 'saltutil.find_job' || fun === 'saltutil.running';
    const cost = liveness ? model.findJobMs : model.jobMs;
    await (machine === undefined ? core.run(cost) : core.hold(() => machine.run(cost)));
  }

  /**
   * Runs one published job; resolves with the return load once the function finished and
   * `send` (the return's trip to the master, which a real minion's job process waits for) ended.
   */
  async run(publish: SaltMap, signal: AbortSignal, send?: (ret: ReturnLoad) => Promise<void>): Promise<ReturnLoad> {
    const data = minionJobData(publish);
    const jid = safeText(data['jid']);
    this.running.set(jid, { pid: this.nextPid++, ...data });
    try {
      // A job counts as running from the moment its process exists, before it gets the CPU.
      await this.work(data['fun']);
      const ctx: MinionContext = {
        id: this.id,
        grains: this.grains,
        otherJobs: () => [...this.running].filter(([j]) => j !== jid).map(([, info]) => info),
        random: this.random,
        signal,
      };
      const fun = data['fun'];
      const ret = Array.isArray(fun)
        ? await this.runMulti(fun, data, ctx)
        : await this.runSingle(safeText(fun), data, ctx);
      const load: ReturnLoad = { cmd: '_return', id: this.id, ...ret };
      // Until the master took the return, the job still shows in saltutil.running.
      await send?.(load);
      return load;
    } finally {
      this.running.delete(jid);
    }
  }

  private async runSingle(funName: string, data: SaltMap, ctx: MinionContext): Promise<SaltMap> {
    const ret: SaltMap = { success: false };
    const fn = MINION_FUNCTIONS.get(funName);
    const outcome: Outcome =
      fn === undefined
        ? { return: `'${funName}' is not available.`, retcode: EX_GENERIC, out: 'nested' }
        : await this.call(funName, fn, data['arg'], data, ctx);
    ret['return'] = outcome.return;
    ret['retcode'] = outcome.retcode;
    if (outcome.out !== undefined) ret['out'] = outcome.out;
    ret['success'] = outcome.retcode === 0 && outcome.out === undefined;
    this.addJobKeys(ret, data);
    if (!Object.hasOwn(ret, 'out') && fn?.outputter !== undefined) ret['out'] = fn.outputter;
    return ret;
  }

  private async runMulti(funs: SaltValue[], data: SaltMap, ctx: MinionContext): Promise<SaltMap> {
    const returns = emptyDict<SaltValue>();
    const retcodes = emptyDict<SaltValue>();
    const successes = emptyDict<SaltValue>();
    const argLists = Array.isArray(data['arg']) ? data['arg'] : [];
    for (const [ind, f] of funs.entries()) {
      const funName = safeText(f);
      successes[funName] = false;
      const fn = MINION_FUNCTIONS.get(funName);
      if (fn === undefined) {
        returns[funName] =
          `Traceback (most recent call last):\n  File "salt/minion.py", in _thread_multi_return\nKeyError: '${funName}'\n`;
        continue;
      }
      const outcome = await this.call(funName, fn, argLists[ind], data, ctx);
      returns[funName] = outcome.return;
      retcodes[funName] = outcome.retcode;
      successes[funName] = outcome.retcode === 0;
    }
    const ret: SaltMap = { return: returns, retcode: retcodes, success: successes };
    this.addJobKeys(ret, data);
    return ret;
  }

  private addJobKeys(ret: SaltMap, data: SaltMap): void {
    ret['jid'] = data['jid'];
    ret['fun'] = data['fun'];
    ret['fun_args'] = data['arg'];
    ret['user'] = data['user'];
    if (isSaltMap(data['metadata'])) ret['metadata'] = data['metadata'];
  }

  private async call(
    funName: string,
    fn: MinionFunction,
    arg: SaltValue,
    data: SaltMap,
    ctx: MinionContext,
  ): Promise<Outcome> {
    try {
      const { args, kwargs } = loadArgsAndKwargs(fn.sig, Array.isArray(arg) ? arg : [], data);
      const value = await fn.call(bindCall(fn.sig, args, kwargs), ctx);
      return { return: value, retcode: 0 };
    } catch (err) {
      if (err instanceof SaltInvocationError) {
        return { return: `ERROR executing '${funName}': ${err.message}`, retcode: EX_GENERIC, out: 'nested' };
      }
      if (err instanceof PythonTypeError) {
        return {
          return: `Passed invalid arguments to ${funName}: ${err.message}\n${fn.doc}`,
          retcode: EX_GENERIC,
          out: 'nested',
        };
      }
      throw err;
    }
  }
}

export interface FleetOptions {
  /** Minions that run and answer. */
  live: readonly string[];
  /** Known minions (accepted keys) that never answer. */
  dead: readonly string[];
  /** Minions waiting for key acceptance; they answer once accepted. */
  pending: readonly string[];
  /** Random numbers in [0, 1) for the minions' functions. */
  random: () => number;
  /** Minions that take time to work (capacity.ts). */
  capacity?: MinionCapacity;
}

export interface MinionCapacity {
  model: CapacityModel;
  /** The master's cores, which minions on a shared machine take their time from. */
  machine: SimulatedCpu;
  signal: AbortSignal;
}

/** The simulated minions by id; only running ones take jobs. */
export class MinionFleet {
  private readonly minions = new Map<string, SimulatedMinion>();
  private readonly runningIds = new Set<string>();

  constructor(options: FleetOptions) {
    const all = [...options.live, ...options.pending, ...options.dead];
    all.forEach((id, index) =>
      this.minions.set(
        id,
        new SimulatedMinion(id, cannedGrains(id, index), 1000 + index * 1000, options.random, options.capacity),
      ),
    );
    for (const id of [...options.live, ...options.pending]) this.runningIds.add(id);
  }

  get(id: string): SimulatedMinion | undefined {
    return this.minions.get(id);
  }

  isRunning(id: string): boolean {
    return this.runningIds.has(id);
  }

  /** The minion stops answering, as when its host goes down; its key stays accepted. */
  stop(id: string): void {
    this.runningIds.delete(id);
  }

  grainsOf(id: string): SaltMap | undefined {
    return this.minions.get(id)?.grains;
  }
}
