import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { isSaltMap, type SaltMap, type SaltValue } from '../codec/values.js';
import {
  BadReplyError,
  InvalidRequestError,
  JobTimeoutError,
  NotAuthenticatedError,
  NotImplementedHereError,
} from '../errors.js';
import { argList, conditionInput } from './positional-args.js';
import { pythonStr as pyStr } from '../../python/repr.js';
import { pythonTruthy as pyTruthy } from '../../python/truthiness.js';
import { abortReason, type ClientContext, type LowstateClient } from './context.js';
import { genJid } from './jid.js';
import { emptyDict, ownValue } from '../../dict.js';

/**
 * `ssh` (docs/routes.md "Lowstate clients"): salt-api calls salt-ssh's Python API in-process;
 * salt-apid runs the `salt-ssh` program of the master host (roster, keys and thin tarball live
 * there) with the allow-listed options that have a command-line flag, and reads its JSON output.
 * Before that, the chunk's credentials are checked with the master and the user's `external_auth`
 * entry must grant `fun` on every minion (a plain function pattern): salt-apid cannot resolve
 * roster targets for the finer-grained ACL forms, so those are refused rather than guessed.
 */

type Kind = 'str' | 'int' | 'bool' | 'list';

/** salt-api's allow list: option → type, and the salt-ssh flag carrying it (none: not passable). */
const OPTIONS: ReadonlyArray<[string, Kind, string | undefined]> = [
  ['host', 'str', undefined],
  ['ssh_user', 'str', '--user'],
  ['ssh_passwd', 'str', '--passwd'],
  ['ssh_port', 'int', undefined],
  ['ssh_sudo', 'bool', '--sudo'],
  ['ssh_sudo_user', 'str', undefined],
  ['ssh_priv', 'str', '--priv'],
  ['ssh_priv_passwd', 'str', '--priv-passwd'],
  ['ssh_identities_only', 'bool', '--identities-only'],
  ['ssh_remote_port_forwards', 'str', '--remote-port-forwards'],
  ['ssh_keepalive', 'bool', '--disable-keepalive'],
  ['ssh_keepalive_interval', 'int', '--keepalive-interval'],
  ['ssh_keepalive_count_max', 'int', '--keepalive-count-max'],
  ['ssh_options', 'list', '--ssh-option'],
  ['ssh_max_procs', 'int', '--max-procs'],
  // Would prompt for a password on a terminal the API does not have.
  ['ssh_askpass', 'bool', undefined],
  ['ssh_key_deploy', 'bool', '--key-deploy'],
  ['ssh_update_roster', 'bool', '--update-roster'],
  ['ssh_scan_ports', 'str', '--scan-ports'],
  ['ssh_scan_timeout', 'int', '--scan-timeout'],
  ['ssh_timeout', 'int', undefined],
  ['ssh_log_file', 'str', '--log-file'],
  ['ssh_pre_hook', 'str', undefined],
  ['raw_shell', 'bool', '--raw-shell'],
  ['refresh_cache', 'bool', '--refresh-cache'],
  ['roster', 'str', '--roster'],
  // Custom roster files are disabled for API callers (`disable_custom_roster=True`).
  ['roster_file', 'str', undefined],
  ['rosters', 'list', undefined],
  ['ignore_host_keys', 'bool', '--ignore-host-keys'],
  ['no_host_keys', 'bool', '--no-host-keys'],
  ['extra_filerefs', 'str', '--extra-filerefs'],
  ['min_extra_mods', 'str', '--min-extra-modules'],
  ['thin_extra_mods', 'str', '--thin-extra-modules'],
  // Changes the output away from the single JSON document read here.
  ['verbose', 'bool', undefined],
  ['static', 'bool', undefined],
  ['ssh_wipe', 'bool', '--wipe'],
  ['rand_thin_dir', 'bool', '--rand-thin-dir'],
  ['regen_thin', 'bool', '--regen-thin'],
  ['ssh_run_pre_flight', 'bool', '--pre-flight'],
  ['saltfile', 'str', '--saltfile'],
];

const TARGET_FLAGS: Record<string, string | undefined> = {
  glob: undefined,
  pcre: '--pcre',
  list: '--list',
  grain: '--grain',
  grain_pcre: '--grain-pcre',
  nodegroup: '--nodegroup',
  range: '--range',
};

/** `SSHClient.sanitize_kwargs` as command-line flags: coerced like Python, `ProxyCommand` dropped. */
export function optionFlags(chunk: SaltMap): string[] {
  const flags: string[] = [];
  const safe = (text: string): boolean => !text.includes('ProxyCommand');
  for (const [name, kind, flag] of OPTIONS) {
    if (!Object.hasOwn(chunk, name) || flag === undefined) continue;
    const value = chunk[name] ?? null;
    if (kind === 'bool') {
      const on = pyTruthy(value);
      if (name === 'ssh_keepalive' ? !on : on) flags.push(flag);
    } else if (kind === 'int') {
      const n =
        typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)
          ? Number(value)
          : typeof value === 'number'
            ? Math.trunc(value)
            : typeof value === 'boolean'
              ? Number(value)
              : undefined;
      if (n !== undefined && Number.isFinite(n)) flags.push(`${flag}=${n}`);
    } else if (kind === 'str') {
      const text = pyStr(value);
      if (safe(text)) flags.push(`${flag}=${text}`);
    } else if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'string' && safe(item)) flags.push(`${flag}=${item}`);
    }
  }
  return flags;
}

function cliArg(value: SaltValue): string {
  return typeof value === 'string'
    ? value
    : JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** The whole salt-ssh command line after the program name. */
export function sshArgv(chunk: SaltMap, jid: string): { argv: string[]; fun: string; funArgs: SaltValue[] } {
  const { tgt, fun } = chunk;
  if (tgt === undefined || fun === undefined) throw new InvalidRequestError("Missing 'tgt' or 'fun' in an ssh chunk");
  if (typeof fun !== 'string') throw new InvalidRequestError("'fun' must be a string for salt-ssh");
  const tgtType = typeof chunk['tgt_type'] === 'string' ? chunk['tgt_type'] : 'glob';
  if (!Object.hasOwn(TARGET_FLAGS, tgtType)) throw new InvalidRequestError(`salt-ssh cannot target by '${tgtType}'`);
  const target = Array.isArray(tgt) ? tgt.map((t) => pyStr(t)).join(',') : pyStr(tgt ?? null);
  const funArgs = conditionInput(argList(chunk['arg']), chunk['kwarg']);
  const cliArgs = funArgs.flatMap((a) =>
    isSaltMap(a) && a['__kwarg__'] === true
      ? Object.entries(a)
          .filter(([k]) => k !== '__kwarg__')
          .map(([k, v]) => `${k}=${cliArg(v ?? null)}`)
      : [cliArg(a)],
  );
  const targetFlag = TARGET_FLAGS[tgtType];
  const argv = [
    '--out=json',
    '--static',
    `--jid=${jid}`,
    ...optionFlags(chunk),
    ...(targetFlag ? [targetFlag] : []),
    '--',
    target,
    fun,
    ...cliArgs,
  ];
  return { argv, fun, funArgs };
}

async function findOnPath(program: string): Promise<string | undefined> {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, program);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export const runSsh: LowstateClient = async (chunk, ctx, signal) => {
  // Credentials first, as salt-api checks them before it looks at anything else (a caller without
  // them learns nothing about this host, salt-ssh included).
  await authorize(chunk, ctx);
  const program = await findOnPath('salt-ssh');
  if (program === undefined) {
    throw new NotImplementedHereError(
      'salt-ssh is not installed on this host; install it (with its roster) to use the ssh client',
    );
  }
  const jid = genJid();
  const { argv, fun, funArgs } = sshArgv(chunk, jid);
  const timeoutMs = ctx.settings.restTimeout * 1000;
  const { stdout, code } = await new Promise<{ stdout: string; code: number }>((resolve, reject) => {
    execFile(
      program,
      argv,
      { maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs, killSignal: 'SIGKILL', ...(signal && { signal }) },
      (err, out, errText) => {
        if (err && signal?.aborted) return reject(abortReason(signal));
        if (err && (err as { killed?: boolean }).killed) return reject(new JobTimeoutError(jid, timeoutMs));
        if (err && typeof err.code !== 'number')
          return reject(new BadReplyError('salt-ssh', `${err.message}\n${errText}`));
        resolve({ stdout: out, code: typeof err?.code === 'number' ? err.code : 0 });
      },
    );
  });
  let parsed: unknown;
  try {
    parsed = stdout.trim() === '' ? {} : JSON.parse(stdout);
  } catch {
    throw new BadReplyError('salt-ssh', stdout);
  }
  if (!isSaltMap(parsed)) throw new BadReplyError('salt-ssh', stdout);
  const result = emptyDict<SaltValue>();
  for (const [host, value] of Object.entries(parsed)) {
    result[host] = { return: value, retcode: code, fun, fun_args: funArgs, id: host, jid };
  }
  return [result];
};

/** Credentials checked by the master; the user's external_auth entry must grant `fun` everywhere. */
async function authorize(chunk: SaltMap, ctx: ClientContext): Promise<void> {
  let name: string;
  let eauth: string;
  let groups: string[] = [];
  if (Object.hasOwn(chunk, 'token')) {
    const record = typeof chunk['token'] === 'string' ? await ctx.master.commands.getToken(chunk['token']) : null;
    if (record === null) throw new NotAuthenticatedError('Authentication failure of type "token" occurred.');
    ({ name, eauth } = record);
    groups = record.groups ?? [];
  } else {
    const credentials = {
      username: chunk['username'] ?? null,
      password: chunk['password'] ?? null,
      eauth: chunk['eauth'] ?? null,
    };
    const record = await ctx.master.commands.mkToken(credentials);
    if (record === null)
      throw new NotAuthenticatedError(
        `Authentication failure of type "eauth" occurred for user ${pyStr(credentials.username)}.`,
      );
    ({ name, eauth } = record);
    groups = record.groups ?? [];
  }
  const acl = ownValue(ctx.settings.externalAuth, eauth) ?? {};
  const entriesOf = (key: string): unknown[] => {
    const list = ownValue(acl, key);
    return Array.isArray(list) ? list : [];
  };
  const entries = [...entriesOf(name), ...entriesOf('*'), ...groups.flatMap((g) => entriesOf(`${g}%`))];
  const fun = pyStr(chunk['fun'] ?? null);
  const granted = entries.some((entry) => {
    if (typeof entry !== 'string' || entry.startsWith('@')) return false;
    try {
      return new RegExp(`^(?:${entry})$`).test(fun);
    } catch {
      return false;
    }
  });
  if (!granted) throw new NotAuthenticatedError('Authorization error occurred.');
}
