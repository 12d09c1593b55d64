import { sleep } from './sleep.js';

/**
 * A capacity model for the demo master, so that it can be overloaded the way a real master is
 * (`npm run bench` shows what happens then). Without one the demo master does all its work at
 * once; with one, the master's work queues for a few simulated cores and every minion runs its
 * jobs one at a time.
 */
export interface CapacityModel {
  /** Master CPU time per publish: authentication, targeting, the job cache, its events (ms). */
  publishMs: number;
  /** Master CPU time per return a minion sends: the job cache and the event (ms). */
  returnMs: number;
  /** Cores the master's work shares. */
  masterCores: number;
  /** Minion CPU time per job (ms). */
  jobMs: number;
  /** Minion CPU time of a `saltutil.find_job` or `saltutil.running` (ms). */
  findJobMs: number;
  /**
   * How long a minion waits for the master to take a return before sending it again (Salt's
   * `return_retry_timer`, 5 s); 0 never sends again.
   */
  returnRetryMs: number;
  /** Copies sent at most (Salt's `return_retry_tries`, 3). */
  returnRetries: number;
  /**
   * Whether the minions run on the master's machine and take their CPU time from its cores (as
   * on a test rig with master and minions on one host), rather than each from a core of its own.
   */
  sharedMachine: boolean;
}

/** Figures close to a 2-core machine running a 3008 master and its minions (BENCHMARKS.md). */
export const DEFAULT_CAPACITY: CapacityModel = {
  publishMs: 40,
  returnMs: 10,
  masterCores: 2,
  jobMs: 50,
  findJobMs: 50,
  returnRetryMs: 5_000,
  returnRetries: 3,
  sharedMachine: true,
};

/**
 * Reads `publish=40,return=10,cores=2,job=50,find_job=50,retry=5000,retries=3,shared=1` (any
 * subset; the rest from the default).
 */
export function parseCapacity(text: string): CapacityModel {
  const model = { ...DEFAULT_CAPACITY };
  const fields: Record<string, keyof CapacityModel> = {
    publish: 'publishMs',
    return: 'returnMs',
    cores: 'masterCores',
    job: 'jobMs',
    find_job: 'findJobMs',
    retry: 'returnRetryMs',
    retries: 'returnRetries',
    shared: 'sharedMachine',
  };
  for (const part of text.split(',').filter((p) => p.trim() !== '')) {
    const [name = '', value = ''] = part.split('=').map((s) => s.trim());
    const field = Object.hasOwn(fields, name) ? fields[name] : undefined;
    const number = Number(value);
    if (field === undefined || value === '' || !Number.isFinite(number) || number < 0) {
      throw new Error(`capacity: expected name=ms with name one of ${Object.keys(fields).join(', ')}, got '${part}'`);
    }
    if (field === 'sharedMachine') model.sharedMachine = number !== 0;
    else model[field] = number;
  }
  model.masterCores = Math.max(1, Math.floor(model.masterCores));
  return model;
}

/** A processor: work runs first come, first served on `cores` servers, each item for its cost. */
export class SimulatedCpu {
  private busy = 0;
  private readonly queue: Array<() => void> = [];

  constructor(
    private readonly cores: number,
    private readonly signal: AbortSignal,
  ) {}

  /** Items waiting for a core. */
  get backlog(): number {
    return this.queue.length;
  }

  /** Resolves once the work of `costMs` has been done. */
  run(costMs: number): Promise<void> {
    return this.hold(() => sleep(costMs, this.signal));
  }

  /** Runs `work` while holding a core (work that takes its time elsewhere, e.g. another CPU). */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    if (this.busy >= this.cores) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.busy++;
    try {
      return await work();
    } finally {
      const next = this.queue.shift();
      if (next === undefined) this.busy--;
      else next();
    }
  }
}
