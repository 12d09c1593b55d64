import { isSaltMap, type SaltMap, type SaltValue } from '../../codec/values.js';
import { InvalidRequestError } from '../../errors.js';
import { argList, conditionInput } from '../positional-args.js';
import { pythonStr } from '../../../python/repr.js';
import { pythonTruthy } from '../../../python/truthiness.js';

/**
 * The salt-ssh command line for an `ssh` chunk: salt-api's allow list of options
 * (`SSHClient.sanitize_kwargs`) as the flags of the `salt-ssh` program, then the target, the
 * function and its arguments.
 */

type Kind = 'str' | 'int' | 'bool' | 'list';

/**
 * salt-api's allow list: option → type, and the salt-ssh flag carrying it (none: not passable;
 * SECRET: written to a private Saltfile, never onto the command line, where any local user could
 * read it in /proc/<pid>/cmdline).
 */
const SECRET = Symbol('secret');
const OPTIONS: ReadonlyArray<[string, Kind, string | typeof SECRET | undefined]> = [
  ['host', 'str', undefined],
  ['ssh_user', 'str', '--user'],
  ['ssh_passwd', 'str', SECRET],
  ['ssh_port', 'int', undefined],
  ['ssh_sudo', 'bool', '--sudo'],
  ['ssh_sudo_user', 'str', undefined],
  ['ssh_priv', 'str', '--priv'],
  ['ssh_priv_passwd', 'str', SECRET],
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
  // salt-api lets it through, but nothing it runs reads it (only salt-ssh's command line does):
  // ignored here too, so that a caller cannot have the master host's files read.
  ['saltfile', 'str', undefined],
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

export interface SshOptions {
  /** Command-line flags. */
  flags: string[];
  /** Secret options by their Saltfile name (`ssh_passwd`, `ssh_priv_passwd`). */
  secrets: Map<string, string>;
}

/** `SSHClient.sanitize_kwargs` as salt-ssh options: coerced like Python, `ProxyCommand` dropped. */
export function sshOptions(chunk: SaltMap): SshOptions {
  const flags: string[] = [];
  const secrets = new Map<string, string>();
  const safe = (text: string): boolean => !text.includes('ProxyCommand');
  for (const [name, kind, flag] of OPTIONS) {
    if (!Object.hasOwn(chunk, name) || flag === undefined) continue;
    const value = chunk[name] ?? null;
    if (flag === SECRET) {
      const text = pythonStr(value);
      if (safe(text)) secrets.set(name, text);
      continue;
    }
    if (kind === 'bool') {
      const on = pythonTruthy(value);
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
      const text = pythonStr(value);
      if (safe(text)) flags.push(`${flag}=${text}`);
    } else if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'string' && safe(item)) flags.push(`${flag}=${item}`);
    }
  }
  return { flags, secrets };
}

function cliArg(value: SaltValue): string {
  return typeof value === 'string'
    ? value
    : JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** The whole salt-ssh command line after the program name. */
export function sshArgv(
  chunk: SaltMap,
  jid: string,
): { argv: string[]; fun: string; funArgs: SaltValue[]; secrets: Map<string, string> } {
  const { tgt, fun } = chunk;
  if (tgt === undefined || fun === undefined) throw new InvalidRequestError("Missing 'tgt' or 'fun' in an ssh chunk");
  if (typeof fun !== 'string') throw new InvalidRequestError("'fun' must be a string for salt-ssh");
  const tgtType = typeof chunk['tgt_type'] === 'string' ? chunk['tgt_type'] : 'glob';
  if (!Object.hasOwn(TARGET_FLAGS, tgtType)) throw new InvalidRequestError(`salt-ssh cannot target by '${tgtType}'`);
  const target = Array.isArray(tgt) ? tgt.map((t) => pythonStr(t)).join(',') : pythonStr(tgt ?? null);
  const funArgs = conditionInput(argList(chunk['arg']), chunk['kwarg']);
  const cliArgs = funArgs.flatMap((a) =>
    isSaltMap(a) && a['__kwarg__'] === true
      ? Object.entries(a)
          .filter(([k]) => k !== '__kwarg__')
          .map(([k, v]) => `${k}=${cliArg(v ?? null)}`)
      : [cliArg(a)],
  );
  const targetFlag = TARGET_FLAGS[tgtType];
  const { flags, secrets } = sshOptions(chunk);
  const argv = [
    '--out=json',
    '--static',
    `--jid=${jid}`,
    ...flags,
    ...(targetFlag ? [targetFlag] : []),
    '--',
    target,
    fun,
    ...cliArgs,
  ];
  return { argv, fun, funArgs, secrets };
}
