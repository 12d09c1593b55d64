import { isSaltMap, type SaltMap, type SaltValue } from '../salt/codec/values.js';
import type { BoundCall, Signature } from './call-args.js';
import { pythonStr } from '../python/repr.js';
import { DEMO_SALT_VERSION } from './grains.js';
import { sleep } from './sleep.js';

/** The execution functions a simulated minion offers, with their Python signatures. */

export interface MinionContext {
  id: string;
  grains: SaltMap;
  /** Info records (`{pid, fun, arg, ...publish}`) of the minion's jobs other than this one. */
  otherJobs(): SaltMap[];
  /** A random number in [0, 1). */
  random(): number;
  signal: AbortSignal;
}

export interface MinionFunction {
  sig: Signature;
  /** The docstring Salt appends to "Passed invalid arguments" messages. */
  doc: string;
  /** The module's `__outputter__` for this function, sent as `out` in the return. */
  outputter?: string;
  call(call: BoundCall, ctx: MinionContext): SaltValue | Promise<SaltValue>;
}

/** The most numbers `seq` prints on a simulated minion (about 15 MB of output). */
const SEQ_MAX = 2_000_000;

/** The last output `seq` made: every minion of a job prints the same, so it is made once a job. */
let lastSeq: { first: number; last: number; output: string } | undefined;

/** `seq LAST` or `seq FIRST LAST`: output of any size, up to MBs, as a real command's can be. */
function seqOutput(first: number, last: number): string {
  if (lastSeq?.first === first && lastSeq.last === last) return lastSeq.output;
  const to = Math.min(last, first + SEQ_MAX - 1);
  // Appended to one string: joining an array of 250,000 numbers took three and a half times as long.
  let output = first <= to ? String(first) : '';
  for (let n = first + 1; n <= to; n++) output += '\n' + String(n);
  lastSeq = { first, last, output };
  return output;
}

function cmdOutput(cmd: string, ctx: MinionContext): string {
  const seq = /^\s*seq\s+(?:([0-9]{1,9})\s+)?([0-9]{1,9})\s*$/.exec(cmd);
  if (seq !== null) return seqOutput(Number(seq[1] ?? 1), Number(seq[2]));
  const echo = /^\s*echo\s+(.*)$/s.exec(cmd);
  if (echo !== null) return (echo[1] ?? '').replace(/^(['"])(.*)\1$/s, '$2');
  if (/^\s*hostname\s*$/.test(cmd)) return pythonStr(ctx.grains['host'] ?? ctx.id);
  if (/^\s*(whoami|id -un)\s*$/.test(cmd)) return 'root';
  return `demo minion ${ctx.id}: '${cmd}' is not really run by the simulated minion`;
}

function grainsGet(grains: SaltMap, key: string, fallback: SaltValue, delimiter: string): SaltValue {
  let node: SaltValue = grains;
  for (const part of key.split(delimiter)) {
    if (isSaltMap(node) && Object.hasOwn(node, part)) node = node[part];
    else if (Array.isArray(node) && /^\d+$/.test(part) && Number(part) < node.length) node = node[Number(part)];
    else return fallback;
  }
  return node;
}

const FUNCTIONS: Record<string, MinionFunction> = {
  'cmd.run': {
    sig: { pyName: 'run', params: [{ name: 'cmd' }], varKwargs: true },
    doc: 'Execute the passed command and return the output as a string',
    call: ({ values }, ctx) => cmdOutput(pythonStr(values['cmd']), ctx),
  },
  'grains.get': {
    sig: {
      pyName: 'get',
      params: [{ name: 'key' }, { name: 'default', default: '' }, { name: 'delimiter', default: ':' }],
    },
    doc: 'Attempt to retrieve the named value from grains',
    call: ({ values }, ctx) =>
      grainsGet(ctx.grains, pythonStr(values['key']), values['default'], pythonStr(values['delimiter'])),
  },
  'grains.item': {
    sig: { pyName: 'item', params: [], varArgs: true, varKwargs: true },
    doc: 'Return one or more grains',
    outputter: 'nested',
    call: ({ extraArgs }, ctx) =>
      Object.fromEntries(extraArgs.map((k) => [pythonStr(k), grainsGet(ctx.grains, pythonStr(k), '', ':')])),
  },
  'grains.items': {
    sig: { pyName: 'items', params: [{ name: 'sanitize', default: false }] },
    doc: "Return all of the minion's grains",
    outputter: 'nested',
    call: (_call, ctx) => ({ ...ctx.grains }),
  },
  'saltutil.find_job': {
    sig: { pyName: 'find_job', params: [{ name: 'jid' }] },
    doc: 'Return the data for a specific job id that is currently running',
    call: ({ values }, ctx) => ctx.otherJobs().find((job) => job['jid'] === pythonStr(values['jid'])) ?? {},
  },
  'saltutil.running': {
    sig: { pyName: 'running', params: [] },
    doc: 'Return the data on all running salt processes on the minion',
    call: (_call, ctx) => ctx.otherJobs(),
  },
  'sys.list_functions': {
    sig: { pyName: 'list_functions', params: [], varArgs: true, varKwargs: true },
    doc: 'List the functions for all modules',
    call: ({ extraArgs }) => {
      const names = Object.keys(FUNCTIONS).sort();
      if (extraArgs.length === 0) return names;
      const prefixes = extraArgs.map((m) => pythonStr(m));
      return names.filter((n) => prefixes.some((p) => n === p || n.startsWith(p.endsWith('.') ? p : `${p}.`)));
    },
  },
  'test.arg': {
    sig: { pyName: 'arg', params: [], varArgs: true, varKwargs: true },
    doc: 'Print out the data passed into the function *args and **kwargs',
    call: ({ extraArgs, extraKwargs }) => ({ args: extraArgs, kwargs: extraKwargs }),
  },
  'test.echo': {
    sig: { pyName: 'echo', params: [{ name: 'text' }] },
    doc: 'Return a string - used for testing the connection',
    call: ({ values }) => values['text'] ?? null,
  },
  'test.kwarg': {
    sig: { pyName: 'kwarg', params: [], varKwargs: true },
    doc: 'Print out the data passed into the function **kwargs',
    call: ({ extraKwargs }) => extraKwargs,
  },
  'test.ping': {
    sig: { pyName: 'ping', params: [] },
    doc: 'Used to make sure the minion is up and responding. Not an ICMP ping.',
    call: () => true,
  },
  'test.rand_sleep': {
    sig: { pyName: 'rand_sleep', params: [{ name: 'max', default: 60 }] },
    doc: 'Sleep for a random number of seconds, used to test long-running commands and minions returning at differing intervals',
    call: async ({ values }, ctx) => {
      // random.randint(0, max): whole seconds, both ends included.
      const max = Math.trunc(Number(values['max']));
      const seconds = Number.isFinite(max) && max > 0 ? Math.floor(ctx.random() * (max + 1)) : 0;
      await sleep(seconds * 1000, ctx.signal);
      return true;
    },
  },
  'test.sleep': {
    sig: { pyName: 'sleep', params: [{ name: 'length' }, { name: 'fire_event', default: false }] },
    doc: 'Instruct the minion to initiate a process that will sleep for a given period of time.',
    call: async ({ values }, ctx) => {
      const seconds = Math.trunc(Number(values['length']));
      await sleep(Number.isFinite(seconds) ? seconds * 1000 : 0, ctx.signal);
      return true;
    },
  },
  'test.version': {
    sig: { pyName: 'version', params: [] },
    doc: 'Return the version of salt on the minion',
    call: () => DEMO_SALT_VERSION,
  },
};

export const MINION_FUNCTIONS: ReadonlyMap<string, MinionFunction> = new Map(Object.entries(FUNCTIONS));
