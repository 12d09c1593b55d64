import { isSaltMap, type SaltMap, type SaltValue } from '../salt/codec/values.js';
import type { BoundCall, Param } from './call-args.js';
import { authorizeCall } from './authorize-call.js';
import { runLow, type MasterFunction } from './client-low.js';
import { fnmatch } from '../python/fnmatch.js';
import { pythonStr } from '../python/repr.js';
import { DEMO_SALT_VERSION } from './grains.js';
import { formatJidInstance } from './jobs.js';
import type { MasterContext } from './master-context.js';
import type { Publisher } from './publisher.js';
import { sleep } from './sleep.js';
import { checkMinions } from '../salt/auth/targeting.js';
import { emptyDict } from '../dict.js';

/**
 * `ClearFuncs.runner`: authenticate, check `@runner`/`@jobs` rights, answer `{tag, jid}` at
 * once and run the runner in the background (`salt/run/<jid>/new` and `/ret`). The runners
 * offered: manage.status/up/down/versions, jobs.list_jobs/list_job/lookup_jid/print_job/active,
 * auth.mk_token, test.arg/sleep/get_opts, cache.grains, doc.runner.
 */

function splitInput(value: SaltValue): string[] {
  if (Array.isArray(value)) return value.map((v) => pythonStr(v));
  return pythonStr(value).split(',');
}

// eslint-disable-next-line max-lines-per-function -- a data table: the runner functions over their shared context.
function runnerFunctions(ctx: MasterContext, publisher: Publisher): Map<string, MasterFunction> {
  const ping = async (tgt: SaltValue, tgtType: SaltValue): Promise<string[]> => {
    const returns = await publisher.runInternal({ tgt, tgtType: pythonStr(tgtType), fun: 'test.ping', arg: [] });
    return [...returns.keys()].sort();
  };
  const status = async ({ values }: BoundCall): Promise<SaltMap> => {
    const up = await ping(values['tgt'], values['tgt_type']);
    return {
      up,
      down: ctx.keys
        .idsWith('minions')
        .filter((id) => !up.includes(id))
        .sort(),
    };
  };
  const listJob = (jid: string): SaltMap => ({
    jid,
    ...ctx.jobs.formatJob(jid, true),
    Result: ctx.jobs.results(jid),
  });
  const targetParams = [
    { name: 'tgt', default: '*' },
    { name: 'tgt_type', default: 'glob' },
    { name: 'timeout', default: null },
    { name: 'gather_job_timeout', default: null },
  ];

  const functions: Record<string, MasterFunction> = {
    'manage.status': {
      sig: { pyName: 'status', params: [{ name: 'output', default: true }, ...targetParams] },
      doc: 'Print the status of all known salt minions',
      call: status,
    },
    'manage.up': {
      sig: { pyName: 'up', params: [...targetParams, { name: 'show_ip', default: false }] },
      doc: 'Print a list of all of the minions that are up',
      call: async (call) => (await status(call))['up'] ?? [],
    },
    'manage.down': {
      sig: { pyName: 'down', params: [{ name: 'removekeys', default: false }, ...targetParams] },
      doc: 'Print a list of all the down or unresponsive salt minions',
      call: async (call) => (await status(call))['down'] ?? [],
    },
    'manage.versions': {
      sig: { pyName: 'versions', params: [] },
      doc: 'Check the version of active minions',
      call: async () => {
        const returns = await publisher.runInternal({ tgt: '*', tgtType: 'glob', fun: 'test.version', arg: [] });
        const upToDate = emptyDict<SaltValue>();
        for (const id of [...returns.keys()].sort()) upToDate[id] = returns.get(id)?.['return'] ?? null;
        return { ...(returns.size > 0 ? { 'Up to date': upToDate } : {}), Master: DEMO_SALT_VERSION };
      },
    },
    'jobs.list_jobs': {
      sig: {
        pyName: 'list_jobs',
        params: [
          ...[
            'ext_source',
            'outputter',
            'search_metadata',
            'search_function',
            'search_target',
            'start_time',
            'end_time',
          ].map((name): Param => ({ name, default: null })),
          { name: 'display_progress', default: false },
        ],
      },
      doc: 'List all detectable jobs and associated functions',
      call: ({ values }) => {
        const out = emptyDict<SaltValue>();
        for (const jid of ctx.jobs.jids()) {
          const job = ctx.jobs.formatJob(jid);
          if (values['search_metadata'] && !ctx.jobs.metadataMatches(jid, values['search_metadata'])) continue;
          const targets = Array.isArray(job['Target'])
            ? job['Target'].map((t) => pythonStr(t))
            : [pythonStr(job['Target'])];
          const byTarget = values['search_target'];
          if (byTarget && !targets.some((t) => splitInput(byTarget).some((p) => fnmatch(t, p)))) continue;
          const byFunction = values['search_function'];
          if (byFunction && !splitInput(byFunction).some((p) => fnmatch(pythonStr(job['Function']), p))) continue;
          out[jid] = job;
        }
        return out;
      },
    },
    'jobs.list_job': {
      sig: {
        pyName: 'list_job',
        params: [{ name: 'jid' }, { name: 'ext_source', default: null }, { name: 'display_progress', default: false }],
      },
      doc: 'List a specific job given by its jid',
      call: ({ values }) => listJob(pythonStr(values['jid'])),
    },
    'jobs.print_job': {
      sig: { pyName: 'print_job', params: [{ name: 'jid' }, { name: 'ext_source', default: null }] },
      doc: "Print a specific job's detail given by its jid, including the return data",
      call: ({ values }) => {
        const jid = pythonStr(values['jid']);
        return { [jid]: { ...ctx.jobs.formatJob(jid), Result: ctx.jobs.results(jid) } };
      },
    },
    'jobs.lookup_jid': {
      sig: {
        pyName: 'lookup_jid',
        params: [
          { name: 'jid' },
          { name: 'ext_source', default: null },
          { name: 'returned', default: true },
          { name: 'missing', default: false },
          { name: 'display_progress', default: false },
        ],
      },
      doc: 'Return the printout from a previously executed job',
      call: ({ values }) => {
        const job = listJob(pythonStr(values['jid']));
        const results = isSaltMap(job['Result']) ? job['Result'] : {};
        const ret = emptyDict<SaltValue>();
        for (const [id, result] of Object.entries(results)) {
          if (values['returned'] && isSaltMap(result)) ret[id] = result['return'];
        }
        if (values['missing'] && Array.isArray(job['Minions'])) {
          for (const id of job['Minions'])
            if (!Object.hasOwn(results, pythonStr(id))) ret[pythonStr(id)] = 'Minion did not return';
        }
        const first = Object.values(results)[0];
        const outputter = isSaltMap(first) ? first['out'] : undefined;
        return outputter ? { outputter, data: ret } : ret;
      },
    },
    'jobs.active': {
      sig: { pyName: 'active', params: [{ name: 'display_progress', default: false }] },
      doc: 'Return a report on all actively running jobs from a job id centric perspective',
      call: async () => {
        const returns = await publisher.runInternal({ tgt: '*', tgtType: 'glob', fun: 'saltutil.running', arg: [] });
        const out = emptyDict<SaltMap>();
        for (const [minion, ret] of returns) {
          const jobs = ret['return'];
          if (!Array.isArray(jobs)) continue;
          for (const job of jobs) {
            if (!isSaltMap(job)) continue;
            const jid = pythonStr(job['jid']);
            const running = { [minion]: job['pid'] ?? null };
            const entry = out[jid];
            if (entry === undefined) out[jid] = { ...formatJidInstance(jid, job), Running: [running], Returned: [] };
            else if (Array.isArray(entry['Running'])) entry['Running'].push(running);
          }
        }
        for (const [jid, entry] of Object.entries(out)) entry['Returned'] = Object.keys(ctx.jobs.results(jid));
        return out;
      },
    },
    'auth.mk_token': {
      sig: { pyName: 'mk_token', params: [], varKwargs: true },
      doc: 'Create an eauth token using provided credentials',
      call: ({ extraKwargs }) => ctx.auth.mkToken(extraKwargs),
    },
    'test.arg': {
      sig: { pyName: 'arg', params: [], varArgs: true, varKwargs: true },
      doc: 'Output the given args and kwargs',
      call: ({ extraArgs, extraKwargs }) => ({
        args: extraArgs,
        kwargs: Object.fromEntries(Object.entries(extraKwargs).filter(([k]) => !k.startsWith('__'))),
      }),
    },
    'test.sleep': {
      sig: { pyName: 'sleep', params: [{ name: 's_time', default: 10 }] },
      doc: 'Sleep t seconds, then return True',
      call: async ({ values }) => {
        await sleep(Number(values['s_time']) * 1000, ctx.signal);
        return true;
      },
    },
    'test.get_opts': {
      sig: { pyName: 'get_opts', params: [] },
      doc: 'Return the configuration options of the master',
      call: () => ({ ...ctx.config }),
    },
    'cache.grains': {
      sig: { pyName: 'grains', params: [{ name: 'tgt' }, { name: 'tgt_type', default: 'glob' }], varKwargs: true },
      doc: 'Return cached grains of the targeted minions',
      call: ({ values }) => {
        const { minions } = checkMinions(values['tgt'], pythonStr(values['tgt_type']), ctx.universe);
        return Object.fromEntries(minions.map((id) => [id, ctx.fleet.grainsOf(id) ?? {}]));
      },
    },
  };
  functions['doc.runner'] = {
    sig: { pyName: 'runner', params: [] },
    doc: 'Return all inline documentation for runner modules',
    call: () => Object.fromEntries(Object.entries(functions).map(([name, fn]) => [name, fn.doc])),
  };
  return new Map(Object.entries(functions));
}

export class RunnerService {
  private readonly functions: Map<string, MasterFunction>;

  constructor(
    private readonly ctx: MasterContext,
    publisher: Publisher,
  ) {
    this.functions = runnerFunctions(ctx, publisher);
  }

  async runner(load: SaltMap): Promise<SaltValue> {
    const call = await authorizeCall(this.ctx, load, 'runner');
    if (!call.authorized) return call.reply;
    const { fun, username } = call;
    const jid = this.ctx.jids.next();
    const low = isSaltMap(load['kwarg']) ? load['kwarg'] : {};
    const { fire, signal } = this.ctx;
    // The runner's own process crashes on an unknown function or unusable arguments: no event.
    runLow({ client: 'runner', fun, low, user: username, jid, functions: this.functions, fire, signal }).catch(
      (err: unknown) => {
        if (!signal.aborted) this.ctx.logger?.debug({ err, fun, jid }, 'demo master: runner process died');
      },
    );
    return { tag: `salt/run/${jid}`, jid };
  }
}
